"""Top-1 on held-out digits: float vs per-tensor WnAn with no recovery and with each method.

Run: OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python -m tests.quant.ptq.recover.measure_digits
"""

from __future__ import annotations

import argparse
import copy
import time

import torch

from qnnflow.quant.ptq.recover.bias_correction import apply_bias_correction
from qnnflow.quant.ptq.recover.equalize import equalize_activations, equalize_graph
from qnnflow.quant.ptq.recover.fast_finetune import apply_fast_finetune
from qnnflow.quant.ptq.recover.gpfq import apply_gpfq
from qnnflow.quant.ptq.recover.gptq import apply_gptq
from qnnflow.quant.ptq.recover.learned_round import apply_learned_round
from tests.quant.ptq.recover.digits_setup import (
    load_digits_splits,
    output_mse,
    quantize_per_tensor,
    top1,
    train_float,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bits", default="4,2")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    digits = load_digits_splits(args.seed)
    float_model = train_float(digits, seed=args.seed)
    calib = digits.calib_batches()
    print(f"float top-1 {top1(float_model, digits):.2f}")
    methods = {
        "none": lambda q: q,
        "bias correction": lambda q: apply_bias_correction(q, calib),
        "gptq": lambda q: apply_gptq(q, calib),
        "gpfq": lambda q: apply_gpfq(q, calib),
        "learned round": lambda q: apply_learned_round(q, calib),
        "fast finetune": lambda q: apply_fast_finetune(q, float_model, calib),
    }
    before = {
        "equalize graph": lambda f: equalize_graph(f),
        "equalize activation": lambda f: equalize_activations(f, calib),
    }
    for bits in (int(b) for b in args.bits.split(",")):
        for name, method in methods.items():
            torch.manual_seed(args.seed)
            start = time.perf_counter()
            qmodel = method(quantize_per_tensor(float_model, bits, calib))
            _report(bits, name, qmodel, float_model, digits, time.perf_counter() - start)
        for name, method in before.items():
            start = time.perf_counter()
            qmodel = quantize_per_tensor(method(copy.deepcopy(float_model)), bits, calib)
            _report(bits, name, qmodel, float_model, digits, time.perf_counter() - start)


def _report(bits, name, qmodel, float_model, digits, seconds) -> None:
    mse = output_mse(qmodel, float_model, digits.test_x)
    print(
        f"W{bits}A{bits} {name:20s} top-1 {top1(qmodel, digits):6.2f}  "
        f"output MSE {mse:8.3f}  ({seconds:.1f} s)"
    )


if __name__ == "__main__":
    main()

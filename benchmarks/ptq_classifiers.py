"""Post-training quantization benchmark on the committed classifiers.

For SmallCNN/digits and SmallResNet/shapes (data/models/classifiers/), on the test split
regenerated from each model's training record: float top-1, then every scheme (int8, w4a4,
w2a2, mixed) x recovery (none, bias correction, graph equalization, GPTQ, learned round, and
the best combination for w4a4) through `quantize_ptq`, the function `qnnflow quantize` runs.
The Brevitas module is scored (the exported QONNX equals it, tests/quant/ptq prove that); for
int8 and w4a4 the QONNX is also exported and scored through `qnnflow evaluate` once, to show
the two agree. Calibration images come from the training split, never the test split.

    .venv/bin/python benchmarks/ptq_classifiers.py            # ~27 min on 2 shared cores
    options: --out benchmarks/results/ptq_classifiers.json  --samples 256  --quick

Prints a markdown table and writes the JSON. Seeded (torch, the dataset generator, the
calibration subset), single-threaded torch, so two runs print the same numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "data" / "models" / "classifiers"
MIXED = {
    "small-cnn-digits": ROOT / "benchmarks" / "ptq_mixed_small_cnn.yaml",
    "small-resnet-shapes": ROOT / "benchmarks" / "ptq_mixed_small_resnet.yaml",
}
SCHEMES = ("int8", "w4a4", "w2a2", "mixed")
RECOVERIES = {
    "none": {},
    "bias correction": {"bias_correction": True},
    "equalize graph": {"equalize": "graph"},
    "GPTQ": {"gptq": True},
    "learned round": {"learned_round": True},
}
# below 8 bits the activation statistic matters most: minmax spends the few codes on rare
# maxima; MSE-searched clips (--calib-method mse, weights too) are tried once per low-bit
# scheme, and for w4a4 with the recovery methods that helped most
LOW_BIT_MSE = {"none": {}}
COMBINATIONS = {
    "bias correction": {"bias_correction": True},
    "GPTQ": {"gptq": True},
    "learned round": {"learned_round": True},
    "GPTQ + bias correction": {"gptq": True, "bias_correction": True},
}
EVALUATE_SCHEMES = ("int8", "w4a4")


@dataclass
class Bench:
    """One classifier with its calibration and test data (preprocessed arrays)."""

    name: str
    onnx: Path
    float_model: object
    calib: object  # np.ndarray [N, C, H, W]
    test_x: object
    test_y: object
    data_dir: Path
    preprocess: object


def _dataset(record: dict, scratch: Path) -> Path:
    """Regenerate the classifier's dataset exactly as its training record says."""
    from qnnflow.classify.folder import make_classification_dataset

    info = record["dataset"]
    out = scratch / info["source"]
    if not out.exists():
        counts = None if info["source"] == "digits" else dict(info["images"])
        make_classification_dataset(
            out,
            info["source"],
            seed=info["seed"],
            size=tuple(info["image_size"]),
            counts=counts,
            plain=info["plain"],
        )
    return out


def _load(name: str, scratch: Path, samples: int) -> Bench:
    import numpy as np

    from qnnflow.quant.evaluate.folder_dataset import load_classify_folder
    from qnnflow.quant.ptq.calib_data import load_calib_dir, load_image_batch
    from qnnflow.quant.ptq.load import load_float_model
    from qnnflow.quant.ptq.preprocess import Preprocess

    record = json.loads((MODELS / f"{name}.train.json").read_text())
    pre_rec = record["preprocessing"]
    pre = Preprocess(
        tuple(pre_rec["input_size"]),
        tuple(pre_rec["mean"]),
        tuple(pre_rec["std"]),
        pre_rec["channels"],
        pre_rec["resize"],
    )
    data_dir = _dataset(record, scratch)
    onnx = MODELS / f"{name}.onnx"
    float_model = load_float_model(onnx)
    calib = load_calib_dir(data_dir / "train", pre, samples)
    test = load_classify_folder(data_dir, "test", None)
    test_x = load_image_batch(test.files, pre)
    return Bench(name, onnx, float_model, calib, test_x, np.asarray(test.labels), data_dir, pre)


def _top1(module, x, y, batch: int = 250) -> float:
    import numpy as np
    import torch

    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = module(torch.from_numpy(np.ascontiguousarray(x[i : i + batch])))
            correct += int((logits.argmax(1).numpy() == y[i : i + batch]).sum())
    return 100.0 * correct / len(x)


def _options(bench: Bench, scheme: str, calib: str):
    """What `qnnflow quantize --scheme S [--mixed Y] --calib-method C` sets (per-channel
    weights, float scales, 32-bit biases, 8-bit input, float logits: the CLI defaults)."""
    from qnnflow.quant.ptq.mixed import load_mixed_config
    from qnnflow.quant.ptq.options import PTQOptions, parse_scheme

    rules = load_mixed_config(MIXED[bench.name]) if scheme == "mixed" else ()
    weight_bits, act_bits = parse_scheme("w4a4" if scheme == "mixed" else scheme)
    return PTQOptions(
        weight_bits=weight_bits,
        act_bits=act_bits,
        output_bits=None,
        calib_method=calib,
        rules=rules,
    )


def _quantize(
    bench: Bench, scheme: str, calib: str, recovery: dict, iterations: int, batch_size: int
):
    from qnnflow.quant.ptq.pipeline import Recovery, quantize_ptq

    began = time.perf_counter()
    result = quantize_ptq(
        bench.float_model,
        _options(bench, scheme, calib),
        Recovery(**recovery, iterations=iterations),
        bench.calib,
        batch_size,
    )
    return result, time.perf_counter() - began


def _evaluate_qonnx(bench: Bench, result, scratch: Path) -> dict:
    """Export the QONNX and score it against the float ONNX with `qnnflow evaluate`'s code."""
    from qnnflow.quant.evaluate.classify import compare_classifiers
    from qnnflow.quant.ptq.export import export_qonnx

    path = scratch / f"{bench.name}.qonnx.onnx"
    export_qonnx(result.qmodule, result.input_shape, path)
    pre = bench.preprocess
    began = time.perf_counter()
    comparison = compare_classifiers(
        bench.onnx,
        path,
        bench.data_dir,
        split="test",
        input_size=pre.input_size,
        mean=pre.mean,
        std=pre.std,
        channels=pre.channels,
        resize=pre.resize,
    )
    return {
        "float_top1": round(100 * comparison.float_score.topk.top1, 2),
        "qonnx_top1": round(100 * comparison.quant_score.topk.top1, 2),
        "qonnx_executor": comparison.quant_score.executor,
        "seconds": round(time.perf_counter() - began, 1),
    }


def run(args) -> dict:
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    results: dict = {
        "calibration_samples": args.samples,
        "iterations": args.iterations,
        "torch": torch.__version__,
        "models": {},
    }
    schemes = args.schemes.split(",")
    recoveries = {k: v for k, v in RECOVERIES.items() if not args.quick or k == "none"}
    with tempfile.TemporaryDirectory(prefix="qnnflow-ptqbench-") as tmp:
        scratch = Path(tmp)
        for name in args.models.split(","):
            began = time.perf_counter()
            bench = _load(name, scratch, args.samples)
            float_top1 = _top1(bench.float_model.module, bench.test_x, bench.test_y)
            model = {
                "test_images": len(bench.test_y),
                "calibration_images": len(bench.calib),
                "float_top1": round(float_top1, 2),
                "runs": [],
                "qonnx_check": {},
            }
            results["models"][name] = model
            print(f"{name}: float top-1 {float_top1:.2f} on {len(bench.test_y)}", file=sys.stderr)
            for scheme in schemes:
                runs = [("minmax", label, flags) for label, flags in recoveries.items()]
                if scheme != "int8":
                    extra = COMBINATIONS if scheme == "w4a4" and not args.quick else LOW_BIT_MSE
                    runs += [("mse", label, flags) for label, flags in extra.items()]
                for calib, label, recovery in runs:
                    result, seconds = _quantize(
                        bench, scheme, calib, recovery, args.iterations, args.batch_size
                    )
                    top1 = _top1(result.qmodule, bench.test_x, bench.test_y)
                    row = {
                        "scheme": scheme,
                        "calibration": calib,
                        "recovery": label,
                        "flags": recovery,
                        "top1": round(top1, 2),
                        "drop": round(float_top1 - top1, 2),
                        "seconds": round(seconds, 1),
                    }
                    model["runs"].append(row)
                    print(
                        f"  {scheme:5s} {calib:6s} {label:24s} {top1:6.2f} ({seconds:.1f} s)",
                        file=sys.stderr,
                    )
                    first = (calib, label) == ("minmax", "none")
                    if scheme in EVALUATE_SCHEMES and first and not args.no_qonnx:
                        check = _evaluate_qonnx(bench, result, scratch)
                        check["brevitas_top1"] = round(top1, 2)
                        model["qonnx_check"][scheme] = check
                        print(f"  {scheme} QONNX via evaluate: {check}", file=sys.stderr)
            model["seconds"] = round(time.perf_counter() - began, 1)
    return results


def _key(row: dict) -> tuple[str, str, str]:
    return row["scheme"], row["calibration"], row["recovery"]


def markdown(results: dict) -> str:
    """One row per (scheme, calibration, recovery), a top-1 (drop) column per model, then
    the QONNX-through-evaluate check."""
    names = list(results["models"])
    models = results["models"]
    head = "| scheme | calibration | recovery | " + " | ".join(f"{n} top-1 % (drop)" for n in names)
    lines = [head + " |", "|---|---|---|" + "---|" * len(names)]
    floats = " | ".join(f"{models[n]['float_top1']:.2f}" for n in names)
    lines.append(f"| float | - | - | {floats} |")
    keys: list[tuple[str, str, str]] = []
    for n in names:
        keys += [_key(r) for r in models[n]["runs"] if _key(r) not in keys]
    for key in keys:
        cells = []
        for n in names:
            match = [r for r in models[n]["runs"] if _key(r) == key]
            cells.append(f"{match[0]['top1']:.2f} ({match[0]['drop']:.2f})" if match else "-")
        lines.append("| " + " | ".join(key) + " | " + " | ".join(cells) + " |")
    checks = [
        f"{n} {scheme}: Brevitas {c['brevitas_top1']:.2f}, QONNX ({c['qonnx_executor']}) "
        f"{c['qonnx_top1']:.2f}"
        for n in names
        for scheme, c in models[n]["qonnx_check"].items()
    ]
    if checks:
        lines += ["", "QONNX scored by `qnnflow evaluate`: " + "; ".join(checks)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="small-cnn-digits,small-resnet-shapes")
    parser.add_argument("--schemes", default=",".join(SCHEMES))
    parser.add_argument("--samples", type=int, default=256, help="calibration images")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--iterations", type=int, default=200, help="learned round steps")
    parser.add_argument("--quick", action="store_true", help="recovery 'none' only")
    parser.add_argument("--no-qonnx", action="store_true", help="skip the QONNX evaluate check")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks/results/ptq_classifiers.json"
    )
    args = parser.parse_args()
    for module in ("brevitas", "torch", "onnxscript"):
        warnings.filterwarnings("ignore", module=module)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    began = time.perf_counter()
    results = run(args)
    results["seconds"] = round(time.perf_counter() - began, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    print(f"\n{results['seconds']:.0f} s; wrote {args.out}")


if __name__ == "__main__":
    main()

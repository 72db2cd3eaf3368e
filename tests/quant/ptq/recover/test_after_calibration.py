"""Bias correction, GPTQ, GPFQ, learned round and fast finetune each move the quantized digits
CNN (W3A3 per-tensor) closer to the float model on held-out inputs than no recovery does."""

from __future__ import annotations

import pytest
import torch
from brevitas.core.function_wrapper.learned_round import LearnedRoundSte

from qnnflow.quant.ptq.recover.bias_correction import apply_bias_correction
from qnnflow.quant.ptq.recover.fast_finetune import apply_fast_finetune
from qnnflow.quant.ptq.recover.gpfq import apply_gpfq
from qnnflow.quant.ptq.recover.gptq import apply_gptq
from qnnflow.quant.ptq.recover.learned_round import apply_learned_round
from tests.quant.ptq.recover.conftest import BITS
from tests.quant.ptq.recover.digits_setup import output_mse, quantize_per_tensor

METHODS = {
    "gptq": lambda q, f, c: apply_gptq(q, c),
    "gpfq": lambda q, f, c: apply_gpfq(q, c),
    "learned_round": lambda q, f, c: apply_learned_round(q, c, iterations=60),
    "fast_finetune": lambda q, f, c: apply_fast_finetune(q, f, c, iterations=60),
}


def _params(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items() if "weight" in k}


@pytest.mark.parametrize("method", sorted(METHODS))
def test_method_changes_weights_and_lowers_the_output_error(method, float_model, calib, digits):
    baseline = quantize_per_tensor(float_model, BITS, calib)
    qmodel = quantize_per_tensor(float_model, BITS, calib)
    before = _params(qmodel)
    torch.manual_seed(0)
    METHODS[method](qmodel, float_model, calib)
    after = _params(qmodel)
    assert any(not torch.equal(before[k], after[k]) for k in before if k in after)
    held_out = digits.test_x
    assert output_mse(qmodel, float_model, held_out) < 0.9 * output_mse(
        baseline, float_model, held_out
    )


def test_bias_correction_shrinks_the_mean_error_per_output_channel(float_model, calib, digits):
    baseline = quantize_per_tensor(float_model, BITS, calib)
    qmodel = quantize_per_tensor(float_model, BITS, calib)
    biases = [m.bias.detach().clone() for m in (qmodel.conv1, qmodel.conv2, qmodel.fc)]
    apply_bias_correction(qmodel, calib)
    for old, layer in zip(biases, (qmodel.conv1, qmodel.conv2, qmodel.fc), strict=True):
        assert not torch.equal(old, layer.bias)
    with torch.no_grad():
        reference = float_model(digits.test_x)
        bias_before = (baseline(digits.test_x) - reference).mean(0).abs().mean()
        bias_after = (qmodel(digits.test_x) - reference).mean(0).abs().mean()
    assert bias_after < 0.7 * bias_before
    assert output_mse(qmodel, float_model, digits.test_x) < output_mse(
        baseline, float_model, digits.test_x
    )


@pytest.mark.parametrize("method", ["learned_round", "fast_finetune"])
def test_seeded_runs_repeat(method, float_model, calib):
    runs = []
    for _ in range(2):
        qmodel = quantize_per_tensor(float_model, BITS, calib)
        torch.manual_seed(7)
        if method == "learned_round":
            apply_learned_round(qmodel, calib, iterations=8)
        else:
            apply_fast_finetune(qmodel, float_model, calib, iterations=8)
        runs.append(_params(qmodel))
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])


def test_learned_round_is_frozen_into_plain_quantizers(float_model, calib):
    qmodel = quantize_per_tensor(float_model, BITS, calib)
    nearest = {n: m.quant_weight().int() for n, m in qmodel.named_modules() if n in ("conv2",)}
    torch.manual_seed(0)
    apply_learned_round(qmodel, calib, iterations=30)
    assert not any(isinstance(m, LearnedRoundSte) for m in qmodel.modules())
    learned = qmodel.conv2.quant_weight()
    # the baked weights sit on the quantization grid and some roundings flipped
    assert torch.equal(learned.value, qmodel.conv2.weight.detach())
    assert not torch.equal(learned.int(), nearest["conv2"])
    assert (learned.int() - nearest["conv2"]).abs().max() <= 1

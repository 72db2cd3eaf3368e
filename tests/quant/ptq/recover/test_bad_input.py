"""Recovery methods refuse a float model, an empty calibration set and a quantized model given
to equalization with one QnnflowError that names the method."""

from __future__ import annotations

import pytest

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.recover.bias_correction import apply_bias_correction
from qnnflow.quant.ptq.recover.equalize import equalize_activations, equalize_graph
from qnnflow.quant.ptq.recover.fast_finetune import apply_fast_finetune
from qnnflow.quant.ptq.recover.gpfq import apply_gpfq
from qnnflow.quant.ptq.recover.gptq import apply_gptq
from qnnflow.quant.ptq.recover.learned_round import apply_learned_round
from tests.quant.ptq.recover.digits_setup import quantize_per_tensor

AFTER_QUANTIZATION = {
    "bias correction": lambda q, f, c: apply_bias_correction(q, c),
    "GPTQ": lambda q, f, c: apply_gptq(q, c),
    "GPFQ": lambda q, f, c: apply_gpfq(q, c),
    "learned round": lambda q, f, c: apply_learned_round(q, c, iterations=1),
    "fast finetune": lambda q, f, c: apply_fast_finetune(q, f, c, iterations=1),
}


@pytest.mark.parametrize("method", sorted(AFTER_QUANTIZATION))
def test_unquantized_model_is_refused_by_name(method, float_model, calib):
    with pytest.raises(QnnflowError, match=f"^{method}: .*no quantized"):
        AFTER_QUANTIZATION[method](float_model, float_model, calib)


@pytest.mark.parametrize("method", sorted(AFTER_QUANTIZATION))
def test_empty_calibration_set_is_refused(method, float_model, calib):
    qmodel = quantize_per_tensor(float_model, 4, calib)
    with pytest.raises(QnnflowError, match=f"^{method}: no calibration batches"):
        AFTER_QUANTIZATION[method](qmodel, float_model, [])


def test_equalization_refuses_a_quantized_model_and_a_bad_alpha(float_model, calib):
    qmodel = quantize_per_tensor(float_model, 4, calib)
    with pytest.raises(QnnflowError, match="^graph equalization: .*before quantization"):
        equalize_graph(qmodel)
    with pytest.raises(QnnflowError, match="^activation equalization: alpha 2"):
        equalize_activations(float_model, calib, alpha=2.0)


def test_fast_finetune_refuses_a_float_model_that_does_not_match(float_model, calib):
    qmodel = quantize_per_tensor(float_model, 4, calib)
    other = quantize_per_tensor(float_model, 4, calib)  # no plain 'conv1' weight shape match
    del other.conv1
    with pytest.raises(QnnflowError, match="^fast finetune: the float model has no layer 'conv1'"):
        apply_fast_finetune(qmodel, other, calib, iterations=1)

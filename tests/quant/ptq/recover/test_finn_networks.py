"""The recovery methods run on networks we did not write (FINN's TFC and CNV 2w2a from
brevitas_examples, with their own QAT quantizers and batch norms) and change their parameters.
(Untrained, so only the mechanics are checked here; the error properties are in
test_after_calibration.)"""

from __future__ import annotations

import copy

import pytest
import torch
from brevitas_examples.bnn_pynq.models import model_with_cfg

from qnnflow.quant.ptq.recover.bias_correction import apply_bias_correction
from qnnflow.quant.ptq.recover.gpfq import apply_gpfq
from qnnflow.quant.ptq.recover.gptq import apply_gptq
from qnnflow.quant.ptq.recover.learned_round import apply_learned_round

SHAPES = {"tfc_2w2a": (8, 1, 28, 28), "cnv_2w2a": (8, 3, 32, 32)}
METHODS = {
    "bias correction": lambda q, c: apply_bias_correction(q, c),
    "gptq": lambda q, c: apply_gptq(q, c),
    "gpfq": lambda q, c: apply_gpfq(q, c),
    "learned round": lambda q, c: apply_learned_round(q, c, iterations=3),
}


@pytest.mark.parametrize(
    "net",
    ["tfc_2w2a", pytest.param("cnv_2w2a", marks=pytest.mark.slow)],  # CNV: ~3 min
)
@pytest.mark.parametrize("method", sorted(METHODS))
def test_method_runs_on_finn_network(net, method):
    torch.manual_seed(0)
    model, _ = model_with_cfg(net, pretrained=False)
    model.eval()
    calib = [torch.rand(SHAPES[net]) for _ in range(2)]
    before = copy.deepcopy(model.state_dict())
    tuned = METHODS[method](model, calib)
    after = tuned.state_dict()
    assert any(
        not torch.equal(value, after[name]) for name, value in before.items() if name in after
    ) or any(name not in before for name in after)
    with torch.no_grad():
        assert torch.isfinite(tuned(calib[0])).all()

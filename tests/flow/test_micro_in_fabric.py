"""The micro detector builds with every conv in hardware (the 1x1 linear head emitting its
signed accumulators), the C++ simulation bit-exact on them, and only the input quantizer and
the head's dequantization (Mul, Add) left on the host."""

from __future__ import annotations

import json

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp


def test_every_micro_conv_is_in_hardware_and_bit_exact(micro_build):
    _, root = micro_build
    build = root / "micro"
    hw = ModelWrapper(str(build / "07_to_hw.onnx"))
    assert [n.name for n in hw.graph.node if n.op_type == "Conv"] == []
    mvus = [n for n in hw.graph.node if n.op_type == "MatrixVectorUnit"]
    assert len(mvus) == 4
    head = getCustomOp(mvus[-1])
    assert head.get_nodeattr("numThresholds") == 0
    assert head.output_dtype().signed() and head.output_dtype().bitwidth() > 8
    report = json.loads((build / "to_hw.json").read_text())
    on_host = sorted(n["op_type"] for n in report["host_nodes"] if n["op_type"] != "Transpose")
    assert on_host == ["Add", "Mul", "MultiThreshold"]
    cppsim = json.loads((build / "cppsim" / "cppsim.json").read_text())
    assert cppsim["bit_exact"], cppsim["first_mismatch"]
    assert any(layer["layer"] == mvus[-1].name for layer in cppsim["layers"])
    accel = json.loads((build / "deploy" / "accelerator.json").read_text())
    (out,) = accel["outputs"]
    assert out["dtype"] == head.output_dtype().name and out["signed"]
    assert accel["input"]["dtype"] == "UINT8"

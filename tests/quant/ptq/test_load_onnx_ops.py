"""Each ONNX op form the converter takes equals onnxruntime; the rest is refused by name."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from torch import nn

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.load import load_float_model
from qnnflow.quant.ptq.onnx_to_fx import SUPPORTED_OPS
from tests.quant.ptq.compare import max_diff, onnxruntime_outputs, outputs
from tests.quant.ptq.onnx_cases import CASES, X, const, model, node, weights


def _saved(proto: onnx.ModelProto, path) -> object:
    onnx.save(proto, str(path))
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_op_equals_onnxruntime(case, tmp_path):
    path = _saved(CASES[case], tmp_path / f"{case}.onnx")
    fm = load_float_model(path)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(fm.input_shape).astype(np.float32)
    assert max_diff(outputs(fm.module, x), onnxruntime_outputs(path, x)) <= 1e-5


def _modules(case: str, tmp_path) -> list[type]:
    fm = load_float_model(_saved(CASES[case], tmp_path / f"{case}.onnx"))
    return [type(m) for m in fm.module.children()]


def test_darknet_style_maxpool_pads_by_replication(tmp_path):
    assert _modules("maxpool_darknet_pads", tmp_path)[1:] == [nn.ReplicationPad2d, nn.MaxPool2d]


def test_matmul_and_its_bias_add_become_one_linear(tmp_path):
    fm = load_float_model(_saved(CASES["matmul_add"], tmp_path / "m.onnx"))
    (linear,) = list(fm.module.children())
    assert isinstance(linear, nn.Linear) and linear.bias is not None


def test_clip_forms_map_to_relu6_and_hardtanh(tmp_path):
    assert _modules("clip_relu6_opset7", tmp_path)[-1] is nn.ReLU6
    assert _modules("clip_hardtanh", tmp_path)[-1] is nn.Hardtanh


def test_unsupported_op_names_node_op_and_list(tmp_path):
    proto = model(
        [node("Conv", [X, "w"], "c"), node("LRN", ["c"], "y", size=3)],
        [weights("w", 2, 3, 1, 1)],
        (1, 3, 4, 4),
    )
    with pytest.raises(QnnflowError) as err:
        load_float_model(_saved(proto, tmp_path / "lrn.onnx"))
    text = str(err.value)
    assert "\n" not in text and "lrn.onnx" in text
    assert "node 'lrn_y' (LRN)" in text and "op type 'LRN' is not supported" in text
    assert ", ".join(SUPPORTED_OPS) in text


@pytest.mark.parametrize(
    ("nodes", "inits", "reason"),
    [
        (
            [node("AveragePool", [X], "y", kernel_shape=[3, 3], pads=[0, 0, 1, 1])],
            [],
            "without count_include_pad have no torch equivalent",
        ),
        ([node("Conv", [X, X], "y")], [], "the weight ('x') must be a constant initializer"),
        (
            [node("Resize", [X, "", "s"], "y", mode="nearest")],
            [const("s", [1, 1, 1.5, 1.5])],
            "is not supported (integer factors",
        ),
        ([node("Concat", [X, X], "y", axis=0)], [], "along the batch axis"),
    ],
)
def test_unsupported_attribute_forms_are_one_line(nodes, inits, reason, tmp_path):
    with pytest.raises(QnnflowError, match=r"^[^\n]*$") as err:
        load_float_model(_saved(model(nodes, inits, (1, 3, 6, 6)), tmp_path / "bad.onnx"))
    assert reason in str(err.value)

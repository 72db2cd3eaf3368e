"""Every input the loader refuses is one line naming the file (or --model-def) and the reason."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
from onnx import helper

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.load import load_float_model
from tests.quant.ptq.float_nets import make_net
from tests.quant.ptq.onnx_cases import const, model
from tests.quant.ptq.test_load_torch import MODEL_PY, NETS_MODULE

ONE_LINE = r"^[^\n]+$"


def _refused(path, reason: str, **kwargs) -> str:
    with pytest.raises(QnnflowError, match=ONE_LINE) as err:
        load_float_model(path, **kwargs)
    assert reason in str(err.value)
    return str(err.value)


@pytest.fixture(scope="module")
def resnet_pth(tmp_path_factory):
    path = tmp_path_factory.mktemp("pth") / "resnet.pth"
    torch.save(make_net("mini_resnet")[0].state_dict(), path)
    return path


@pytest.fixture
def model_py(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(MODEL_PY)
    return path


def test_state_dict_without_model_def(resnet_pth):
    text = _refused(resnet_pth, "pass the model class with --model-def", input_size=(16, 16))
    assert str(resnet_pth) in text


@pytest.mark.parametrize(
    ("model_def", "reason"),
    [
        ("tests.quant.ptq.float_nets", "expected 'package.module:Class'"),
        ("tests.quant.ptq.float_nets:", "expected 'package.module:Class'"),
        ("no_such_package.models:Net", "module 'no_such_package' not found"),
        (f"{NETS_MODULE}:ResNet50", "has no class 'ResNet50' (its nn.Modules: Block, DepthwiseNet"),
        (f"{NETS_MODULE}:make_net", "'make_net' is not a torch.nn.Module subclass"),
        ("missing/dir/model.py:Net", "file missing/dir/model.py not found"),
    ],
)
def test_bad_model_def(resnet_pth, model_def, reason):
    _refused(resnet_pth, reason, model_def=model_def, input_size=(16, 16))


def test_model_class_needing_arguments(resnet_pth, model_py):
    _refused(
        resnet_pth,
        "NeedsArgs() without arguments failed: TypeError",
        model_def=f"{model_py}:NeedsArgs",
    )


def test_state_dict_mismatch_names_keys(resnet_pth, tmp_path):
    text = _refused(
        resnet_pth,
        "does not match tests.quant.ptq.float_nets:SmallCNN",
        model_def=f"{NETS_MODULE}:SmallCNN",
        input_size=(16, 16),
    )
    assert (
        "missing " in text and "conv1.weight" in text and "unexpected " in text and "more)" in text
    )
    state = make_net("mini_resnet")[0].state_dict()
    state["fc.weight"] = torch.zeros(10, 17)
    torch.save(state, tmp_path / "wrong_shape.pth")
    _refused(
        tmp_path / "wrong_shape.pth",
        "shape 1: fc.weight [10, 17] vs [10, 16]",
        model_def=f"{NETS_MODULE}:MiniResNet",
        input_size=(16, 16),
    )


def test_untraceable_model(tmp_path, model_py):
    spec = {}
    exec(compile(MODEL_PY, "model.py", "exec"), spec)
    torch.save(spec["Gated"]().state_dict(), tmp_path / "gated.pth")
    text = _refused(
        tmp_path / "gated.pth",
        "cannot be traced by torch.fx: TraceError",
        model_def=f"{model_py}:Gated",
        input_size=(8, 8),
    )
    assert "data-dependent control flow" in text


def test_wrong_input_size_for_the_model(resnet_pth):
    path = resnet_pth.parent / "cnn.pth"
    torch.save(make_net("small_cnn")[0].state_dict(), path)
    _refused(
        path,
        "does not run on an input of shape [1, 3, 24, 24]: RuntimeError",
        model_def=f"{NETS_MODULE}:SmallCNN",
        input_size=(24, 24),
    )


def test_pickled_module_of_another_class(tmp_path):
    torch.save(make_net("depthwise")[0], tmp_path / "full.pt")
    _refused(
        tmp_path / "full.pt",
        "holds a pickled DepthwiseNet, not the --model-def",
        model_def=f"{NETS_MODULE}:MiniResNet",
        input_size=(16, 16),
    )


def test_torchscript_without_input_size(tmp_path):
    model, _ = make_net("small_cnn")
    torch.jit.script(model).save(str(tmp_path / "cnn.pt"))
    _refused(
        tmp_path / "cnn.pt",
        "does not record the input size; give the input size (--input-size HxW)",
    )


@pytest.mark.parametrize("form", ["qonnx", "qcdq"])
def test_quantized_onnx_is_not_ptq_input(tmp_path, form):
    """Quantized graphs (FINN's Brevitas networks, QCDQ exports) go to the compiler directly."""
    if form == "qonnx":
        quant = helper.make_node(
            "Quant",
            ["x", "s", "z", "bits"],
            ["y"],
            name="act_quant",
            domain="qonnx.custom_op.general",
            signed=1,
            narrow=0,
            rounding_mode="ROUND",
        )
        nodes, inits = [quant], [const("s", 0.1), const("z", 0.0), const("bits", 4.0)]
        domains = ("qonnx.custom_op.general",)
    else:
        nodes = [
            helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="act_quant"),
            helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="act_dequant"),
        ]
        inits, domains = [const("s", 0.1), const("z", 0, np.int8)], ()
    proto = model(nodes, inits, (1, 3, 4, 4), domains=domains)
    proto.graph.output[0].CopyFrom(helper.make_tensor_value_info("y", 1, [1, 3, 4, 4]))
    onnx.save(proto, str(tmp_path / "q.onnx"))
    _refused(tmp_path / "q.onnx", "already quantized: node 'act_quant' is a ")


def test_onnx_with_a_fixed_batch_of_four(tmp_path):
    onnx.save(
        model([helper.make_node("Relu", ["x"], ["y"])], [], (4, 3)), str(tmp_path / "b4.onnx")
    )
    _refused(tmp_path / "b4.onnx", "the input has shape [4, 3]; PTQ needs a batch axis first")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("model.h5", b"x", "unknown model format '.h5'"),
        ("model.onnx", b"", "empty file"),
        ("model.pt", b"not a zip", "a state dict holds weights only"),
    ],
)
def test_unknown_or_broken_files(tmp_path, name, content, reason):
    (tmp_path / name).write_bytes(content)
    _refused(tmp_path / name, reason)


def test_missing_file_and_darknet_weights(tmp_path):
    _refused(tmp_path / "absent.onnx", "model file not found")
    (tmp_path / "net.cfg").write_text("[net]\nwidth=8\nheight=8\nchannels=3\n")
    _refused(tmp_path / "net.cfg", "weights not found")

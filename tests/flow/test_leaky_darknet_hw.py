"""Leaky Darknet detectors through W1A3 quantization, streamlining and to_hw: hidden convs
become MVUs with signed INT3 thresholds (ActVal -4) reading INT3 codes with binary weights
(multi-bit x bipolar, not XNOR), max-pools run on signed codes, and the C++ simulation of the
hardware region is bit-exact against numpy. YOLOv3-tiny stops at to_hw (its branch kernels are
another slice)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.infer_datatypes import InferDataTypes

from qnnflow.backends.hls.network_sim import first_mismatch
from qnnflow.flow import BuildConfig, run_build
from qnnflow.quant.w1a3 import QUANT_REPORT_KEY, quantize_w1a3
from qnnflow.transforms.streamline import Streamline
from qnnflow.transforms.to_hw import ConvertToHW
from qnnflow.verify import verified_transform
from tests.quant.darknet_models import SIGNED_CFG, cfg_model, images, yolo_model


def _build(model: ModelWrapper, size: int, root: Path) -> Path:
    q = quantize_w1a3(model, images(3, size))
    q.save(str(root / "q.onnx"))
    result = run_build(
        BuildConfig(model=root / "q.onnx", output_root=root / "out", to_step="cppsim")
    )
    return result.output_dir


def _step(out: Path, step: str) -> ModelWrapper:
    (path,) = out.glob(f"[0-9][0-9]_{step}.onnx")
    return ModelWrapper(str(path))


def _mvus(model: ModelWrapper) -> dict[str, object]:
    return {
        n.name.split("_")[0]: getCustomOp(n)
        for n in model.graph.node
        if n.op_type == "MatrixVectorUnit"
    }


def _assert_signed_hidden(mvus: dict, hidden: list[int]) -> None:
    for i in hidden:
        op = mvus[f"l{i:03d}"]
        assert op.get_nodeattr("ActVal") == -4 and op.get_nodeattr("outputDataType") == "INT3"
        if i > 0:
            assert op.get_nodeattr("inputDataType") == "INT3"
            assert op.get_nodeattr("weightDataType") == "BIPOLAR" and not op.xnor_mode()


def _assert_cpp_bit_exact(out: Path, size: int) -> None:
    report = json.loads((out / "cppsim" / "cppsim.json").read_text())
    assert report["bit_exact"], report["first_mismatch"]
    model = _step(out, "cppsim")
    shape = (1, 3, size, size)
    frames = [np.zeros(shape, np.float32), np.ones(shape, np.float32), images(1, size, 21)[0]]
    for x in frames:
        mismatch, _ = first_mismatch(model, x)
        assert mismatch is None, str(mismatch)


@pytest.fixture(scope="module")
def signed_net(tmp_path_factory):
    return _build(cfg_model(SIGNED_CFG), 16, tmp_path_factory.mktemp("signed"))


def test_signed_net_hidden_layers_are_signed_mvus(signed_net):
    hw = _step(signed_net, "to_hw")
    _assert_signed_hidden(_mvus(hw), [0, 2, 4, 6])
    pools = [getCustomOp(n) for n in hw.graph.node if n.op_type == "StreamingMaxPool"]
    assert len(pools) == 3 and all(p.get_nodeattr("inputDataType") == "INT3" for p in pools)


def test_signed_net_cpp_is_bit_exact_with_every_code_in_use(signed_net):
    _assert_cpp_bit_exact(signed_net, 16)
    from qonnx.core.onnx_exec import execute_onnx

    model = _step(signed_net, "to_hw")
    mvu = next(n for n in model.graph.node if n.name.startswith("l002") and "mvu" in n.name)
    out = execute_onnx(model, {"input": images(1, 16, 21)[0]}, return_full_exec_context=True)
    codes = out[mvu.output[0]]
    assert codes.min() == -4 and codes.max() == 3  # negative codes reach the next layers


@pytest.mark.slow
def test_yolov2_tiny_hardware_region_is_bit_exact(tmp_path):
    """Every hidden conv of YOLOv2-tiny (32x32) in hardware with signed thresholds; ~60 s."""
    out = _build(yolo_model("yolov2-tiny", 32), 32, tmp_path)
    hw = _step(out, "to_hw")
    _assert_signed_hidden(_mvus(hw), [0, 2, 4, 6, 8, 10, 12, 13])
    assert [n.op_type for n in hw.graph.node].count("StreamingMaxPool") == 6
    _assert_cpp_bit_exact(out, 32)


def test_yolov3_tiny_to_hw():
    """The trunk and both branches' hidden convs convert; the heads (15, 22) get no
    thresholds; the two activations concatenated by route 20 carry one scale."""
    size = 32
    q = quantize_w1a3(yolo_model("yolov3-tiny", size), images(2, size)).transform(InferDataTypes())
    x = {"input": images(1, size, 5)[0]}
    hw = verified_transform(verified_transform(q, Streamline(), x, rtol=1e-5), ConvertToHW(), x)
    mvus = _mvus(hw)
    _assert_signed_hidden(mvus, [0, 2, 4, 6, 8, 10, 12, 13, 14, 18])
    for head in ("l015", "l022"):  # on the host, or an MVU emitting accumulators
        assert head not in mvus or mvus[head].get_nodeattr("outputDataType") != "INT3"
    ops = [n.op_type for n in hw.graph.node]
    assert ops.count("StreamingMaxPool") == 6 and "MaxPool" not in ops
    assert ops.count("DuplicateStreams") == 2  # the forks after layers 8 and 13
    assert ops.count("Upsample") == 1 and ops.count("StreamingConcat") == 1
    assert all(n.op_type not in ("Conv", "Resize", "Concat") for n in hw.graph.node)
    report = json.loads(q.get_metadata_prop(QUANT_REPORT_KEY))
    scales = {
        r["tensor"]: r["scale"]
        for r in report
        if r["kind"] == "activation" and r["tensor"].startswith(("l008", "l018"))
    }
    assert len(scales) == 2 and len(set(scales.values())) == 1, scales

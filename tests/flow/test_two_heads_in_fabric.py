"""A two-head (YOLOv3-tiny-like) micro detector builds to the package with every conv in
hardware and an accelerator of one input and two output streams: the C++ simulation is
bit-exact on both heads, the stitched top has ports out0/out1, and the package's off-board
run (C++ simulation) prints the detections numpy execution of the whole graph gives."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.hls.network_sim import execute_cpp
from qnnflow.detector import Detector
from qnnflow.driver.accelerator import Accelerator
from qnnflow.driver.run_on_board import main
from qnnflow.flow import run_build
from qnnflow.util.execute import run_qonnx
from tests.driver import fake_pynq
from tests.flow.two_heads import two_heads_config, two_heads_model

HEADS = ["l005_conv", "l012_conv"]  # [yolo] inputs in cfg order: 8x8 and 16x16
REGION_OUTS = ["l005_conv_mvu_out", "l012_conv_mvu_out"]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    root = tmp_path_factory.mktemp("two_heads")
    model = two_heads_model(root / "model")
    run_build(two_heads_config(model, root / "out", to_step="package"))
    return root / "out" / "two_heads", root / "model" / "two_heads-calib"


def test_every_conv_in_hardware_with_two_output_streams(build):
    folder, _ = build
    report = json.loads((folder / "to_hw.json").read_text())
    assert report["problem"] is None
    assert report["hardware_ops"]["MatrixVectorUnit"] == 7
    assert not any(n["op_type"] == "Conv" for n in report["host_nodes"])
    # the first head's dequantization sits before later hardware in the node list, but
    # nothing hardware is downstream of it: it runs after the accelerator
    assert report["host_positions"] == {"before": 2, "after": 6}
    cppsim = json.loads((folder / "cppsim" / "cppsim.json").read_text())
    assert cppsim["bit_exact"], cppsim["first_mismatch"]
    top = (folder / "hls" / "qnnflow_accel.cpp").read_text()
    assert "qnnflow::axis_word<48>> &out0, hls::stream<qnnflow::axis_word<48>> &out1" in top
    manifest = json.loads((folder / "hls" / "ip_manifest.json").read_text())
    assert (manifest["out_port"], manifest["extra_out_ports"]) == ("out0", ["out1"])
    assert "dma_out1" in (folder / "vivado" / "block_design.tcl").read_text()
    accel = json.loads((folder / "deploy" / "accelerator.json").read_text())
    assert [o["tensor"] for o in accel["outputs"]] == REGION_OUTS
    assert [o["shape"] for o in accel["outputs"]] == [[1, 8, 8, 21], [1, 16, 16, 21]]
    assert accel["ip"]["output_dmas"] == ["dma", "dma_out1"]
    assert [h["output"] for h in accel["heads"]] == HEADS


@pytest.mark.parametrize("kind", ["random", "zeros", "saturated"])
def test_both_heads_of_the_cpp_accelerator_equal_numpy(build, kind):
    folder, _ = build
    model = ModelWrapper(str(folder / "12_package.onnx"))
    shape = model.get_tensor_shape(model.graph.input[0].name)
    x = {
        "random": np.random.default_rng(5).random(shape),
        "zeros": np.zeros(shape),
        "saturated": np.ones(shape),
    }[kind].astype(np.float32)
    got, sim = execute_cpp(model, x)
    expected = run_qonnx(model, x)
    assert sorted(sim.outputs) == REGION_OUTS
    for head in HEADS:
        np.testing.assert_array_equal(got[head], expected[head])


def test_accelerator_returns_both_streams_and_execute_refuses(build, tmp_path):
    folder, _ = build
    acc = Accelerator(folder / "deploy", backend="sim", cache_dir=tmp_path / "cpp")
    fin = acc.input_format
    batch = np.random.default_rng(1).integers(0, 256, (2, *fin.shape[1:]))
    outs = acc.execute_all(batch)
    assert [o.shape for o in outs] == [(2, 8, 8, 21), (2, 16, 16, 21)]
    python = Accelerator(folder / "deploy", backend="python")
    for got, want in zip(outs, python.execute_all(batch), strict=True):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(Exception, match="2 output streams: use execute_all"):
        acc.execute(batch)


def test_package_detections_equal_numpy_execution(build, capsys):
    folder, calib = build
    image = calib / "0.png"
    argv = [str(folder / "deploy"), str(image), "--backend", "sim", "--decoder", "pillow"]
    argv += ["--thresh", "0.3"]
    assert main(argv) == 0
    printed = [ln for ln in capsys.readouterr().out.splitlines() if ln.endswith("%")]
    model = ModelWrapper(str(folder / "12_package.onnx"))
    expected = Detector(model, [], thresh=0.3, decoder="pillow").detect(image).lines
    assert printed == expected and len(printed) > 0


def test_pynq_backend_receives_each_head_on_its_own_dma(build, monkeypatch):
    folder, _ = build
    python = Accelerator(folder / "deploy", backend="python")
    (folder / "deploy" / python.package.bitfile).write_bytes(b"not a real bitstream")
    fake_pynq.CONFIG.clear()
    fake_pynq.CONFIG.update(
        device=lambda frame: [out[0] for out in python.backend.transfer(frame, 1, 60.0)],
        in_bytes=python.input_format.frame_bytes,
        out_bytes=[fmt.frame_bytes for fmt in python.output_formats],
        output_dmas=["dma", "dma_out1"],
    )
    monkeypatch.setitem(sys.modules, "pynq", fake_pynq)
    acc = Accelerator(folder / "deploy", backend="pynq")
    batch = np.random.default_rng(2).integers(0, 256, (3, *acc.input_format.shape[1:]))
    for got, want in zip(acc.execute_all(batch), python.execute_all(batch), strict=True):
        np.testing.assert_array_equal(got, want)
    overlay = fake_pynq.CONFIG["overlay"]
    assert overlay.dma.recvchannel.frames == overlay.dma_out1.recvchannel.frames == 3

"""export_driver_package on folded models built by the project's flow."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.deploy.export import copy_runtime, export_driver_package, stream_formats
from qnnflow.backends.hls.network_sim import normal_to_stream
from qnnflow.backends.hls.params import ddr_weight_images, weight_port_name
from qnnflow.driver import load_package
from qnnflow.driver.formats import to_stream_order
from qnnflow.errors import QnnflowError
from tests.driver.models import DDR_LAYER, DDR_PE


def test_package_describes_streams_heads_and_host_parts(mini_folded, tmp_path):
    package = export_driver_package(mini_folded, tmp_path / "pkg", names=["a", "b", "c", "d"])
    data = json.loads((tmp_path / "pkg" / "accelerator.json").read_text())
    first = getCustomOp(mini_folded.find_consumers(package.input.tensor)[0])
    assert data["input"]["per_word"] == first.folded_input_shape()[-1] == 3
    assert data["input"] | {"tensor": None} == {
        "tensor": None,
        "shape": [1, 64, 64, 3],
        "dtype": "UINT8",
        "per_word": 3,
        "bits": 8,
        "signed": False,
        "words": 64 * 64,
        "channel_groups": 1,
        "word_bytes": 3,
        "frame_bytes": 64 * 64 * 3,
    }
    # the linear head runs in hardware: out come its signed accumulators (45 = 5 x (5 + 4))
    head = getCustomOp(mini_folded.find_producer(package.output.tensor))
    bits = head.output_dtype().bitwidth()
    assert head.get_nodeattr("numThresholds") == 0 and 9 <= bits <= 32
    (out,) = data["outputs"]
    assert out["shape"] == [1, 2, 2, 45] and out["bits"] == bits
    assert out["signed"] and out["dtype"] == f"INT{bits}"
    assert out["word_bytes"] == -(-out["per_word"] * bits // 8)
    assert out["words"] * out["per_word"] == 2 * 2 * 45
    assert data["weights"] == [] and data["control"] is False
    assert data["heads"][0]["type"] == "region" and data["heads"][0]["classes"] == 4
    assert data["names"] == ["a", "b", "c", "d"]
    assert data["net_input"] == {
        "tensor": "input",
        "shape": [1, 3, 64, 64],
        "height": 64,
        "width": 64,
    }
    loaded = load_package(tmp_path / "pkg")
    assert loaded.input == package.input and loaded.output == package.output
    assert [n.op for n in loaded.host["suffix"].nodes] == ["Transpose", "Mul", "Add"]
    runtime = tmp_path / "pkg" / "runtime" / "qnnflow"
    assert (runtime / "packing.py").is_file() and (runtime / "driver" / "pipeline.py").is_file()


def test_ddr_layer_gives_group_major_output_and_weight_images(mini_ddr_folded, tmp_path):
    fin, (fout,) = stream_formats(mini_ddr_folded)
    node = next(n for n in mini_ddr_folded.graph.node if n.name == DDR_LAYER)
    head = getCustomOp(node)
    mw, mh = head.get_nodeattr("MW"), head.get_nodeattr("MH")
    assert fout.channel_groups == mh // DDR_PE and fout.per_word == DDR_PE
    assert fout.signed and fout.dtype == head.get_nodeattr("outputDataType")
    # the driver's stream order is the HLS backend's (network_sim.normal_to_stream)
    normal = np.arange(fout.elements).reshape(fout.shape)
    producer = mini_ddr_folded.find_producer(fout.tensor)
    backend_order = normal_to_stream(mini_ddr_folded, producer, normal)
    assert np.array_equal(to_stream_order(fout, normal)[0], backend_order)
    # by default the HLS backend's DDR image (the order the weight reader fetches) is written
    pkg = export_driver_package(mini_ddr_folded, tmp_path / "default")
    (image,) = pkg.weights
    ((port, expected),) = ddr_weight_images(mini_ddr_folded, node).items()
    assert image.node == DDR_LAYER and image.port == port
    assert image.bytes_per_frame == mw * mh * head.weight_dtype().bitwidth() // 8
    np.testing.assert_array_equal(pkg.weight_bytes(image), expected.reshape(-1))

    def hook(model, node):
        w = model.get_initializer(node.input[1])
        return {weight_port_name(node): np.packbits(w.reshape(-1) > 0, bitorder="little")}

    pkg = export_driver_package(mini_ddr_folded, tmp_path / "hook", weight_images=hook)
    (image,) = load_package(tmp_path / "hook").weights
    assert image.port == weight_port_name(node) and pkg.control
    assert pkg.weight_bytes(image).size == mw * mh // 8


def test_host_op_without_kernel_is_refused_at_export(mini_folded, tmp_path):
    from onnx import helper
    from qonnx.core.modelwrapper import ModelWrapper

    model = ModelWrapper(mini_folded.model.SerializeToString())
    out = model.graph.output[0].name
    last = model.find_producer(out)
    last.output[0] = "pre_softmax"
    model.graph.node.append(helper.make_node("Softmax", ["pre_softmax"], [out], name="head_sm"))
    with pytest.raises(QnnflowError, match="Softmax 'head_sm': no numpy host kernel"):
        export_driver_package(model, tmp_path / "pkg")
    assert not (tmp_path / "pkg").exists()


def test_package_errors(tmp_path, mini_folded):
    with pytest.raises(QnnflowError, match="not a driver package"):
        load_package(tmp_path)
    export_driver_package(mini_folded, tmp_path / "pkg", include_model=False)
    assert not (tmp_path / "pkg" / "model.onnx").exists()
    path = tmp_path / "pkg" / "accelerator.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "schema": 99}))
    with pytest.raises(QnnflowError, match="schema 99, this driver reads 1"):
        load_package(tmp_path / "pkg")
    # a single-output package of before (`output`, no ip.output_dmas) still loads
    old = {k: v for k, v in data.items() if k != "outputs"} | {"output": data["outputs"][0]}
    old["ip"] = {"dma": "dma", "accelerator": "accel"}
    path.write_text(json.dumps(old))
    package = load_package(tmp_path / "pkg")
    assert package.outputs == (package.output,) and package.output_dmas == ["dma"]
    data["ip"]["output_dmas"] = ["dma", "dma_out1"]
    path.write_text(json.dumps(data))
    with pytest.raises(QnnflowError, match=r"1 output stream\(s\) but ip.output_dmas names 2"):
        load_package(tmp_path / "pkg")
    data["ip"]["output_dmas"] = ["dma"]
    data["outputs"][0]["frame_bytes"] += 1
    path.write_text(json.dumps(data))
    with pytest.raises(QnnflowError, match="frame_bytes .* disagrees"):
        load_package(tmp_path / "pkg")


def test_weight_hook_must_cover_every_ddr_layer(mini_ddr_folded, tmp_path):
    export_driver_package(mini_ddr_folded, tmp_path / "pkg")  # an older package stays
    with pytest.raises(QnnflowError, match=rf"'{DDR_LAYER}' streams weights from DDR.*\[\]"):
        export_driver_package(mini_ddr_folded, tmp_path / "pkg", weight_images=lambda m, n: {})
    assert (tmp_path / "pkg" / "accelerator.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]  # no staging folder left


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_runtime_copy_builds_the_letterbox_shim_on_its_own(tmp_path):
    """The board's runtime copy carries the C++ letterbox and compiles it with g++ alone
    (no qnnflow.backends there), beside its sources, bit for bit the numpy letterbox."""
    runtime = copy_runtime(tmp_path)
    assert (runtime / "yolo" / "letterbox_shim.cpp").is_file()
    assert (runtime / "yolo" / "shim_build.py").is_file()
    assert not (runtime / "backends").exists()
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import numpy as np\n"
        "from qnnflow.yolo import letterbox_shim as s\n"
        "from qnnflow.yolo.letterbox import letterbox_hwc\n"
        "from qnnflow.driver.host_ops import uniform_counts\n"
        "assert s.__file__.startswith(sys.argv[1]), s.__file__\n"
        "im = np.random.default_rng(0).integers(0, 256, (21, 34, 3), np.uint8)\n"
        "t = ((np.arange(1, 256) - 0.5) / 255).astype(np.float32)\n"
        "got = s.letterbox_codes(s.letterbox_library(), im, 24, 24, t[None], True)\n"
        "assert (got[0] == uniform_counts(letterbox_hwc(im, 24, 24), t)).all()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(runtime.parent)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert list((runtime / "yolo" / "_shims").glob("letterbox_shim.*.so"))

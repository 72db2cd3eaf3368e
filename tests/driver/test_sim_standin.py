"""The "sim" backend end to end (export, g++ build of the stitched network, DMA bytes in and
out, timeout) on a graph of StreamingFIFOs, rendered by a documented test stand-in.

Stand-in: until the per-op HLS kernels exist, StreamingFIFO nodes are rendered here as a
word-for-word copy (which is what a FIFO computes); everything else is the project's real
code: network stitching and simulation templates, g++, the driver's packing. The real-kernel
tests are in test_accelerator.py (skipped while the kernels are absent)."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.deploy.export import export_driver_package
from qnnflow.backends.hls.layer_code import LayerCode, StreamSpec, c_identifier
from qnnflow.driver import Accelerator
from qnnflow.errors import QnnflowError
from qnnflow.ops import DOMAIN

COPY = """    for (unsigned i = 0; i < {words}; i++) {{
        QNNFLOW_COUNT_CYCLE();
        out0.write(in0.read());
    }}"""
HANG = "    for (;;) { QNNFLOW_COUNT_CYCLE(); }"


def _fifo_model(dtype: str = "INT4") -> ModelWrapper:
    """NCHW float in -> Transpose -> FIFO -> FIFO -> Transpose -> out (host, hw, host)."""
    shape = [1, 3, 4, 8]
    fifo = {
        "domain": DOMAIN,
        "shape": shape,
        "depth": 2,
        "elemsPerWord": 4,
        "inputDataType": dtype,
        "outputDataType": dtype,
    }
    nodes = [
        helper.make_node("Transpose", ["x"], ["a"], name="to_nhwc", perm=[0, 2, 3, 1]),
        helper.make_node("StreamingFIFO", ["a"], ["b"], name="fifo0", **fifo),
        helper.make_node("StreamingFIFO", ["b"], ["c"], name="fifo1", **fifo),
        helper.make_node("Transpose", ["c"], ["y"], name="to_nchw", perm=[0, 3, 1, 2]),
    ]
    graph = helper.make_graph(
        nodes,
        "fifos",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 3, 4])],
        value_info=[helper.make_tensor_value_info(t, TensorProto.FLOAT, shape) for t in "abc"],
    )
    model = ModelWrapper(helper.make_model(graph))
    for tensor in "abc":
        model.set_tensor_datatype(tensor, DataType[dtype])
    return model


def _stand_in(body: str):
    def render(model, node) -> LayerCode:
        op = getCustomOp(node)
        folded = op.folded_output_shape()
        dtype = op.output_dtype()
        words = int(np.prod(folded[:-1]))
        spec = StreamSpec(folded[-1], dtype.bitwidth(), dtype.signed(), words)
        return LayerCode(
            c_identifier(node.name),
            node.op_type,
            (spec,),
            spec,
            body.format(words=words) if "{words}" in body else body,
        )

    return render


@pytest.fixture
def stand_in(monkeypatch):
    def install(body: str):
        monkeypatch.setattr("qnnflow.backends.hls.network.render_node", _stand_in(body))
        monkeypatch.setattr("qnnflow.driver.sim_backends.renderers_available", lambda: True)
        monkeypatch.setattr("qnnflow.backends.deploy.export.renderers_available", lambda: True)

    return install


def test_sim_backend_moves_signed_frames_through_the_cpp_network(stand_in, tmp_path):
    stand_in(COPY)
    pkg = export_driver_package(_fifo_model(), tmp_path / "pkg")
    assert (pkg.input.per_word, pkg.input.bits, pkg.input.signed) == (4, 4, True)
    assert pkg.input.word_bytes == 2 and pkg.top == "qnnflow_accel"
    acc = Accelerator(pkg.root, backend="sim", cache_dir=tmp_path / "cpp")
    batch = np.random.default_rng(0).integers(-8, 8, (3, 3, 4, 8))
    got = acc.execute(batch)
    assert np.array_equal(got, batch)


def test_sim_backend_times_out_on_a_hung_network(stand_in, tmp_path):
    stand_in(HANG)
    pkg = export_driver_package(_fifo_model("UINT2"), tmp_path / "pkg")
    acc = Accelerator(pkg.root, backend="sim", timeout=0.5, cache_dir=tmp_path / "cpp")
    with pytest.raises(QnnflowError, match=r"did not finish 1 frame\(s\) in 0.5 s"):
        acc.execute(np.zeros((1, 3, 4, 8)))


RUNTIME_ONLY = """
import sys
import numpy as np
import qnnflow
assert qnnflow.__file__.startswith(sys.argv[1]), qnnflow.__file__
from qnnflow.driver import Accelerator
batch = np.arange(2 * 3 * 4 * 8).reshape(2, 3, 4, 8) % 16 - 8
got = Accelerator(".", backend="sim").execute(batch)
assert np.array_equal(got, batch), got
import importlib.util
assert importlib.util.find_spec("qnnflow.backends") is None
print("ok", ",".join(sorted(m for m in sys.modules if m.split(".")[0] in ("qonnx", "onnx"))))
"""


def test_sim_backend_runs_from_the_package_runtime_alone(stand_in, tmp_path):
    """`cd deploy && PYTHONPATH=runtime python ...`: the runtime copy (no qnnflow install,
    no qonnx) compiles and runs the package's sim/ sources."""
    import subprocess
    import sys

    stand_in(COPY)
    pkg = export_driver_package(_fifo_model(), tmp_path / "deploy")
    runtime = str(pkg.root / "runtime")
    env = {"PYTHONPATH": "runtime", "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [sys.executable, "-c", RUNTIME_ONLY, runtime],
        cwd=pkg.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == "ok"  # neither qonnx nor onnx was imported
    assert len(list((pkg.root / ".sim-build").glob("*/sim"))) == 1

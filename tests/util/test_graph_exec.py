"""The prepared executor equals qonnx's execute_onnx bit for bit (every tensor, dtype and
shape) on each step's model of the micro build, a shrunk FINN TFC and CNV build and (slow) the
default model's build, on random and edge inputs; its sanitizer equals qonnx's on off-grid,
NaN and out-of-threshold values."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.util.basic import sanitize_quant_values

from qnnflow.flow import BuildConfig, run_build
from qnnflow.util.graph_exec import PreparedGraph, sanitize_tensor
from qnnflow.verify.inputs import verification_inputs
from tests.flow.micro import micro_config, micro_model

DEFAULT_MODEL = Path(__file__).parents[2] / "data" / "models" / "tinier-yolo-mini.cfg"


def _same_as_qonnx(model: ModelWrapper, cases: int) -> None:
    name = model.graph.input[0].name
    prepared = PreparedGraph(model)
    for label, x in verification_inputs(model, seed=3, count=2)[:cases]:
        expected = execute_onnx(model, {name: x}, return_full_exec_context=True)
        got = prepared.run({name: x}, full=True)
        assert set(got) <= set(expected)
        for tensor, value in got.items():
            if tensor:
                want = expected[tensor]
                assert value.dtype == want.dtype and value.shape == want.shape, (label, tensor)
                assert np.array_equal(value, want, equal_nan=True), (label, tensor)
        outputs = prepared.run({name: x})
        assert list(outputs) == [o.name for o in model.graph.output]


def _every_step(build: Path, cases: int = 4) -> None:
    paths = sorted(build.glob("[0-9][0-9]_*.onnx"))
    assert len(paths) >= 8
    for path in paths:
        _same_as_qonnx(ModelWrapper(str(path)), cases)


@pytest.fixture(scope="module")
def micro_steps(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("micro_exec")
    return run_build(micro_config(micro_model(root / "m"), root / "b", to_step="fold")).output_dir


def test_micro_build_every_step_equals_qonnx(micro_steps):
    _every_step(micro_steps)


@pytest.mark.parametrize("net", ["tfc", "cnv"])
def test_finn_network_every_step_equals_qonnx(net, tmp_path):
    pytest.importorskip("brevitas_examples")
    from tests.finn_networks import export, small_network

    path = export(*small_network(net, "1w2a", seed=1), tmp_path / f"{net}.onnx")
    build = run_build(BuildConfig(model=path, output_root=tmp_path / "b", to_step="fold"))
    _every_step(build.output_dir, cases=3)


@pytest.mark.slow
def test_default_model_every_step_equals_qonnx(tmp_path):
    build = run_build(BuildConfig(model=DEFAULT_MODEL, output_root=tmp_path, to_step="fold"))
    _every_step(build.output_dir, cases=2)


def test_reused_prepared_graph_keeps_its_weights(micro_steps):
    """Runs share the initializers: a later run sees them unchanged."""
    model = ModelWrapper(str(micro_steps / "08_fold.onnx"))
    prepared = PreparedGraph(model)
    name = model.graph.input[0].name
    x = verification_inputs(model, seed=0)[0][1]
    first = prepared.run({name: x})
    prepared.run({name: np.zeros_like(x)})
    again = prepared.run({name: x})
    for key, value in first.items():
        assert np.array_equal(value, again[key])


class _Model:
    def __init__(self, dtype) -> None:
        self.dtype = dtype

    def get_tensor_datatype(self, name):
        return self.dtype


SANITIZE_CASES = [
    ("on grid", DataType["INT4"], np.array([[-8, 0, 7]], np.float32)),
    ("slightly off", DataType["UINT3"], np.array([0.004, 2.996, 5.0], np.float32)),
    ("NaN later", DataType["UINT3"], np.array([0.001, np.nan, 3.0], np.float32)),
    ("bipolar", DataType["BIPOLAR"], np.array([-1.0, 1.0, 1.0], np.float32)),
    ("float", DataType["FLOAT32"], np.array([0.3, np.nan], np.float32)),
]


@pytest.mark.parametrize(("label", "dtype", "values"), SANITIZE_CASES)
def test_sanitize_equals_qonnx(label, dtype, values):
    expected = sanitize_quant_values(_Model(dtype), ["t"], {"t": values.copy()})["t"]
    context = {"t": values.copy()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sanitize_tensor("t", dtype, context)
    assert context["t"].dtype == expected.dtype
    assert np.array_equal(context["t"], expected, equal_nan=True), label


@pytest.mark.parametrize(
    "values",
    [np.array([0.0, 2.4], np.float32), np.array([np.nan, 1.0], np.float32)],
    ids=["rounding too far", "NaN first"],
)
def test_sanitize_rejects_what_qonnx_rejects(values):
    with pytest.raises(Exception, match="Rounding error is too high"):
        sanitize_quant_values(_Model(DataType["UINT3"]), ["t"], {"t": values.copy()})
    with warnings.catch_warnings(), pytest.raises(Exception, match="Rounding error is too high"):
        warnings.simplefilter("ignore")
        sanitize_tensor("t", DataType["UINT3"], {"t": values.copy()})

"""The graph executor (qnnflow.util.graph_exec) equals qonnx's execute_onnx bit for bit: every
tensor (dtype and shape too) on each step's model of the micro build, a shrunk FINN TFC and
CNV build and (slow) the default model's build, on random and edge inputs; every op type one
node at a time against the float64 oracle; folded networks with host nodes, FIFOs, width
converters, channel-group-major (DDR-streamed) layers and branches; its sanitizer rounds and
rejects as qonnx's does (off-grid, NaN, out-of-threshold values); the trained Tinier-YOLO's
folded hidden layers still give the board's verification.bin (0 of 86,528 differ)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp
from qonnx.util.basic import sanitize_quant_values

from qnnflow.errors import QnnflowError
from qnnflow.flow import BuildConfig, run_build
from qnnflow.ops.bipolar import thresholded_output, xnor_popcount
from qnnflow.util.graph_exec import PreparedGraph, all_allowed, execute_graph, sanitize_tensor
from qnnflow.verify.inputs import verification_inputs
from tests.backends.hls.test_branched_network_cpp import branched_model
from tests.backends.hls.test_global_pool_cpp import pool_model
from tests.flow.micro import micro_config, micro_model
from tests.ops import oracle
from tests.ops.helpers import single_node_model

DEFAULT_MODEL = Path(__file__).parents[2] / "data" / "models" / "tinier-yolo-mini.cfg"
RNG = np.random.default_rng(1)


def _same_as_qonnx(model, x: np.ndarray) -> dict[str, np.ndarray]:
    name = model.graph.input[0].name
    fast, slow = execute_graph(model, {name: x}), execute_onnx(model, {name: x})
    assert fast.keys() == slow.keys()
    for key in slow:
        np.testing.assert_array_equal(fast[key], slow[key])
    return fast


def _mvu_model(in_dt: str, w_dt: str, out_dt: str, t: int, act_val: int = 0):
    mw, mh, lead = 21, 6, [1, 3, 5]
    lo, hi = (-1, 1) if w_dt == "BIPOLAR" else (-2, 1)
    w = RNG.integers(lo, hi + 1, (mw, mh)).astype(np.float32)
    if w_dt == "BIPOLAR":
        w[w == 0] = 1
    params = {"W": w}
    if t:
        params["T"] = np.sort(RNG.integers(-mw, mw, (mh, t)), axis=-1).astype(np.float32)
    model = single_node_model(
        "MatrixVectorUnit",
        [*lead, mw],
        [*lead, mh],
        params,
        MW=mw,
        MH=mh,
        PE=3,
        SIMD=7,
        numInputVectors=lead,
        weightDataType=w_dt,
        numThresholds=t,
        ActVal=act_val,
        inputDataType=in_dt,
        outputDataType=out_dt,
    )
    return model, params


def _oracle_mvu(x, params, xnor: bool, out_dt, act_val: int) -> np.ndarray:
    acc = oracle.matrix_vector(x, params["W"])
    if "T" not in params:
        return acc
    if xnor:
        acc = xnor_popcount(acc, params["W"].shape[0])
    counts = oracle.multithreshold_last_axis(acc, params["T"])
    return thresholded_output(counts, out_dt, act_val)


@pytest.mark.parametrize(
    "in_dt,w_dt,out_dt,t,act_val",
    [
        ("UINT3", "BIPOLAR", "UINT3", 7, 0),  # the Tinier-YOLO's layers
        ("INT4", "INT2", "INT3", 7, -4),  # signed, an activation offset
        ("UINT2", "INT2", "INT32", 0, 0),  # the accumulator itself
        ("UINT3", "INT2", "BIPOLAR", 1, 0),  # sign activation
        ("BIPOLAR", "BIPOLAR", "UINT2", 3, 0),  # XNOR popcount thresholds
        ("BIPOLAR", "BIPOLAR", "INT32", 0, 0),  # XNOR without thresholds: 2p - MW
    ],
)
def test_matrix_vector_unit_equals_oracle(in_dt, w_dt, out_dt, t, act_val):
    model, params = _mvu_model(in_dt, w_dt, out_dt, t, act_val)
    op = getCustomOp(model.graph.node[0])
    shape = op.normal_input_shape()
    x = RNG.integers(0, 2, shape) * 2 - 1 if in_dt == "BIPOLAR" else RNG.integers(-8, 8, shape)
    if in_dt.startswith("UINT"):
        x = np.abs(x) % 2 ** int(in_dt[4:])
    x = x.astype(np.float32)
    out = _same_as_qonnx(model, x)["y"]
    expected = _oracle_mvu(x, params, op.xnor_mode(), op.output_dtype(), act_val)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("in_dt,out_dt,act_val", [("INT8", "UINT4", 0), ("UINT4", "BIPOLAR", 0)])
def test_thresholding_equals_oracle(in_dt, out_dt, act_val):
    t = 15 if out_dt == "UINT4" else 1
    thresholds = np.sort(RNG.integers(-20, 20, (5, t)), axis=-1).astype(np.float32)
    model = single_node_model(
        "Thresholding",
        [1, 2, 3, 5],
        [1, 2, 3, 5],
        {"T": thresholds},
        NumChannels=5,
        PE=5,
        numInputVectors=[1, 2, 3],
        numThresholds=t,
        ActVal=act_val,
        inputDataType=in_dt,
        outputDataType=out_dt,
    )
    low = -20 if in_dt.startswith("INT") else 0
    x = RNG.choice(np.arange(low, 16), (1, 2, 3, 5)).astype(np.float32)
    x.flat[:t] = thresholds[0, :t]  # values on thresholds
    counts = oracle.multithreshold_last_axis(x, thresholds)
    expected = thresholded_output(counts, getCustomOp(model.graph.node[0]).output_dtype(), 0)
    np.testing.assert_array_equal(_same_as_qonnx(model, x)["y"], expected)


@pytest.mark.parametrize("dtype,word", [("UINT3", 2), ("INT3", 4)])
def test_branches_fork_pool_add_concat_upsample(dtype, word):
    model = branched_model(dtype, word)
    low = -4 if dtype == "INT3" else 0
    x = RNG.integers(low, low + 8, model.get_tensor_shape("x")).astype(np.float32)
    _same_as_qonnx(model, x)


def test_global_pool():
    model = pool_model(3, 5, 6, "UINT4", pe=3)
    _same_as_qonnx(model, RNG.integers(0, 16, (1, 3, 5, 6)).astype(np.float32))


@pytest.mark.parametrize("fixture", ["mini_folded", "mini_ddr_folded"])
def test_folded_default_model_with_host_nodes(fixture, request):
    """Host nodes (quantizer, transposes), FIFOs, width converters, and in mini_ddr_folded
    a DDR-streamed head whose stream leaves channel-group-major."""
    model = request.getfixturevalue(fixture)
    shape = model.get_tensor_shape(model.graph.input[0].name)
    _same_as_qonnx(model, RNG.uniform(0, 1, shape).astype(np.float32))


def test_rounds_near_integers_as_qonnx_and_names_far_ones():
    model = pool_model(2, 2, 3, "UINT4", pe=3)
    x = RNG.integers(0, 16, (1, 2, 2, 3)).astype(np.float32)
    x[0, 0, 0, 0] += 0.004  # within qonnx's execution error threshold: rounded
    with pytest.warns(UserWarning, match="rounded"):
        _same_as_qonnx(model, x)
    x[0, 0, 0, 0] += 0.3
    with pytest.raises(QnnflowError, match="tensor 'x': values differ from UINT4"):
        with pytest.warns(UserWarning, match="rounded"):
            execute_graph(model, {"x": x})


def test_wrong_input_shape_is_a_clear_error():
    model = pool_model(2, 2, 3, "UINT4", pe=3)
    with pytest.raises(
        QnnflowError, match=r"input 'x' has shape \[1, 2, 3, 3\], the graph expects"
    ):
        execute_graph(model, {"x": np.zeros((1, 2, 3, 3), np.float32)})


@pytest.mark.parametrize("name", ["INT4", "UINT3", "BINARY", "BIPOLAR", "TERNARY", "INT32"])
def test_allowed_check_equals_qonnx(name):
    dtype = DataType[name]
    cases = [[-1, 1], [0, 1], [-1, 0, 1], [3, -8], [7, 15], [0.5], [np.nan], [np.inf], [-9], []]
    for case in cases:
        values = np.array(case, np.float32)
        assert all_allowed(dtype, values) == bool(np.all(dtype.allowed(values))), case


def test_trained_tinier_yolo_hidden_layers_match_board_golden(tinier_yolo_dir):
    """What `qnnflow sim --level python` runs on the folded hidden layers."""
    from tests.tinier_golden import folded_hidden_layers, golden_input, golden_mismatches

    model = folded_hidden_layers(tinier_yolo_dir)
    x = golden_input(tinier_yolo_dir)
    out = execute_graph(model, {model.graph.input[0].name: x})[model.graph.output[0].name]
    assert golden_mismatches(out[0], tinier_yolo_dir) == (0, 86528)


def _every_tensor_as_qonnx(model: ModelWrapper, cases: int) -> None:
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
        outputs = prepared.run({name: x})  # lean: tensors dropped after their last reader
        assert list(outputs) == [o.name for o in model.graph.output]
        for tensor, value in outputs.items():
            assert np.array_equal(value, expected[tensor], equal_nan=True), (label, tensor)


def _every_step(build: Path, cases: int = 4) -> None:
    paths = sorted(build.glob("[0-9][0-9]_*.onnx"))
    assert len(paths) >= 8
    for path in paths:
        _every_tensor_as_qonnx(ModelWrapper(str(path)), cases)


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
    with warnings.catch_warnings(), pytest.raises(QnnflowError, match="tensor 't': values differ"):
        warnings.simplefilter("ignore")
        sanitize_tensor("t", DataType["UINT3"], {"t": values.copy()})


def test_blas_threads_and_one_shot_runs_agree(micro_steps):
    """execute_graph (one shot) and a prepared graph with or without a BLAS limit agree."""
    model = ModelWrapper(str(micro_steps / "08_fold.onnx"))
    name = model.graph.input[0].name
    x = verification_inputs(model, seed=1)[0][1]
    prepared = PreparedGraph(model)
    once = execute_graph(model, {name: x})
    for threads in (1, 2, None):
        again = prepared.run({name: x}, blas_threads=threads)
        for key, value in once.items():
            np.testing.assert_array_equal(value, again[key])


def test_unsorted_graph_is_a_clear_error(micro_steps):
    model = ModelWrapper(str(micro_steps / "02_tidy.onnx"))
    nodes = list(model.graph.node)
    del model.graph.node[:]
    model.graph.node.extend(reversed(nodes))
    name = model.graph.input[0].name
    x = np.zeros(model.get_tensor_shape(name), np.float32)
    with pytest.raises(QnnflowError, match="not topologically sorted"):
        execute_graph(model, {name: x})

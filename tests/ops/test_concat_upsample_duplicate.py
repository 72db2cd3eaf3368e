"""StreamingConcat vs onnxruntime Concat, Upsample vs onnxruntime Resize (nearest), and the
DuplicateStreams fork, each run through qonnx's executor with its folding, cycles and
resources checked against the documented formulas."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.ops import DOMAIN, FoldingError
from qnnflow.ops.concat import smallest_int_type
from tests.ops.helpers import op_of, run, single_node_model


def ort_run(node, inputs: dict[str, np.ndarray], initializers=()) -> np.ndarray:
    graph = helper.make_graph(
        [node],
        "ref",
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, None) for k in inputs],
        [helper.make_tensor_value_info(node.output[0], TensorProto.FLOAT, None)],
        initializer=list(initializers),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    session = ort.InferenceSession(model.SerializeToString())
    feeds = {k: v.astype(np.float32) for k, v in inputs.items()}
    return session.run(None, feeds)[0]


def concat_model(h, w, channels, dtypes, out_dtype, simd=1) -> ModelWrapper:
    names = [f"x{i}" for i in range(len(channels))]
    node = helper.make_node(
        "StreamingConcat",
        names,
        ["y"],
        name="concat",
        domain=DOMAIN,
        ImgDim=[h, w],
        ChannelsPerStream=list(channels),
        inputDataTypes=list(dtypes),
        outputDataType=out_dtype,
        SIMD=simd,
    )
    graph = helper.make_graph(
        [node],
        "c",
        [
            helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, h, w, c])
            for n, c in zip(names, channels, strict=True)
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    model = ModelWrapper(helper.make_model(graph))
    for n, dt in zip(names, dtypes, strict=True):
        model.set_tensor_datatype(n, DataType[dt])
    return model.transform(InferShapes()).transform(InferDataTypes())


def random_of(rng, dtype: str, shape) -> np.ndarray:
    dt = DataType[dtype]
    if dt == DataType["BIPOLAR"]:
        return rng.choice([-1, 1], size=shape)
    return rng.integers(int(dt.min()), int(dt.max()) + 1, size=shape)


@pytest.mark.parametrize(
    "channels,dtypes,simd,expected_out",
    [
        ((4, 8), ("UINT3", "UINT3"), 4, "UINT3"),
        ((6, 3, 9), ("UINT3", "INT4", "UINT4"), 3, "INT5"),  # 15 needs INT5 once signed
        ((2, 2), ("BIPOLAR", "UINT2"), 2, "INT3"),
    ],
)
def test_concat_matches_onnxruntime_and_widens_types(channels, dtypes, simd, expected_out):
    rng = np.random.default_rng(len(channels))
    out_dtype = smallest_int_type([DataType[d] for d in dtypes]).name
    assert out_dtype == expected_out
    model = concat_model(3, 5, channels, dtypes, out_dtype, simd)
    assert model.get_tensor_shape("y") == [1, 3, 5, sum(channels)]
    assert model.get_tensor_datatype("y") == DataType[expected_out]
    xs = {
        f"x{i}": random_of(rng, d, (1, 3, 5, c))
        for i, (c, d) in enumerate(zip(channels, dtypes, strict=True))
    }
    out = execute_onnx(model, {k: v.astype(np.float32) for k, v in xs.items()})["y"]
    expected = ort_run(helper.make_node("Concat", list(xs), ["y"], axis=3), xs)
    np.testing.assert_array_equal(out, expected)
    op = op_of(model)
    op.check_folding()
    assert op.cycles() == 3 * 5 * sum(channels) // simd
    assert op.folded_input_shape(1) == (1, 3, 5, channels[1] // simd, simd)
    assert op.instream_width_bits(1) == simd * DataType[dtypes[1]].bitwidth()
    assert op.outstream_width_bits() == simd * DataType[expected_out].bitwidth()
    assert op.resources()["LUT"] == 40 + len(channels) * simd * DataType[expected_out].bitwidth()


def test_smallest_int_type_covers_ranges():
    pick = [DataType[n] for n in ("UINT3", "UINT8")]
    assert smallest_int_type(pick).name == "UINT8"
    assert smallest_int_type([DataType["INT3"], DataType["UINT2"]]).name == "INT3"
    assert smallest_int_type([DataType["BINARY"], DataType["BIPOLAR"]]).name == "INT2"
    with pytest.raises(ValueError, match="integer"):
        smallest_int_type([DataType["FLOAT32"]])


@pytest.mark.parametrize(
    "channels,dtypes,out,simd,message",
    [
        ((4, 6), ("UINT3", "UINT3"), "UINT3", 4, "SIMD=4 must divide channels of input 1=6"),
        ((4, 4), ("UINT3", "INT4"), "UINT3", 1, "cannot hold input 1 of type INT4 \\(use INT4"),
    ],
)
def test_concat_folding_errors_are_clear(channels, dtypes, out, simd, message):
    model = concat_model(2, 2, channels, dtypes, out, simd)
    with pytest.raises(FoldingError, match=message):
        op_of(model).check_folding()


@pytest.mark.parametrize(
    "h,w,factors,simd", [(3, 4, (2, 2), 2), (2, 3, (3, 1), 1), (1, 1, (4, 4), 6)]
)
@pytest.mark.parametrize("mode", ["darknet", "half_pixel"])
def test_upsample_matches_onnxruntime_resize(h, w, factors, simd, mode):
    rng = np.random.default_rng(h * w)
    x = rng.integers(-4, 4, size=(1, h, w, 6))
    fh, fw = factors
    model = single_node_model(
        "Upsample",
        [1, h, w, 6],
        [1, h * fh, w * fw, 6],
        ImgDim=[h, w],
        Factor=[fh, fw],
        NumChannels=6,
        SIMD=simd,
        inputDataType="INT3",
        outputDataType="INT3",
    )
    attrs = (
        {"coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
        if mode == "darknet"
        else {}  # ONNX defaults: half_pixel, round_prefer_floor
    )
    scales = helper.make_tensor("s", TensorProto.FLOAT, [4], [1.0, 1.0, fh, fw])
    node = helper.make_node("Resize", ["x", "", "s"], ["y"], mode="nearest", **attrs)
    expected = ort_run(node, {"x": x.transpose(0, 3, 1, 2)}, [scales]).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(run(model, x), expected)
    op = op_of(model)
    op.check_folding()
    assert op.cycles() == h * fh * w * fw * 6 // simd
    assert op.row_buffer_words() == w * 6 // simd
    assert op.resources()["LUTRAM"] == np.ceil(w * 6 / simd / 64) * simd * 3


def test_upsample_row_buffer_moves_to_bram_when_deep():
    model = single_node_model(
        "Upsample",
        [1, 26, 26, 128],
        [1, 52, 52, 128],
        ImgDim=[26, 26],
        Factor=[2, 2],
        NumChannels=128,
        SIMD=8,
        inputDataType="UINT3",
        outputDataType="UINT3",
    )
    res = op_of(model).resources()
    assert res["LUTRAM"] == 0 and res["BRAM36"] == 1  # 416 words x 24 bits


@pytest.mark.parametrize(
    "attrs,message",
    [
        ({"Factor": [2, 0], "SIMD": 1}, "Factor must be two integers >= 1"),
        ({"Factor": [2, 2], "SIMD": 4}, "SIMD=4 must divide channels=6"),
        ({"Factor": [2, 2], "SIMD": 1, "outputDataType": "UINT4"}, "differs from input"),
    ],
)
def test_upsample_folding_errors(attrs, message):
    base = {"outputDataType": "UINT3", **attrs}
    model = single_node_model(
        "Upsample",
        [1, 2, 2, 6],
        [1, 4, 4, 6],
        ImgDim=[2, 2],
        NumChannels=6,
        inputDataType="UINT3",
        **base,
    )
    with pytest.raises(FoldingError, match=message):
        op_of(model).check_folding()


def duplicate_model(n: int, simd: int, channels: int = 8) -> ModelWrapper:
    outs = [f"y{i}" for i in range(n)]
    node = helper.make_node(
        "DuplicateStreams",
        ["x"],
        outs,
        name="dup",
        domain=DOMAIN,
        shape=[1, 3, 4, channels],
        NumOutputStreams=n,
        SIMD=simd,
        inputDataType="UINT3",
        outputDataType="UINT3",
    )
    graph = helper.make_graph(
        [node],
        "d",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, channels])],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outs],
    )
    model = ModelWrapper(helper.make_model(graph))
    model.set_tensor_datatype("x", DataType["UINT3"])
    return model.transform(InferShapes()).transform(InferDataTypes())


@pytest.mark.parametrize("n,simd", [(2, 1), (3, 4)])
def test_duplicate_streams_copies_to_every_output(n, simd):
    model = duplicate_model(n, simd)
    for i in range(n):
        assert model.get_tensor_shape(f"y{i}") == [1, 3, 4, 8]
        assert model.get_tensor_datatype(f"y{i}") == DataType["UINT3"]
    x = np.random.default_rng(n).integers(0, 8, size=(1, 3, 4, 8)).astype(np.float32)
    out = execute_onnx(model, {"x": x})
    for i in range(n):
        np.testing.assert_array_equal(out[f"y{i}"], x)
    op = getCustomOp(model.graph.node[0])
    op.check_folding()
    assert op.cycles() == 3 * 4 * 8 // simd
    assert op.resources()["FF"] == 20 + n * simd * 3


def test_duplicate_streams_rejects_bad_folding():
    model = duplicate_model(2, 3)
    with pytest.raises(FoldingError, match="SIMD=3 must divide channels=8"):
        op_of(model).check_folding()
    op_of(model).set_nodeattr("NumOutputStreams", 3)
    with pytest.raises(FoldingError, match="2 outputs for NumOutputStreams=3"):
        op_of(model).check_folding()


def test_streaming_add_answers_the_op_contract():
    """Shapes, per-input types, sum type, cycles, resources, folding choices and errors."""
    from qnnflow.ops.add import sum_type

    node = helper.make_node(
        "StreamingAdd",
        ["a", "b"],
        ["y"],
        name="add",
        domain=DOMAIN,
        NumChannels=6,
        PE=3,
        numInputVectors=[1, 3, 5],
        inputDataTypes=["UINT8", "INT8"],
        outputDataType="INT10",
    )
    graph = helper.make_graph(
        [node],
        "a",
        [helper.make_tensor_value_info(t, TensorProto.FLOAT, [1, 3, 5, 6]) for t in "ab"],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    model = ModelWrapper(helper.make_model(graph)).transform(InferShapes())
    model = model.transform(InferDataTypes())
    assert model.get_tensor_shape("y") == [1, 3, 5, 6]
    assert model.get_tensor_datatype("y") == DataType["INT10"]
    assert sum_type(DataType["UINT8"], DataType["INT8"]) == DataType["INT10"]  # [-128, 382]
    assert sum_type(DataType["BIPOLAR"]) == DataType["INT3"]
    op = op_of(model)
    op.check_folding()
    assert op.cycles() == 3 * 5 * 6 // 3 == op.words_per_frame(1)
    assert op.instream_width_bits(1) == 24 and op.outstream_width_bits() == 30
    assert op.resources()["LUT"] == 20 + 3 * 10
    assert op.fold_choices() == {"PE": [1, 2, 3, 6]} and op.fill_words() == 1
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 256, (1, 3, 5, 6)), rng.integers(-128, 128, (1, 3, 5, 6))
    out = execute_onnx(model, {"a": a.astype(np.float32), "b": b.astype(np.float32)})["y"]
    np.testing.assert_array_equal(out, a + b)
    op.set_nodeattr("outputDataType", "INT9")
    with pytest.raises(FoldingError, match="INT9 cannot hold sums in \\[-128, 382\\]"):
        op.check_folding()
    op.set_nodeattr("outputDataType", "INT10")
    op.set_nodeattr("PE", 4)
    with pytest.raises(FoldingError, match="PE=4 must divide channels=6"):
        op.check_folding()

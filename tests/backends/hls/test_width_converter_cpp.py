"""WidthConverter's C++ kernel against the op's numpy execution (any pair of word sizes,
including non-multiples such as 6 -> 4, and group-major streams), and the AXI-Stream
adapters that pad internal words to whole bytes for the DMA."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import LayerCode, StreamSpec
from qnnflow.backends.hls.layer_sim import simulate_layer
from qnnflow.backends.hls.ops.width_converter import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from qnnflow.ops.stream_order import sync_passthrough_replays
from qnnflow.packing import pack, to_group_major
from tests.backends.hls.test_pad_cpp import frames_of
from tests.backends.hls.test_stream_order_cpp import behind_mvu, replaying_window_chain
from tests.ops.helpers import run, single_node_model

UINT3 = dict(inputDataType="UINT3", outputDataType="UINT3")


def op_of(model, index=0):
    return getCustomOp(model.graph.node[index])


def converter_model(shape, in_elems, out_elems, dtype="UINT3"):
    return single_node_model(
        "WidthConverter",
        list(shape),
        list(shape),
        shape=list(shape),
        inElems=in_elems,
        outElems=out_elems,
        inputDataType=dtype,
        outputDataType=dtype,
    )


@pytest.mark.parametrize(
    "in_elems,out_elems,dtype",
    [
        (6, 4, "UINT3"),
        (4, 6, "INT4"),
        pytest.param(2, 6, "UINT3", marks=pytest.mark.slow),
        (12, 1, "INT8"),
        pytest.param(1, 12, "UINT3", marks=pytest.mark.slow),
    ],
)
def test_converter_matches_numpy(in_elems, out_elems, dtype):
    model = converter_model((1, 3, 5, 12), in_elems, out_elems, dtype)
    op = op_of(model)
    x = frames_of((op.input_dtype().min(), op.input_dtype().max()), [1, 3, 5, 12], in_elems)
    expected = np.concatenate([run(model, f[None]) for f in x]).reshape(3, -1)
    code = render(model, model.graph.node[0])
    assert (code.inputs[0].per_word, code.output.per_word) == (in_elems, out_elems)
    result = simulate_layer(code, [x])
    np.testing.assert_array_equal(result.stream, expected)
    assert result.cycles_per_frame == op.cycles()


def test_group_major_stream_keeps_its_order():
    model = converter_model((1, 3, 5, 12), 2, 3)
    x = frames_of((0, 7), [1, 3, 5, 12], 7)
    model = behind_mvu(model, 2)
    result = simulate_layer(render(model, model.graph.node[1]), [to_group_major(x, 2)])
    np.testing.assert_array_equal(result.stream, to_group_major(x, 2))


def test_words_straddling_channel_groups_are_refused():
    model = behind_mvu(converter_model((1, 3, 5, 12), 6, 4), 2)
    with pytest.raises(QnnflowError, match="outElems=4 must divide the 6 channels of each"):
        render(model, model.graph.node[1])


def test_illegal_word_sizes_are_refused_before_any_code():
    model = converter_model((1, 3, 5, 12), 6, 5)
    with pytest.raises(FoldingError, match="outElems=5 must divide last axis=12"):
        render(model, model.graph.node[0])


# ---- AXI-Stream adapters: 3 x 3-bit elements (9 bits) travel in 16-bit DMA words ---------
WORDS = 10
PADDED = StreamSpec(1, 16, False, WORDS)
ELEMENTS = StreamSpec(3, 3, False, WORDS)


def adapter_layer(name, inputs, output, body) -> LayerCode:
    code = f"    constexpr unsigned N = {WORDS};\n{body}"
    return LayerCode(name, "AxiAdapter", (inputs,), output, code, ("qnnflow/axi_adapters.hpp",))


def random_elements(seed):
    return np.random.default_rng(seed).integers(0, 8, size=(2, WORDS, 3))


def dma_words(values):
    """The host's packing (qnnflow.packing) of each 9-bit word into 2 little-endian bytes."""
    return pack(values, 3, 8).view("<u2").astype(np.int64)[..., 0]


def test_axis_to_stream_drops_the_padding_bits():
    values = random_elements(1)
    junk = np.random.default_rng(2).integers(0, 128, size=(2, WORDS)) << 9
    body = "    qnnflow::axis_to_stream<N, 9>(in0, out0);"
    code = adapter_layer("axis_in", PADDED, ELEMENTS, body)
    result = simulate_layer(code, [dma_words(values) | junk])
    np.testing.assert_array_equal(result.stream, values.reshape(2, -1))
    assert result.cycles_per_frame == WORDS


def test_stream_to_axis_zero_pads_to_bytes():
    values = random_elements(3)
    body = "    qnnflow::stream_to_axis<N, 9>(in0, out0);"
    result = simulate_layer(adapter_layer("axis_out", ELEMENTS, PADDED, body), [values])
    np.testing.assert_array_equal(result.stream, dma_words(values))


def test_stream_to_axis_last_marks_the_frame_end_and_every_byte():
    """Bits 15, 14, 13 of the checked word carry TLAST, TKEEP==0b11 and TSTRB==0b11."""
    values = random_elements(4)
    body = """    hls::stream<qnnflow::axis_word<16>> axis("axis");
    qnnflow::stream_to_axis_last<N, 9>(in0, axis);
    for (unsigned i = 0; i < N; i++) {
        qnnflow::axis_word<16> word = axis.read();
        ap_uint<16> tagged = word.data;
        tagged[15] = word.last;
        tagged[14] = word.keep == 3;
        tagged[13] = word.strb == 3;
        out0.write(tagged);
    }"""
    result = simulate_layer(adapter_layer("axis_last", ELEMENTS, PADDED, body), [values])
    flags = (1 << 14) | (1 << 13) | np.where(np.arange(WORDS) == WORDS - 1, 1 << 15, 0)
    np.testing.assert_array_equal(result.stream, dma_words(values) | flags)


def test_axis_last_to_stream_reads_the_data_field():
    values = random_elements(5)
    body = """    hls::stream<qnnflow::axis_word<16>> axis("axis");
    for (unsigned i = 0; i < N; i++) {
        qnnflow::axis_word<16> word;
        word.data = in0.read();
        word.keep = 3;
        word.strb = 3;
        word.last = i == N - 1;
        axis.write(word);
    }
    qnnflow::axis_last_to_stream<N, 9>(axis, out0);"""
    code = adapter_layer("axis_last_in", PADDED, ELEMENTS, body)
    result = simulate_layer(code, [dma_words(values) | (1 << 12)])
    np.testing.assert_array_equal(result.stream, values.reshape(2, -1))


def test_converter_behind_a_replaying_window_converts_every_replay():
    tail = [
        ("StreamingFIFO", dict(shape=[1, 3, 3, 72], depth=2, elemsPerWord=8, **UINT3)),
        ("WidthConverter", dict(shape=[1, 3, 3, 72], inElems=8, outElems=6, **UINT3)),
    ]
    model = replaying_window_chain(2, tail)
    sync_passthrough_replays(model)
    assert [op_of(model, i).get_nodeattr("frameReplays") for i in (1, 2)] == [2, 2]
    code = render(model, model.graph.node[2])
    assert (code.inputs[0].words, code.output.words) == (2 * 81, 2 * 108)
    x = np.random.default_rng(6).integers(0, 8, size=(2, 2 * 3 * 3 * 72))
    result = simulate_layer(code, [x])
    np.testing.assert_array_equal(result.stream, x)
    assert result.cycles_per_frame == op_of(model, 2).cycles() == 2 * 108

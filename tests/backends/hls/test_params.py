"""Parameter layouts of the HLS kernels, checked against element-by-element Python loops that
spell out the documented layouts: weight codes, folded ROM words, the stream_ddr DDR image,
folded thresholds and the generated C++ arrays."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.datatype import DataType

from qnnflow.backends.hls import params
from qnnflow.errors import QnnflowError
from tests.ops.helpers import single_node_model


def word_value(codes: list[int], bits: int) -> int:
    """Element k of a word in bits [k*bits, (k+1)*bits)."""
    return sum(int(c) << (k * bits) for k, c in enumerate(codes))


@pytest.mark.parametrize(
    "name,values,bits,codes",
    [
        ("BIPOLAR", [-1, 1, 1, -1], 1, [0, 1, 1, 0]),
        ("INT2", [-2, -1, 0, 1], 2, [2, 3, 0, 1]),
        ("INT4", [-8, 7, -1, 3], 4, [8, 7, 15, 3]),
        ("UINT2", [0, 3, 1, 2], 3, [0, 3, 1, 2]),  # unsigned: one more bit, stored signed
        ("BINARY", [0, 1, 1, 0], 2, [0, 1, 1, 0]),
    ],
)
def test_weight_codes_per_type(name, values, bits, codes):
    dtype = DataType[name]
    assert params.kernel_weight_bits(dtype) == bits
    np.testing.assert_array_equal(params.weight_codes(np.array(values), dtype, "w"), codes)


@pytest.mark.parametrize(
    "name,values,message",
    [
        ("BIPOLAR", [1, 0], "BIPOLAR weights must all be -1 or \\+1"),
        ("INT2", [2, 0], "not all integers of INT2"),
        ("INT4", [0.5, 1], "not all integers of INT4"),
        ("UINT2", [-1, 1], "not all integers of UINT2"),
    ],
)
def test_weights_outside_their_type_are_refused(name, values, message):
    with pytest.raises(QnnflowError, match=message):
        params.weight_codes(np.array(values, dtype=float), DataType[name], "w")


@pytest.mark.parametrize("bits,simd,pe", [(1, 3, 2), (4, 4, 3), (2, 12, 1), (8, 9, 2)])
def test_folded_weight_words_follow_lane_fold_sf(bits, simd, pe):
    rng = np.random.default_rng(bits)
    mw, mh = simd * 4, pe * 3
    codes = rng.integers(0, 1 << bits, size=(mw, mh))
    limbs = params.folded_weight_limbs(codes, pe, simd, bits)
    limb_bits = params.limb_type(simd * bits)[0]
    sf_count = mw // simd
    for lane in range(pe):
        for fold in range(mh // pe):
            for sf in range(sf_count):
                col = fold * pe + lane
                expected = word_value(codes[sf * simd : (sf + 1) * simd, col], bits)
                stored = limbs[lane, fold * sf_count + sf]
                got = sum(int(v) << (i * limb_bits) for i, v in enumerate(stored))
                assert got == expected


def test_limb_types_are_the_smallest_that_hold_a_word():
    assert params.limb_type(3) == (8, "uint8_t")
    assert params.limb_type(16) == (16, "uint16_t")
    assert params.limb_type(33) == (64, "uint64_t")
    assert params.limb_type(96) == (64, "uint64_t")


@pytest.mark.parametrize("bits,simd,pe", [(1, 4, 16), (1, 3, 2), (4, 6, 5), (2, 16, 2)])
def test_ddr_image_is_group_sf_lane_major_in_64_bit_words(bits, simd, pe):
    rng = np.random.default_rng(simd)
    mw, mh = simd * 3, pe * 2
    codes = rng.integers(0, 1 << bits, size=(mw, mh))
    image = params.ddr_image(codes, pe, simd, bits)
    per_word = params.ddr_words_per_slice_word(pe, simd, bits)
    assert image.dtype == np.uint8
    assert image.size == (mh // pe) * (mw // simd) * per_word * 8
    words = image.view("<u8")
    for group in range(mh // pe):
        for sf in range(mw // simd):
            elements = [
                codes[sf * simd + s, group * pe + lane] for lane in range(pe) for s in range(simd)
            ]
            first = (group * (mw // simd) + sf) * per_word
            got = sum(int(w) << (64 * i) for i, w in enumerate(words[first : first + per_word]))
            assert got == word_value(elements, bits)


def test_ddr_image_is_tight_when_slice_words_fill_64_bits():
    codes = np.ones((64, 32), dtype=np.int64)
    assert params.ddr_image(codes, 16, 32, 1).size == 64 * 32 // 8


def test_thresholds_fold_round_up_and_clip_to_the_reachable_range():
    t = np.array([[-1000.0, -3.5, 2.0, 99.0], [0.5, 1.0, 7.0, 8.0], [-8.0, -9.0, 3.2, 9.0]])
    folded = params.folded_thresholds(t, channels=3, pe=3, value_bits=4)  # values in [-8, 7]
    assert folded.shape == (3, 1, 4)
    np.testing.assert_array_equal(folded[:, 0], [[-8, -3, 2, 8], [1, 1, 7, 8], [-8, -8, 4, 8]])
    acc = np.arange(-8, 8)
    for c in range(3):  # every reachable value counts the same thresholds
        before = (acc[:, None] >= t[c]).sum(axis=1)
        after = (acc[:, None] >= folded[c % 3, 0]).sum(axis=1)
        np.testing.assert_array_equal(before, after)


def test_thresholds_fold_channel_fold_times_pe_plus_lane():
    t = np.arange(12, dtype=float).reshape(6, 2)
    folded = params.folded_thresholds(t, channels=6, pe=2, value_bits=8)
    for channel in range(6):
        np.testing.assert_array_equal(folded[channel % 2, channel // 2], t[channel])


def test_one_threshold_row_is_shared_by_every_channel():
    folded = params.folded_thresholds(np.array([[1.0, 2.0]]), channels=4, pe=2, value_bits=8)
    assert folded.shape == (2, 2, 2) and np.all(folded == [1, 2])


@pytest.mark.parametrize(
    "t,message", [(np.zeros((3, 2)), "expected \\[4, T\\]"), (np.full((4, 1), np.nan), "NaN")]
)
def test_bad_thresholds_are_refused(t, message):
    with pytest.raises(QnnflowError, match=message):
        params.folded_thresholds(t, channels=4, pe=2, value_bits=8)


def test_c_arrays_nest_their_braces_and_type_their_literals():
    text = params.c_array("w", "uint64_t", np.array([[[1, 255]], [[16, 0]]]))
    assert (
        text == "static const uint64_t w[2][1][2] = {{{0x1ull, 0xffull}},\n {{0x10ull, 0x0ull}}};\n"
    )
    assert params.c_array("t", "int32_t", np.array([-5, 7])) == (
        "static const int32_t t[2] = {-5, 7};\n"
    )
    assert params.threshold_store(31) == "int32_t" and params.threshold_store(32) == "int64_t"


def mvu(mem_mode: str):
    weights = np.where(np.arange(8 * 4).reshape(8, 4) % 3, 1.0, -1.0).astype(np.float32)
    return single_node_model(
        "MatrixVectorUnit",
        [1, 8],
        [1, 4],
        {"W": weights},
        MW=8,
        MH=4,
        PE=2,
        SIMD=4,
        weightDataType="BIPOLAR",
        inputDataType="UINT2",
        outputDataType="INT6",
        mem_mode=mem_mode,
    )


def test_driver_hook_gives_the_stream_ddr_image_under_the_port_name():
    model = mvu("stream_ddr")
    node = model.graph.node[0]
    images = params.ddr_weight_images(model, node)
    assert list(images) == ["L_MatrixVectorUnit_0_wddr"]
    codes = params.weight_codes(model.get_initializer("W"), DataType["BIPOLAR"], "w")
    np.testing.assert_array_equal(
        images["L_MatrixVectorUnit_0_wddr"], params.ddr_image(codes, 2, 4, 1)
    )
    assert params.ddr_weight_images(mvu("internal"), mvu("internal").graph.node[0]) == {}


def test_long_rows_wrap_at_eight_values():
    text = params.c_array("r", "uint8_t", np.arange(10))
    assert text == (
        "static const uint8_t r[10] = {0x0u, 0x1u, 0x2u, 0x3u, 0x4u, 0x5u, 0x6u, 0x7u,\n"
        " 0x8u, 0x9u};\n"
    )

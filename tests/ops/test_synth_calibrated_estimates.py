"""The two estimates corrected from Yosys runs (benchmarks/synth_tinier_yolo.py): a width
converter costs its RTL kernel's double buffer, and a frame-buffered window generator with
input words narrower than its output words costs one RAMB18 per bank at least."""

from __future__ import annotations

import math

from tests.ops.helpers import op_of, single_node_model


def _converter(in_elems: int, out_elems: int):
    return op_of(
        single_node_model(
            "WidthConverter",
            [1, 3, 3, 16],
            [1, 3, 3, 16],
            shape=[1, 3, 3, 16],
            inElems=in_elems,
            outElems=out_elems,
            inputDataType="UINT3",
            outputDataType="UINT3",
        )
    )


def test_width_converter_counts_the_double_buffer():
    # 16 -> 2 elements of 3 bits: 48 + 6 stream bits, a buffer of 2 * 18 elements (108 bits)
    # and a 6-bit element counter; Yosys: 399 LUT, 113 FF (the former LUT = FF = 54)
    res = _converter(16, 2).resources()
    assert res["FF"] == 2 * 54 + math.ceil(math.log2(37)) == 114
    assert res["LUT"] == 5 * 54
    assert _converter(2, 16).resources() == res  # the buffer is symmetric


def _frame_swg(input_simd: int, simd: int):
    # Tinier-YOLO's conv7 window generator: 15x15 padded, 512 3-bit channels, 3x3 windows
    return op_of(
        single_node_model(
            "SlidingWindow",
            [1, 15, 15, 512],
            [1, 13, 13, 9 * 512],
            ConvKernelDim=[3, 3],
            IFMChannels=512,
            IFMDim=[15, 15],
            Stride=[1, 1],
            SIMD=simd,
            inputSIMD=input_simd,
            frameBuffer=1,
            inputDataType="UINT3",
            outputDataType="UINT3",
        )
    )


def test_banked_frame_buffer_takes_a_ramb18_per_bank():
    # 64 banks of 900 x 6 bits: 64 RAMB18 = 32 BRAM36, as Yosys maps it (the unbanked
    # 57,600 x 6 bits would be 11)
    assert _frame_swg(input_simd=2, simd=128).resources()["BRAM36"] == 32
    # equal input and output words: one memory, counted as before
    assert _frame_swg(input_simd=0, simd=128).resources()["BRAM36"] == 11

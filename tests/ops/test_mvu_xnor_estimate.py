"""The XNOR-mode MatrixVectorUnit's estimates follow its docstring: an unsigned popcount of
ceil(log2(MW + 1)) bits, SIMD XNOR LUTs and a popcount tree of about SIMD LUTs per lane
instead of multiply-adds, no DSP; a multi-bit input with bipolar weights is no XNOR."""

from __future__ import annotations

import math

import numpy as np

from tests.ops.helpers import op_of, single_node_model


def mvu(idt: str, mw: int = 576, mh: int = 64, pe: int = 8, simd: int = 32, t: int = 1):
    init = {"W": np.ones((mw, mh), np.float32), "T": np.zeros((mh, t), np.float32)}
    return op_of(
        single_node_model(
            "MatrixVectorUnit",
            [1, 4, mw],
            [1, 4, mh],
            init,
            MW=mw,
            MH=mh,
            PE=pe,
            SIMD=simd,
            numInputVectors=[1, 4],
            weightDataType="BIPOLAR",
            numThresholds=t,
            inputDataType=idt,
            outputDataType="BIPOLAR",
        )
    )


def test_xnor_popcount_width_and_luts():
    op = mvu("BIPOLAR")
    assert op.xnor_mode() and op.acc_bits() == math.ceil(math.log2(577)) == 10
    res = op.resources()
    lutram = res["LUTRAM"]
    assert res["LUT"] == 100 + 8 * (2 * 32 + 10 + 1 * 5) + lutram
    assert res["FF"] == 100 + 8 * (32 + 2 * 10) and res["DSP"] == 0
    assert mvu("BIPOLAR", mw=7).acc_bits() == 3  # popcounts 0..7
    assert mvu("BIPOLAR", mw=8).acc_bits() == 4  # popcounts 0..8


def test_xnor_is_cheaper_than_the_select_and_add_datapath():
    xnor, multibit = mvu("BIPOLAR"), mvu("INT8")
    assert not multibit.xnor_mode() and multibit.acc_bits() > xnor.acc_bits()
    assert xnor.resources()["LUT"] < multibit.resources()["LUT"]
    assert xnor.cycles() == multibit.cycles() == 4 * (576 // 32) * (64 // 8)

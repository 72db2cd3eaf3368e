"""MatrixVectorUnit resType: the LUT and DSP48E1 estimates follow the op's docstring (one
product per DSP, two packed when the fields fit, guard bits from SIMD), auto keeps the old
rule, and layers without multipliers or with too-wide operands refuse dsp clearly."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.datatype import DataType

from qnnflow.ops import FoldingError, FoldPlan
from qnnflow.ops.mvu_multipliers import dsp_pack_shift
from tests.ops.helpers import op_of, single_node_model


def mvu_model(wdt: str, idt: str, res_type: str = "auto", mw=64, mh=16, pe=4, simd=8):
    return single_node_model(
        "MatrixVectorUnit",
        [1, 4, mw],
        [1, 4, mh],
        {"W": np.ones((mw, mh), np.float32)},
        MW=mw,
        MH=mh,
        PE=pe,
        SIMD=simd,
        numInputVectors=[1, 4],
        weightDataType=wdt,
        inputDataType=idt,
        outputDataType="INT32",
        resType=res_type,
    )


def mvu(wdt: str, idt: str, res_type: str = "auto", **sizes):
    return op_of(mvu_model(wdt, idt, res_type, **sizes))


def mac_luts(op) -> float:
    """LUTs of the multipliers and adder trees: the total less the parts resType leaves."""
    acc, pe = op.acc_bits(), op.get_nodeattr("PE")
    res = op.resources()
    return res["LUT"] - 100 - pe * acc - res["LUTRAM"]


def test_lut_multipliers_cost_wbits_times_abits_per_product():
    op = mvu("INT8", "UINT8", "lut")
    acc = op.acc_bits()
    assert mac_luts(op) == 4 * 8 * (8 * 8 + acc) and op.resources()["DSP"] == 0


def test_dsp_is_one_product_per_dsp_when_two_do_not_fit():
    op = mvu("INT8", "UINT8", "dsp")  # 8 x 9 bits: products of 17 bits, never two per DSP
    assert op.dsp_pack_shift() == 0
    assert op.resources()["DSP"] == 4 * 8 and mac_luts(op) == 4 * 8 * op.acc_bits()
    assert op.resources()["LUT"] < mvu("INT8", "UINT8", "lut").resources()["LUT"]


@pytest.mark.parametrize("pe", [4, 5])
def test_dsp_packs_two_products_sharing_an_activation(pe):
    op = mvu("INT4", "UINT4", "dsp", mh=20, pe=pe)  # 4 x 5 bits, SIMD 8: S = 9 + 3
    shift = op.dsp_pack_shift()
    assert shift == 4 + 5 + 3
    pairs, single = pe // 2, pe % 2
    assert op.resources()["DSP"] == 8 * (pairs + single)  # = ceil(PE*SIMD/2) for even PE
    assert mac_luts(op) == pairs * 9 * 2 * shift + single * 8 * op.acc_bits()


def test_packing_rule_takes_guard_bits_from_simd():
    int4, uint4, int8 = DataType["INT4"], DataType["UINT4"], DataType["INT8"]
    # 4 + 5 + g + 4 + 1 <= 25: up to g = 11 guard bits, SIMD 2048
    assert dsp_pack_shift(int4, uint4, 2048) == 20 and dsp_pack_shift(int4, uint4, 2049) == 0
    # int8 x int8: 16-bit products; only SIMD 1 leaves room (16 + 8 + 1 = 25)
    assert dsp_pack_shift(int8, int8, 1) == 16 and dsp_pack_shift(int8, int8, 2) == 0
    assert dsp_pack_shift(int8, DataType["UINT8"], 1) == 0


def test_auto_keeps_the_old_rule():
    assert mvu("INT8", "INT8").multiplier_style() == "dsp"
    assert mvu("INT8", "INT8").resources() == mvu("INT8", "INT8", "dsp").resources()
    assert mvu("INT4", "INT8").multiplier_style() == "lut"
    assert mvu("INT4", "INT8").resources() == mvu("INT4", "INT8", "lut").resources()
    assert mvu("BIPOLAR", "UINT3").multiplier_style() == "none"
    assert mvu("BIPOLAR", "UINT3", "lut").resources() == mvu("BIPOLAR", "UINT3").resources()


@pytest.mark.parametrize(
    "wdt,idt,message",
    [
        ("BIPOLAR", "UINT3", "bipolar weights have no multiplier"),
        ("BIPOLAR", "BIPOLAR", "bipolar weights have no multiplier"),  # XNOR
        ("INT20", "INT20", "20-bit weights x 20-bit inputs exceed the DSP48E1's 25 x 18"),
        ("UINT25", "INT4", "26-bit weights x 4-bit inputs exceed"),
    ],
)
def test_dsp_is_refused_where_it_cannot_be(wdt, idt, message):
    op = mvu(wdt, idt, "dsp")
    with pytest.raises(FoldingError, match=f"MatrixVectorUnit 'MatrixVectorUnit_0': .*{message}"):
        op.check_folding()
    assert mvu("INT24", "INT18", "dsp").check_folding() is None  # 24 x 18 fits


def test_folding_offers_auto_and_the_other_style_where_legal():
    def res_types(wdt, idt):
        model = mvu_model(wdt, idt)
        options = op_of(model).fold_options(model, FoldPlan())
        return {o["MatrixVectorUnit_0"].get("resType") for o in options}

    assert res_types("INT8", "UINT8") == {"auto", "lut"}  # auto: DSPs
    assert res_types("INT4", "INT8") == {"auto", "dsp"}  # auto: LUTs
    assert res_types("INT20", "INT20") == {"auto"}  # auto: LUTs, no DSP can take them
    assert res_types("BIPOLAR", "UINT3") == {None}  # nothing to choose, attr untouched

"""MatrixVectorUnit resType lut/dsp in C++: the generated code binds the multiply (BIND_OP
impl=fabric|dsp) and packs two lanes per multiplier where the estimate does, and stays
bit-exact with numpy for 2..8-bit signed and unsigned weights and inputs (int8 x int8 with
UINT8 and INT8 inputs), on random frames and all-zero, all-max and all-min ones."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.datatype import DataType

from qnnflow.backends.hls.ops.mvu import render
from tests.backends.hls.test_mvu_cpp import check, edge_frames, mvu_model, random_weights
from tests.ops.helpers import op_of


def accumulator_dtype(wdt: str, idt: str, mw: int) -> str:
    """The tightest output type of the accumulator (the extreme columns reach its ends)."""
    w, x = DataType[wdt], DataType[idt]
    acc_max = mw * max(abs(w.min()), w.max()) * max(abs(x.min()), x.max())
    return f"INT{int(acc_max).bit_length() + 1}"


CASES = [  # wdt, idt, mw, mh, pe, simd, resType, packed
    ("INT8", "INT8", 9, 7, 7, 1, "dsp", True),  # int8 x int8 packs at SIMD 1; odd PE
    ("INT8", "INT8", 12, 6, 3, 4, "lut", False),
    ("INT8", "UINT8", 15, 5, 5, 3, "dsp", False),  # 8 x 9 bits: one product per DSP
    ("INT8", "UINT8", 12, 4, 2, 6, "lut", False),
    ("UINT8", "INT5", 10, 6, 2, 5, "dsp", False),
    ("INT2", "UINT2", 12, 6, 6, 4, "dsp", True),
    ("UINT2", "INT3", 9, 4, 4, 3, "dsp", True),  # unsigned weights widened to signed
    ("INT4", "UINT4", 15, 9, 3, 5, "dsp", True),  # odd sizes, one unpaired lane
    ("INT6", "INT6", 14, 8, 8, 7, "dsp", True),
    ("INT5", "UINT7", 11, 3, 3, 11, "lut", False),
    ("UINT3", "UINT6", 8, 6, 2, 8, "dsp", True),
]


@pytest.mark.parametrize("wdt,idt,mw,mh,pe,simd,res_type,packed", CASES)
def test_bit_exact_with_the_multiply_bound(wdt, idt, mw, mh, pe, simd, res_type, packed):
    rng = np.random.default_rng(mw * 31 + mh)
    w = random_weights(rng, wdt, mw, mh)
    odt = accumulator_dtype(wdt, idt, mw)
    model = mvu_model(mw, mh, pe, simd, 3, wdt, idt, odt, w, resType=res_type)
    op = op_of(model)
    assert (op.dsp_pack_shift() > 0) == packed
    header = render(model, model.graph.node[0]).files["L_MatrixVectorUnit_0_params.hpp"]
    impl = {"lut": "fabric", "dsp": "dsp"}[res_type]
    assert f"#pragma HLS BIND_OP variable=p op=mul impl={impl}" in header
    assert f"PACK_SHIFT = {op.dsp_pack_shift()};" in header
    x = edge_frames(rng, idt, 3, mw, frames=5)
    x[4] = DataType[idt].min()  # all minimum (frame 3 mixes extremes)
    check(model, x)


@pytest.mark.parametrize("mem_mode", ["internal", "stream_ddr"])
def test_packed_dsp_on_the_synthesised_ap_int_datapath(mem_mode):
    rng = np.random.default_rng(5)
    w = random_weights(rng, "INT4", 12, 6)
    odt = accumulator_dtype("INT4", "INT5", 12)
    model = mvu_model(12, 6, 6, 4, 4, "INT4", "INT5", odt, w, resType="dsp", mem_mode=mem_mode)
    assert op_of(model).dsp_pack_shift() == 4 + 5 + 2
    check(model, edge_frames(rng, "INT5", 4, 12), ap_datapath=True)


def test_int8_dsp_with_thresholds_on_the_ap_int_datapath():
    rng = np.random.default_rng(8)
    w = random_weights(rng, "INT8", 16, 4)
    t = np.sort(rng.integers(-20000, 20000, size=(4, 15)), axis=1)
    model = mvu_model(16, 4, 2, 8, 3, "INT8", "UINT8", "UINT4", w, t, resType="dsp")
    check(model, edge_frames(rng, "UINT8", 3, 16), ap_datapath=True)


def test_auto_and_bipolar_layers_leave_the_multiply_to_the_tool():
    w = np.ones((12, 6))
    for wdt, idt, res_type in [("INT8", "INT8", "auto"), ("BIPOLAR", "UINT3", "lut")]:
        model = mvu_model(12, 6, 1, 1, 1, wdt, idt, "INT16", w, resType=res_type)
        code = render(model, model.graph.node[0])
        assert "BIND_OP" not in "".join(code.files.values())
        assert "activation);" in code.body  # the kernel's default multiply_any

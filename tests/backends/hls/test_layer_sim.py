"""The per-layer simulation harness itself: packing of signed/unsigned elements, several
frames, cycle counting and clear errors, with a hand-written pass-through layer."""

import numpy as np
import pytest

from qnnflow.backends.hls.gpp import CompileError
from qnnflow.backends.hls.layer_code import LayerCode, StreamSpec, render_layer_top
from qnnflow.backends.hls.layer_sim import simulate_layer
from qnnflow.errors import QnnflowError

PASS_BODY = """    for (unsigned i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
        QNNFLOW_COUNT_CYCLE();
        out0.write(in0.read());
    }"""


def passthrough(per_word: int, bits: int, signed: bool, words: int, name="copy") -> LayerCode:
    spec = StreamSpec(per_word, bits, signed, words)
    body = f"    const unsigned WORDS = {words};\n" + PASS_BODY
    return LayerCode(name=name, op_type="Copy", inputs=(spec,), output=spec, body=body)


@pytest.mark.parametrize("bits,signed", [(1, False), (3, False), (4, True), (8, True), (24, True)])
def test_elements_round_trip_through_stream_words(tmp_path, bits, signed):
    rng = np.random.default_rng(bits)
    low, high = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)
    data = rng.integers(low, high, size=(3, 5, 6))
    data[0, 0, :] = high - 1  # saturating values
    data[1, 0, :] = low
    result = simulate_layer(passthrough(6, bits, signed, 5), [data], cache_dir=tmp_path)
    np.testing.assert_array_equal(result.stream, data.reshape(3, -1))
    assert result.cycles_per_frame == 5


def test_top_declares_axis_ports_and_no_control():
    text = render_layer_top(passthrough(2, 3, False, 4))["copy.cpp"]
    assert "void copy(hls::stream<ap_uint<6>> &in0, hls::stream<ap_uint<6>> &out0)" in text
    assert "#pragma HLS INTERFACE axis port=in0" in text
    assert "ap_ctrl_none" in text


def test_wrong_element_count_is_refused(tmp_path):
    with pytest.raises(QnnflowError, match="12 elements per frame, the stream carries 10"):
        simulate_layer(passthrough(2, 3, False, 5), [np.zeros((1, 12))], cache_dir=tmp_path)


def test_layer_writing_too_little_is_reported(tmp_path):
    spec_in, spec_out = StreamSpec(1, 8, False, 4), StreamSpec(1, 8, False, 5)
    code = LayerCode("short_layer", "Copy", (spec_in,), spec_out, PASS_BODY.replace("WORDS", "4"))
    with pytest.raises(QnnflowError, match="ran dry after 4 of 5 words"):
        simulate_layer(code, [np.zeros((1, 4))], cache_dir=tmp_path)


def test_compile_errors_name_the_file(tmp_path):
    code = passthrough(1, 8, False, 2)
    broken = LayerCode(code.name, code.op_type, code.inputs, code.output, "  no_such_call();")
    with pytest.raises(CompileError, match="copy_sim.cpp"):
        simulate_layer(broken, [np.zeros((1, 2))], cache_dir=tmp_path)

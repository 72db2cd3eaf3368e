"""MatrixVectorUnit -> `qnnflow::mvu_internal` (weights in an on-chip ROM) or
`qnnflow::mvu_stream_ddr` (weights read from DDR once per frame, group-major output) in
hls/qnnflow/mvu.hpp, with the weights and thresholds in a generated `<name>_params.hpp`.
XNOR mode (BIPOLAR inputs and weights) accumulates a popcount: its thresholds are already
popcount thresholds, and without thresholds `popcount_to_dot` emits 2p - MW.
An explicit resType (lut/dsp) becomes a generated MULTIPLY type whose product carries
`#pragma HLS BIND_OP op=mul impl=fabric|dsp` (and the DSP packing shift of the estimate)."""

from __future__ import annotations

import logging

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls import params
from qnnflow.backends.hls.layer_code import LayerCode, MMPort, c_identifier
from qnnflow.backends.hls.ops.thresholding import activation_code, check_output_holds
from qnnflow.backends.hls.renderers import renders
from qnnflow.backends.hls.streams import element_signed, stream_spec
from qnnflow.errors import QnnflowError
from qnnflow.ops.mvu import MAX_STREAM_BITS, accumulator_range
from qnnflow.ops.stream_order import input_channel_groups

log = logging.getLogger(__name__)
ROM_LUTRAM_DEPTH = 128  # ram_style auto: deeper ROMs go to BRAM, as the op's estimate assumes


def _check_node(model: ModelWrapper, node, op) -> int:
    """Refuses what the kernels cannot run, before any C++ is written; returns T."""
    op.check_datatypes()
    op.check_folding()
    if input_channel_groups(model, node) > 1:
        raise QnnflowError(
            f"MatrixVectorUnit '{node.name}': its input arrives channel-group-major (from a "
            "stream_ddr MatrixVectorUnit), but a matrix-vector product needs whole vectors; put "
            "a SlidingWindow with frameBuffer=1 between them"
        )
    t = op.get_nodeattr("numThresholds")
    if t > 0 and len(node.input) < 3:
        raise op.fail(f"numThresholds={t} but the node has no threshold input")
    pe, simd = op.get_nodeattr("PE"), op.get_nodeattr("SIMD")
    bits = params.kernel_weight_bits(op.weight_dtype())
    if op.get_nodeattr("mem_mode") == "stream_ddr" and pe * simd * bits > MAX_STREAM_BITS:
        raise op.fail(
            f"a DDR slice word of PE*SIMD*{bits} = {pe * simd * bits} bits exceeds "
            f"{MAX_STREAM_BITS} (lower PE or SIMD)"
        )
    return t


@renders("MatrixVectorUnit")
def render(model: ModelWrapper, node) -> LayerCode:
    """One kernel call and its parameter header; the signature follows mem_mode."""
    op = getCustomOp(node)
    t = _check_node(model, node, op)
    name = c_identifier(node.name)
    mw, mh = op.get_nodeattr("MW"), op.get_nodeattr("MH")
    pe, simd = op.get_nodeattr("PE"), op.get_nodeattr("SIMD")
    vectors = int(np.prod(op.get_nodeattr("numInputVectors")))
    idt, odt, xnor = op.input_dtype(), op.output_dtype(), op.xnor_mode()
    acc_bits = op.acc_bits() + 1 if xnor else op.acc_bits()  # a signed datapath value
    streamed = op.get_nodeattr("mem_mode") == "stream_ddr"
    # stream_ddr: the SlidingWindow in front sends the frame's vectors once per channel group.
    in_spec = stream_spec(idt, simd, (mh // pe if streamed else 1) * vectors * mw)
    out_spec = stream_spec(odt, pe, vectors * mh)
    codes, wbits = params.mvu_weight_codes(model, node)
    raw = model.get_initializer(node.input[1])
    if t == 0:
        check_output_holds(node, odt, *accumulator_range(raw, idt), "the accumulator")
    if xnor and t == 0:
        to_dot = f"qnnflow::popcount_to_dot<{odt.bitwidth()}, {mw}>"
        body, arrays = [f"    const {to_dot} activation{{}};"], []
    else:
        body, arrays = activation_code(
            model, node, name, channels=mh, pe=pe, value_bits=acc_bits, out_dtype=odt
        )
    args = [mw, mh, simd, pe, vectors, idt.bitwidth(), str(element_signed(idt)).lower(), wbits]
    args += [str(xnor).lower(), acc_bits, odt.bitwidth()]
    template = ", ".join(map(str, args))
    multiply, multiply_type = multiply_code(name, op)
    if multiply_type:
        arrays.insert(0, multiply_type)
    mm_ports: tuple[MMPort, ...] = ()
    if streamed:
        image = params.ddr_image(codes, pe, simd, wbits)
        port = params.weight_port_name(node)
        symbol = f"{name}_weights_ddr"
        arrays.append(params.ddr_sim_array(symbol, image))
        mm_ports = (MMPort(port, params.DDR_WORD_BITS, image.size // 8, f"{symbol}.data()"),)
        _warn_if_reader_is_slower(node, op, pe, simd, wbits)
        body.append(
            f"    qnnflow::mvu_stream_ddr<{template}>(in0, out0, {port}, activation{multiply});"
        )
    else:
        limbs = params.folded_weight_limbs(codes, pe, simd, wbits)
        ctype = params.limb_type(simd * wbits)[1]
        arrays.append(params.c_array(f"{name}_weights", ctype, limbs))
        body[:0] = _weight_pragmas(f"{name}_weights", op.get_nodeattr("ram_style"), limbs.shape)
        body.append(
            f"    qnnflow::mvu_internal<{template}>(in0, out0, {name}_weights, activation"
            f"{multiply});"
        )
    title = f"parameters of {node.op_type} '{node.name}'"
    return LayerCode(
        name=name,
        op_type=node.op_type,
        inputs=(in_spec,),
        output=out_spec,
        body="\n".join(body),
        includes=("qnnflow/mvu.hpp", f"{name}_params.hpp"),
        files={f"{name}_params.hpp": params.header(title, arrays)},
        mm_ports=mm_ports,
    )


BIND_IMPL = {"lut": "fabric", "dsp": "dsp"}  # resType -> BIND_OP impl of the multiply


def multiply_code(name: str, op) -> tuple[str, str]:
    """(the kernel's extra MULTIPLY argument, its type for the parameter header): none for
    resType auto or a layer without multipliers (the tool chooses, multiply_any)."""
    res_type = op.get_nodeattr("resType")
    if res_type == "auto" or op.multiplier_style() == "none":
        return "", ""
    symbol = f"{name}_multiply"
    shift = op.dsp_pack_shift()
    where = "LUTs" if res_type == "lut" else "DSP48E1s"
    if shift:
        where += f", two per DSP (low field {shift} bits)"
    lines = [
        '#include "qnnflow/datapath.hpp"',
        "",
        f"// resType {res_type}: every product of the layer on {where}",
        f"struct {symbol} {{",
        f"    static constexpr int PACK_SHIFT = {shift};",
        "    template <int BITS, typename A, typename B>",
        "    static qnnflow::dp_int<BITS> product(const A &a, const B &b) {",
        "#pragma HLS INLINE",
        "        qnnflow::dp_int<BITS> p = a * b;",
        f"#pragma HLS BIND_OP variable=p op=mul impl={BIND_IMPL[res_type]}",
        "        return p;",
        "    }",
        "};",
        "",
    ]
    return f", {symbol}()", "\n".join(lines)


def _weight_pragmas(array: str, ram_style: str, shape: tuple[int, ...]) -> list[str]:
    """Every lane and limb reads its own ROM each cycle; the depth picks BRAM or LUTRAM."""
    depth = shape[1]
    block = ram_style == "block" or (ram_style == "auto" and depth > ROM_LUTRAM_DEPTH)
    impl = "bram" if block else "lutram"
    return [
        f"#pragma HLS ARRAY_PARTITION variable={array} dim=1 complete",
        f"#pragma HLS ARRAY_PARTITION variable={array} dim=3 complete",
        f"#pragma HLS BIND_STORAGE variable={array} type=rom_2p impl={impl}",
    ]


def _warn_if_reader_is_slower(node, op, pe: int, simd: int, wbits: int) -> None:
    """The DDR reader fetches ceil(PE*SIMD*wbits/64) words per slice word, once per group;
    the compute loop spends numInputVectors cycles per slice word."""
    per_word = params.ddr_words_per_slice_word(pe, simd, wbits)
    vectors = int(np.prod(op.get_nodeattr("numInputVectors")))
    if per_word > vectors:
        log.warning(
            "%s: the DDR reader needs %d cycles per weight slice word but the compute loop "
            "spends %d, so the layer runs at the reader's pace",
            node.name,
            per_word,
            vectors,
        )

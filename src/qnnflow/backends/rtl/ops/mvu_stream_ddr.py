"""MatrixVectorUnit with mem_mode stream_ddr -> a wrapper of `qnnflow_ddr_reader` (the AXI4
read master on port `<name>_wddr`, reading the layer's DDR image once per frame) feeding
`qnnflow_mvu_group_major` (group-major loop order, r1's lanes and activation), as
`qnnflow::mvu_stream_ddr` in hls/qnnflow/mvu.hpp. Same parameters, stream order and DDR image
(backends/hls/params.ddr_image) as the HLS renderer, which also does the checks.
The MatrixVectorUnit renderer (ops/mvu.py) calls `render_stream_ddr` for this mem_mode."""

from __future__ import annotations

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls import params
from qnnflow.backends.hls.ops.mvu import _check_node
from qnnflow.backends.hls.ops.thresholding import check_output_holds
from qnnflow.backends.hls.streams import element_signed, stream_spec
from qnnflow.backends.rtl.layer_code import (
    AXI_READ_SIGNALS,
    RtlLayerCode,
    RtlMMPort,
    rtl_identifier,
)
from qnnflow.backends.rtl.mem_files import ddr_mem, packed_mem
from qnnflow.errors import QnnflowError
from qnnflow.ops.bipolar import is_bipolar
from qnnflow.ops.mvu import accumulator_range

KERNELS = ("mvu_lanes.sv", "activation_lanes.sv", "mvu_group_major.sv", "ddr_reader.sv")
USE_DSP = {"lut": "no", "dsp": "yes", "auto": "auto"}  # resType -> the lanes' multipliers
SLICE_LUTRAM_DEPTH = 128  # ram_style auto: deeper slice memories go to BRAM
MAX_OUTSTANDING = 2  # bursts the reader keeps in flight


def _threshold_mem(model: ModelWrapper, node, op, value_bits: int) -> tuple[int, str]:
    """(T, the thresholds .mem of qnnflow_activation_lanes: word nf holds lane p's threshold
    i at element p*T + i, value_bits + 1 bits each), after the HLS renderer's checks."""
    t, act_val, odt = op.get_nodeattr("numThresholds"), op.get_nodeattr("ActVal"), op.output_dtype()
    mh, pe = op.get_nodeattr("MH"), op.get_nodeattr("PE")
    thresholds = model.get_initializer(node.input[-1])
    if thresholds is None or thresholds.ndim != 2 or thresholds.shape[1] != t:
        shape = None if thresholds is None else tuple(thresholds.shape)
        raise QnnflowError(
            f"{node.op_type} '{node.name}': thresholds must be an initializer of shape "
            f"[{mh}, {t}] (numThresholds={t}), got {shape}"
        )
    holder = DataType["BINARY"] if is_bipolar(odt) else odt  # a BIPOLAR output: the 0/1 count
    check_output_holds(node, holder, act_val, act_val + t, "count(value >= t) + ActVal")
    table = params.folded_thresholds(thresholds, mh, pe, value_bits)  # [PE, NF, T]
    words = table.transpose(1, 0, 2).reshape(mh // pe, pe * t)
    return t, packed_mem(words, value_bits + 1)


def _ports(name: str, in_bits: int, out_bits: int, port: str) -> list[str]:
    ports = [
        "input  logic ap_clk",
        "input  logic ap_rst_n",
        f"input  logic [{in_bits - 1}:0] in0_tdata",
        "input  logic in0_tvalid",
        "output logic in0_tready",
        f"output logic [{out_bits - 1}:0] out0_tdata",
        "output logic out0_tvalid",
        "input  logic out0_tready",
        f"input  logic [31:0] {port}_base",
    ]
    for signal, bits, out in AXI_READ_SIGNALS:
        width = f"[{bits - 1}:0] " if bits > 1 else ""
        ports.append(f"{'output' if out else 'input '} logic {width}m_axi_{port}_{signal}")
    return ports


def _instance(module: str, label: str, parameters: dict[str, object], wires: dict[str, str]):
    def value(v: object) -> str:
        return f'"{v}"' if isinstance(v, str) else str(int(v))

    lines = [f"    {module} #("]
    lines.append(",\n".join(f"        .{k}({value(v)})" for k, v in parameters.items()))
    lines += [f"    ) {label} ("]
    lines.append(",\n".join(f"        .{k}({w})" for k, w in wires.items()))
    lines.append("    );")
    return lines


def render_stream_ddr(model: ModelWrapper, node) -> RtlLayerCode:
    """The stream_ddr layer's wrapper, its DDR image and thresholds as .mem files."""
    op = getCustomOp(node)
    t = _check_node(model, node, op)
    name, port = rtl_identifier(node.name), params.weight_port_name(node)
    mw, mh = op.get_nodeattr("MW"), op.get_nodeattr("MH")
    pe, simd = op.get_nodeattr("PE"), op.get_nodeattr("SIMD")
    vectors = int(np.prod(op.get_nodeattr("numInputVectors")))
    idt, odt, xnor = op.input_dtype(), op.output_dtype(), op.xnor_mode()
    acc_bits = op.acc_bits() + 1 if xnor else op.acc_bits()  # a signed datapath value
    in_spec = stream_spec(idt, simd, (mh // pe) * vectors * mw)  # the frame, MH/PE times
    out_spec = stream_spec(odt, pe, vectors * mh)
    codes, wbits = params.mvu_weight_codes(model, node)
    if t == 0:
        raw = model.get_initializer(node.input[1])
        check_output_holds(node, odt, *accumulator_range(raw, idt), "the accumulator")
    image = params.ddr_image(codes, pe, simd, wbits)
    image_file = f"{port}.mem"
    files = {image_file: ddr_mem(image)}
    activation: dict[str, object] = {"T": t, "ACT_VAL": op.get_nodeattr("ActVal")}
    activation["POPCOUNT_TO_DOT"] = int(xnor and t == 0)
    if t:
        t, files[f"{name}_thresholds.mem"] = _threshold_mem(model, node, op, acc_bits)
        activation["THRESHOLDS_FILE"] = f"{name}_thresholds.mem"
    sf, ram_style = mw // simd, op.get_nodeattr("ram_style")
    block = ram_style == "block" or (ram_style == "auto" and sf > SLICE_LUTRAM_DEPTH)
    slice_bits = pe * simd * wbits
    mvu = {"MW": mw, "MH": mh, "SIMD": simd, "PE": pe, "VECTORS": vectors}
    mvu |= {"IN_BITS": idt.bitwidth(), "IN_SIGNED": int(element_signed(idt)), "W_BITS": wbits}
    mvu |= {"XNOR": int(xnor), "ACC_BITS": acc_bits, "OUT_BITS": odt.bitwidth()}
    mvu |= {"USE_DSP": USE_DSP[op.get_nodeattr("resType")]}
    mvu |= {"SLICE_RAM_STYLE": "block" if block else "distributed", **activation}
    reader = {"WORDS": (mh // pe) * sf, "WORD_BITS": slice_bits, "DEPTH": max(2, sf)}
    reader |= {"MAX_OUTSTANDING": MAX_OUTSTANDING}
    reader_wires = {"ap_clk": "ap_clk", "ap_rst_n": "ap_rst_n", "base": f"{port}_base"}
    reader_wires |= {f"m_axi_{s}": f"m_axi_{port}_{s}" for s, _, _ in AXI_READ_SIGNALS}
    reader_wires |= {"out_tdata": "w_tdata", "out_tvalid": "w_tvalid", "out_tready": "w_tready"}
    mvu_wires = {"ap_clk": "ap_clk", "ap_rst_n": "ap_rst_n"}
    for stream in ("in0", "out0", "w"):
        mvu_wires |= {f"{stream}_{s}": f"{stream}_{s}" for s in ("tdata", "tvalid", "tready")}
    lines = [
        f"// Generated by qnnflow: {node.op_type} '{node.name}' (mem_mode stream_ddr, weights "
        f"read from DDR at {port}_base once per frame). Do not edit.",
        f"module {name} (",
        ",\n".join(f"    {p}" for p in _ports(name, in_spec.width, out_spec.width, port)),
        ");",
        f"    logic [{slice_bits - 1}:0] w_tdata;",
        "    logic w_tvalid, w_tready;",
        *_instance("qnnflow_ddr_reader", "reader", reader, reader_wires),
        *_instance("qnnflow_mvu_group_major", "mvu", mvu, mvu_wires),
        "endmodule",
        "",
    ]
    mm_port = RtlMMPort(port, params.DDR_WORD_BITS, image.size // 8, image_file)
    return RtlLayerCode(
        name=name,
        op_type=node.op_type,
        inputs=(in_spec,),
        outputs=(out_spec,),
        wrapper="\n".join(lines),
        kernels=KERNELS,
        files=files,
        mm_ports=(mm_port,),
    )

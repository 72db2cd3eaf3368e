"""MatrixVectorUnit -> `qnnflow_mvu` (rtl/qnnflow/mvu.sv, weights on chip). The numbers are
the HLS backend's: the same checks (backends/hls/ops/mvu), weight codes and accumulator
width, the same thresholds (ops/thresholding.activation_params) and stream order
(mvu_internal). XNOR mode accumulates a popcount: its thresholds are popcount thresholds,
and without thresholds the output is 2p - MW (POPCOUNT_TO_DOT).

resType sets qnnflow_mvu_lanes' USE_DSP: lut -> "no", dsp -> "yes", auto -> "auto" (the
tool's choice). Two lanes sharing one DSP48E1 (the HLS PACK_SHIFT) is not done: the numbers
are the same either way, only the DSP count of the estimate may differ."""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls import params
from qnnflow.backends.hls.ops.mvu import ROM_LUTRAM_DEPTH, _check_node
from qnnflow.backends.hls.ops.thresholding import check_output_holds
from qnnflow.backends.hls.streams import element_signed, stream_spec
from qnnflow.backends.rtl.layer_code import RtlLayerCode, rtl_identifier
from qnnflow.backends.rtl.mem_files import mem_text
from qnnflow.backends.rtl.ops.thresholding import STREAMS, activation_params
from qnnflow.backends.rtl.renderers import renders
from qnnflow.backends.rtl.wrapper import kernel_instance, sv_bit, sv_params, wrapper_module
from qnnflow.ops.mvu import accumulator_range

USE_DSP = {"lut": '"no"', "dsp": '"yes"', "auto": '"auto"'}  # resType -> qnnflow_mvu_lanes USE_DSP
KERNELS = ("mvu_lanes.sv", "activation_lanes.sv")  # what every MVU kernel instantiates


def datapath_params(
    model: ModelWrapper, node, name: str
) -> tuple[dict[str, int | str], dict[str, str]]:
    """The checked node's lane and activation parameters (everything but the weights'
    memory) and the thresholds' .mem file: shared by the internal and the DDR kernels."""
    op = getCustomOp(node)
    t = _check_node(model, node, op)
    mw, mh, pe = op.get_nodeattr("MW"), op.get_nodeattr("MH"), op.get_nodeattr("PE")
    idt, odt, xnor = op.input_dtype(), op.output_dtype(), op.xnor_mode()
    acc_bits = op.acc_bits() + 1 if xnor else op.acc_bits()  # a signed datapath value
    if t == 0:
        raw = model.get_initializer(node.input[1])
        check_output_holds(node, odt, *accumulator_range(raw, idt), "the accumulator")
        activation, files = {"T": 0, "POPCOUNT_TO_DOT": sv_bit(xnor)}, {}
    else:
        activation, files = activation_params(model, node, name, mh, pe, acc_bits, odt)
    parameters: dict[str, int | str] = {
        "MW": mw,
        "MH": mh,
        "SIMD": op.get_nodeattr("SIMD"),
        "PE": pe,
        "IN_BITS": idt.bitwidth(),
        "IN_SIGNED": sv_bit(element_signed(idt)),
        "W_BITS": params.kernel_weight_bits(op.weight_dtype()),
        "XNOR": sv_bit(xnor),
        "ACC_BITS": acc_bits,
        "OUT_BITS": odt.bitwidth(),
        "USE_DSP": USE_DSP[op.get_nodeattr("resType")],
        **activation,
    }
    return parameters, files


def internal_weights(model: ModelWrapper, node, name: str) -> tuple[dict[str, str], dict[str, str]]:
    """WEIGHTS_FILE and W_RAM_STYLE of qnnflow_mvu and the ROM's .mem file: word nf*SF + sf
    holds the PE lanes' SIMD weight codes (lane 0 lowest); ram_style auto puts ROMs deeper
    than ROM_LUTRAM_DEPTH words in BRAM, as the HLS renderer and the estimate do."""
    op = getCustomOp(node)
    pe, simd = op.get_nodeattr("PE"), op.get_nodeattr("SIMD")
    codes, wbits = params.mvu_weight_codes(model, node)
    slices = params.weight_slices(codes, pe, simd)
    words = slices.reshape(-1, pe * simd)
    style = op.get_nodeattr("ram_style")
    block = style == "block" or (style == "auto" and words.shape[0] > ROM_LUTRAM_DEPTH)
    file_name = f"{name}_weights.mem"
    parameters = {
        "WEIGHTS_FILE": f'"{file_name}"',
        "W_RAM_STYLE": '"block"' if block else '"distributed"',
    }
    return parameters, {file_name: mem_text(words, wbits)}


@renders("MatrixVectorUnit")
def render(model: ModelWrapper, node) -> RtlLayerCode:
    """One qnnflow_mvu with its weight ROM and threshold files; stream_ddr weights: the DDR
    reader and the group-major kernel (ops/mvu_stream_ddr)."""
    op = getCustomOp(node)
    if op.get_nodeattr("mem_mode") == "stream_ddr":
        # imported here: mvu_stream_ddr builds on this module's datapath_params
        from qnnflow.backends.rtl.ops.mvu_stream_ddr import render_stream_ddr

        return render_stream_ddr(model, node)
    name = rtl_identifier(node.name)
    parameters, files = datapath_params(model, node, name)
    weights, weight_files = internal_weights(model, node, name)
    vectors = int(np.prod(op.get_nodeattr("numInputVectors")))
    inputs = (
        stream_spec(op.input_dtype(), op.get_nodeattr("SIMD"), vectors * op.get_nodeattr("MW")),
    )
    outputs = (
        stream_spec(op.output_dtype(), op.get_nodeattr("PE"), vectors * op.get_nodeattr("MH")),
    )
    folds = f"{op.get_nodeattr('MH') // op.get_nodeattr('PE')} output folds"
    comment = f"MatrixVectorUnit '{node.name}': {vectors} vectors x {folds} per frame."
    instance = kernel_instance(
        "qnnflow_mvu", sv_params({**parameters, **weights}), "u_mvu", STREAMS
    )
    return RtlLayerCode(
        name=name,
        op_type=node.op_type,
        inputs=inputs,
        outputs=outputs,
        wrapper=wrapper_module(name, comment, [inputs[0].width], [outputs[0].width], instance),
        kernels=(*KERNELS, "mvu.sv"),
        files={**files, **weight_files},
    )

"""Thresholding -> `qnnflow_thresholding` (rtl/qnnflow/thresholding.sv), and the activation
parameters it shares with the MatrixVectorUnit (qnnflow_activation_lanes): the same checked,
folded thresholds as the HLS backend (backends/hls/ops/thresholding.threshold_table), one
.mem word per channel fold holding its PE lanes' T thresholds (lane-major)."""

from __future__ import annotations

from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.ops.thresholding import threshold_streams, threshold_table
from qnnflow.backends.hls.streams import element_signed
from qnnflow.backends.rtl.layer_code import RtlLayerCode, rtl_identifier
from qnnflow.backends.rtl.mem_files import mem_text
from qnnflow.backends.rtl.renderers import renders
from qnnflow.backends.rtl.wrapper import kernel_instance, sv_bit, sv_params, wrapper_module
from qnnflow.ops.bipolar import is_bipolar

STREAMS = {"in0": "in0", "out0": "out0"}  # kernel stream prefix -> wrapper stream prefix


def activation_params(
    model: ModelWrapper,
    node,
    name: str,
    channels: int,
    pe: int,
    value_bits: int,
    out_dtype: DataType,
    code_domain: bool = False,
) -> tuple[dict[str, int | str], dict[str, str]]:
    """qnnflow_activation_lanes' T, ACT_VAL and THRESHOLDS_FILE for lanes of `value_bits`-bit
    signed values (thresholds of value_bits + 1 bits), and the .mem file; T = 0 without."""
    table = threshold_table(model, node, channels, pe, value_bits, out_dtype, code_domain)
    if table is None:
        return {"T": 0}, {}
    folds, t = channels // pe, table.shape[2]
    words = table.transpose(1, 0, 2).reshape(folds, pe * t)  # [fold][lane * T + i]
    file_name = f"{name}_thresholds.mem"
    act_val = getCustomOp(node).get_nodeattr("ActVal")
    parameters = {"T": t, "ACT_VAL": act_val, "THRESHOLDS_FILE": f'"{file_name}"'}
    return parameters, {file_name: mem_text(words, value_bits + 1)}


@renders("Thresholding")
def render(model: ModelWrapper, node) -> RtlLayerCode:
    """One qnnflow_thresholding; its input may arrive channel-group-major (GROUPS > 1)."""
    op, groups, vectors, in_spec, out_spec = threshold_streams(model, node)
    channels, pe = op.get_nodeattr("NumChannels"), op.get_nodeattr("PE")
    idt, odt = op.input_dtype(), op.output_dtype()
    inputs, outputs = (in_spec,), (out_spec,)
    name = rtl_identifier(node.name)
    activation, files = activation_params(
        model, node, name, channels, pe, idt.bitwidth() + 1, odt, code_domain=is_bipolar(idt)
    )
    parameters: dict[str, int | str] = {
        "C": channels,
        "PE": pe,
        "VECTORS": vectors,
        "GROUPS": groups,
        "IN_BITS": idt.bitwidth(),
        "IN_SIGNED": sv_bit(element_signed(idt)),
        "OUT_BITS": odt.bitwidth(),
        **activation,
    }
    comment = f"Thresholding '{node.name}': {outputs[0].words} words of {pe} lanes per frame."
    instance = kernel_instance(
        "qnnflow_thresholding", sv_params(parameters), "u_thresholding", STREAMS
    )
    return RtlLayerCode(
        name=name,
        op_type=node.op_type,
        inputs=inputs,
        outputs=outputs,
        wrapper=wrapper_module(name, comment, [inputs[0].width], [outputs[0].width], instance),
        kernels=("activation_lanes.sv", "thresholding.sv"),
        files=files,
    )

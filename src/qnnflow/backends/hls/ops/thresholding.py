"""Thresholding -> `qnnflow::thresholding` (hls/qnnflow/thresholding.hpp), and the activation
stage that it shares with the MatrixVectorUnit's fused thresholds (hls/qnnflow/activation.hpp).

Inputs are integers of the op's inputDataType. A BIPOLAR input arrives as its one-bit code
b (x = 2b - 1), so its thresholds are moved to that domain: x >= t  <=>  b >= ceil((t + 1)/2).
A BIPOLAR output is the single threshold's 0/1 count, which is its code."""

from __future__ import annotations

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls import params
from qnnflow.backends.hls.layer_code import LayerCode, c_identifier
from qnnflow.backends.hls.renderers import renders
from qnnflow.backends.hls.streams import check_group_words, element_signed, stream_spec
from qnnflow.errors import QnnflowError
from qnnflow.ops.bipolar import is_bipolar
from qnnflow.ops.stream_order import input_channel_groups


def check_output_holds(node, dtype: DataType, low: int, high: int, what: str) -> None:
    """The kernel writes the low bits of its results: refuse an outputDataType that would
    wrap values the numpy execution produces."""
    if low < dtype.min() or high > dtype.max():
        raise QnnflowError(
            f"{node.op_type} '{node.name}': {what} spans [{low}, {high}], which outputDataType "
            f"{dtype.name} [{int(dtype.min())}, {int(dtype.max())}] cannot hold"
        )


def threshold_table(
    model: ModelWrapper,
    node,
    channels: int,
    pe: int,
    value_bits: int,
    out_dtype: DataType,
    code_domain: bool = False,
) -> np.ndarray | None:
    """The node's thresholds checked and folded for lanes of `value_bits`-bit signed values:
    [PE, channels/PE, T] int64 (qnnflow.backends.hls.params), or None for numThresholds = 0.
    `code_domain`: the values are the 0/1 codes of a BIPOLAR input. Shared by both backends."""
    op = getCustomOp(node)
    t, act_val = op.get_nodeattr("numThresholds"), op.get_nodeattr("ActVal")
    if t == 0:
        return None
    thresholds = model.get_initializer(node.input[-1])
    if thresholds is None or thresholds.ndim != 2 or thresholds.shape[1] != t:
        shape = None if thresholds is None else tuple(thresholds.shape)
        raise QnnflowError(
            f"{node.op_type} '{node.name}': thresholds must be an initializer of shape "
            f"[{channels}, {t}] (numThresholds={t}), got {shape}"
        )
    if is_bipolar(out_dtype):
        check_output_holds(node, DataType["BINARY"], act_val, act_val + t, "count(value >= t)")
    else:
        check_output_holds(node, out_dtype, act_val, act_val + t, "count(value >= t) + ActVal")
    if code_domain:
        thresholds = np.ceil((np.asarray(thresholds, dtype=np.float64) + 1) / 2)
    return params.folded_thresholds(thresholds, channels, pe, value_bits)


def activation_code(
    model: ModelWrapper,
    node,
    name: str,
    channels: int,
    pe: int,
    value_bits: int,
    out_dtype: DataType,
    code_domain: bool = False,
) -> tuple[list[str], list[str]]:
    """C++ declaring `activation` for a kernel whose lanes produce `value_bits`-bit signed
    values: (body lines, parameter-header arrays). numThresholds = 0 passes the value
    through. `code_domain`: the values are the 0/1 codes of a BIPOLAR input."""
    table = threshold_table(model, node, channels, pe, value_bits, out_dtype, code_domain)
    obits = out_dtype.bitwidth()
    if table is None:
        return [f"    const qnnflow::pass_value<{obits}> activation{{}};"], []
    act_val = getCustomOp(node).get_nodeattr("ActVal")
    t = table.shape[2]
    ctype, array = params.threshold_store(value_bits), f"{name}_thresholds"
    folds = channels // pe
    body = [
        f"#pragma HLS ARRAY_PARTITION variable={array} dim=1 complete",
        f"#pragma HLS ARRAY_PARTITION variable={array} dim=3 complete",
        f"#pragma HLS BIND_STORAGE variable={array} type=rom_1p impl=lutram",
        f"    const qnnflow::threshold_table<{pe}, {folds}, {t}, {act_val}, {obits}, "
        f"{value_bits + 1}, {ctype}> activation{{{array}}};",
    ]
    return body, [params.c_array(array, ctype, table)]


def threshold_streams(model: ModelWrapper, node) -> tuple:
    """(op, input channel groups, vectors, in spec, out spec) of a Thresholding node, after
    the checks both backends make before writing code."""
    op = getCustomOp(node)
    op.check_datatypes()
    op.check_folding()
    channels, pe = op.get_nodeattr("NumChannels"), op.get_nodeattr("PE")
    t = op.get_nodeattr("numThresholds")
    if t < 1:
        raise op.fail(f"numThresholds={t}: a Thresholding node needs at least one threshold")
    groups = input_channel_groups(model, node)
    check_group_words(node, channels, groups, PE=pe)
    vectors = int(np.prod(op.get_nodeattr("numInputVectors")))
    in_spec = stream_spec(op.input_dtype(), pe, vectors * channels)
    out_spec = stream_spec(op.output_dtype(), pe, vectors * channels)
    return op, groups, vectors, in_spec, out_spec


@renders("Thresholding")
def render(model: ModelWrapper, node) -> LayerCode:
    """One kernel call; its input may arrive channel-group-major (GROUPS > 1)."""
    op, groups, vectors, in_spec, out_spec = threshold_streams(model, node)
    channels, pe = op.get_nodeattr("NumChannels"), op.get_nodeattr("PE")
    idt, odt = op.input_dtype(), op.output_dtype()
    name = c_identifier(node.name)
    body, arrays = activation_code(
        model,
        node,
        name,
        channels=channels,
        pe=pe,
        value_bits=idt.bitwidth() + 1,
        out_dtype=odt,
        code_domain=is_bipolar(idt),
    )
    args = [channels, pe, vectors, groups, idt.bitwidth(), str(element_signed(idt)).lower()]
    args.append(odt.bitwidth())
    body.append(f"    qnnflow::thresholding<{', '.join(map(str, args))}>(in0, out0, activation);")
    title = f"parameters of {node.op_type} '{node.name}'"
    return LayerCode(
        name=name,
        op_type=node.op_type,
        inputs=(in_spec,),
        output=out_spec,
        body="\n".join(body),
        includes=("qnnflow/thresholding.hpp", f"{name}_params.hpp"),
        files={f"{name}_params.hpp": params.header(title, arrays)},
    )

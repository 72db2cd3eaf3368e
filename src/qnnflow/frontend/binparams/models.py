"""Models built from the trained Tinier-YOLO parameters: the hidden hardware layers alone
(codes in, codes out, what the board's accelerator computes) and the whole detector
(image in, raw region tensor out) with conv0 and conv8 on the host (float, the
board-faithful graph) or, first_last="fabric", quantized so the flow puts them in hardware."""

from __future__ import annotations

import json

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.errors import QnnflowError
from qnnflow.frontend.binparams.fabric import QONNX, add_conv0_fabric, add_conv8_fabric
from qnnflow.frontend.binparams.hidden_layers import add_hidden_layers
from qnnflow.frontend.binparams.params import TinierYoloParams
from qnnflow.frontend.darknet.to_onnx import HEADS_KEY
from qnnflow.ops import DOMAIN
from qnnflow.quant.qonnx_nodes import quantize_conv_weights_int
from qnnflow.util.graph_builder import GraphBuilder

ACT_DTYPE = "UINT3"
FIRST_LAST = ("host", "fabric")  # where conv0 and conv8 run


def _finish(
    gb: GraphBuilder,
    out: str,
    shape: list[int],
    dtypes: dict[str, str],
    name: str,
    input_dtype: str,
) -> ModelWrapper:
    domains = (DOMAIN, QONNX) if any(n.domain == QONNX for n in gb.nodes) else (DOMAIN,)
    model = ModelWrapper(gb.finish([(out, shape)], name=name, domains=domains))
    model.set_tensor_datatype(model.graph.input[0].name, DataType[input_dtype])
    for tensor, dtype in dtypes.items():
        model.set_tensor_datatype(tensor, DataType[dtype])
    return model.transform(InferShapes()).transform(InferDataTypes())


def hidden_layers_model(params: TinierYoloParams) -> ModelWrapper:
    """NHWC codes [1, H, W, C] (UINT3) -> NHWC codes of the last hidden layer."""
    first = params.hidden[0]
    size = params.input_size[0] // params.conv0_stride, params.input_size[1] // params.conv0_stride
    gb = GraphBuilder()
    x = gb.add_input("codes", [1, size[0], size[1], first.weight.shape[1]])
    out, (h, w, c), dtypes = add_hidden_layers(
        gb, x, (size[0], size[1], first.weight.shape[1]), params.hidden, ACT_DTYPE
    )
    return _finish(gb, out, [1, h, w, c], dtypes, "tinier_yolo_hidden", ACT_DTYPE)


def _add_conv0_quantized(gb: GraphBuilder, params: TinierYoloParams, x: str) -> str:
    """Float conv0 + bias, then code = round(clip(y, 0, max) / max * levels) in float32."""
    p, s = params.conv0_pad, params.conv0_stride
    y = gb.node(
        "Conv",
        [x, gb.const("conv0_W", params.conv0_weight), gb.const("conv0_B", params.conv0_bias)],
        "conv0",
        kernel_shape=list(params.conv0_weight.shape[2:]),
        strides=[s, s],
        pads=[p, p, p, p],
    )
    top = params.act_clip_max
    y = gb.node("Clip", [y, gb.const("conv0_min", 0.0), gb.const("conv0_max", top)], "conv0_clip")
    y = gb.node("Div", [y, gb.const("conv0_range", top)], "conv0_unit")
    y = gb.node("Mul", [y, gb.const("conv0_levels", float(params.act_levels))], "conv0_scaled")
    return gb.node("Round", [y], "conv0_codes")


def _add_conv8_float(gb: GraphBuilder, params: TinierYoloParams, codes: str) -> str:
    scaled = gb.node(
        "Mul", [codes, gb.const("conv8_in_scale", params.conv8_input_scale)], "conv8_in"
    )
    return gb.node(
        "Conv",
        [scaled, gb.const("conv8_W", params.conv8_weight), gb.const("conv8_B", params.conv8_bias)],
        "conv8",
        kernel_shape=list(params.conv8_weight.shape[2:]),
    )


def detector_model(
    params: TinierYoloParams, host_bits: int | None = None, first_last: str = "host"
) -> ModelWrapper:
    """Letterboxed image NCHW float [1, 3, H, W] in [0, 1] -> raw region tensor (NCHW).
    first_last "host": conv0 and conv8 are float host convs (the board's split); `host_bits`
    quantizes their weights to that many bits per filter (8 as in Tincy-YOLO), None keeps
    them float. "fabric": an 8-bit input and 8-bit conv0/conv8 weights that the flow
    converts to hardware (fabric.py); the hidden layers are the same either way."""
    if first_last not in FIRST_LAST:
        raise QnnflowError(f"first_last must be one of {', '.join(FIRST_LAST)}, not {first_last!r}")
    if first_last == "fabric" and host_bits is not None:
        raise QnnflowError("host_bits applies to host convs; the fabric variant has 8-bit weights")
    fabric = first_last == "fabric"
    gb = GraphBuilder()
    x = gb.add_input("input", [1, 3, *params.input_size])
    codes = add_conv0_fabric(gb, params, x) if fabric else _add_conv0_quantized(gb, params, x)
    nhwc = gb.node("Transpose", [codes], "conv0_codes_nhwc", perm=[0, 2, 3, 1])
    h, w = (v // params.conv0_stride for v in params.input_size)
    out, (h, w, c), dtypes = add_hidden_layers(
        gb, nhwc, (h, w, params.hidden[0].weight.shape[1]), params.hidden, ACT_DTYPE
    )
    nchw = gb.node("Transpose", [out], "hidden_out_nchw", perm=[0, 3, 1, 2])
    head = add_conv8_fabric(gb, params, nchw) if fabric else _add_conv8_float(gb, params, nchw)
    n_out = params.conv8_weight.shape[0]
    model = _finish(gb, head, [1, n_out, h, w], dtypes, "tinier_yolo_detector", "FLOAT32")
    model.set_tensor_datatype(codes, DataType[ACT_DTYPE])
    model.set_tensor_datatype(nhwc, DataType[ACT_DTYPE])
    model = model.transform(InferDataTypes())
    head_info = {
        "index": 0,
        "type": "region",
        "output": head,
        "shape": [n_out, h, w],
        "anchors": [float(v) for v in np.asarray(params.anchors).ravel()],
        "classes": params.classes,
        "coords": params.coords,
        "num": params.num,
        "softmax": True,
        "names": params.names,
    }
    model.set_metadata_prop(HEADS_KEY, json.dumps([head_info]))
    if host_bits is not None:
        for name in ("conv0", "conv8"):
            quantize_conv_weights_int(model, model.get_node_from_name(name), host_bits)
        model = model.transform(InferShapes())
    return model

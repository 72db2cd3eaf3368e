"""Render a hardware region layer by layer and link the layers' streams, for either backend:
each stream has one producer and one reader, and both agree on its words and width (else a
width converter or a stream duplicator is missing). Shared by the HLS and RTL stitchers."""

from __future__ import annotations

from collections.abc import Callable

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.hls.layer_code import StreamSpec
from qnnflow.errors import QnnflowError


def render_linked(model: ModelWrapper, region: list, render: Callable) -> tuple[dict, list]:
    """({tensor: StreamSpec}, [layer code]) of `region` rendered with `render(model, node)`,
    whose results have `.inputs`, `.outputs` and `.mm_ports`."""
    streams: dict[str, StreamSpec] = {}
    layers = []
    for node in region:
        code = render(model, node)
        data_inputs = [t for t in node.input if t and model.get_initializer(t) is None]
        if len(data_inputs) != len(code.inputs) or len(node.output) != len(code.outputs):
            raise QnnflowError(
                f"'{node.name}': {len(data_inputs)} streamed inputs and {len(node.output)} "
                f"outputs, its code has {len(code.inputs)} and {len(code.outputs)}"
            )
        for tensor, spec in zip(data_inputs, code.inputs, strict=True):
            known = streams.setdefault(tensor, spec)
            if known.width != spec.width or known.words != spec.words:
                raise QnnflowError(
                    f"stream '{tensor}' into '{node.name}': producer writes {known.words} words "
                    f"of {known.width} bits, consumer reads {spec.words} of {spec.width} "
                    "(a width converter is missing)"
                )
        for tensor, spec in zip(node.output, code.outputs, strict=True):
            readers = len(model.find_consumers(tensor))
            if readers > 1:
                raise QnnflowError(
                    f"'{node.name}' feeds {readers} hardware layers through '{tensor}'; a "
                    "stream has one reader (insert a stream duplicator)"
                )
            streams[tensor] = spec
        layers.append(code)
    ports = [p.name for code in layers for p in code.mm_ports]
    if len(set(ports)) != len(ports):
        raise QnnflowError(f"DDR port names collide: {ports}")
    return streams, layers

"""Stitch the hardware layers of a folded graph into one dataflow accelerator: every layer's
own file, a synthesisable DATAFLOW top whose FIFO widths follow the folding, and a g++
simulation driver that runs the same layer functions and can dump every layer's stream."""

from __future__ import annotations

import string
from dataclasses import dataclass
from string import Template

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.analysis.hardware_region import hardware_region, region_boundary
from qnnflow.backends.hls.layer_code import (
    LayerCode,
    MMPort,
    StreamSpec,
    interface_pragmas,
    render_layer_top,
)
from qnnflow.backends.hls.ops import render_node
from qnnflow.backends.hls.paths import template_path
from qnnflow.backends.stream_links import render_linked

DEFAULT_TOP = "qnnflow_accel"
TOP_IN = "in0"  # the stitched top's AXI-stream input port (ip_manifest in_port)


def top_out_port(index: int) -> str:
    """The stitched top's AXI-stream port of region output `index`: out0, out1, ..."""
    return f"out{index}"


def axi_width(bits: int) -> int:
    """A stream word padded to whole bytes, as the DMA and qnnflow.driver.formats see it."""
    return -(-bits // 8) * 8


@dataclass(frozen=True)
class NetworkCode:
    """The stitched accelerator: layers in topological order and the stream of each tensor."""

    top: str
    node_names: tuple[str, ...]
    layers: tuple[LayerCode, ...]
    streams: dict[str, StreamSpec]  # tensor name -> stream
    input_tensor: str
    output_tensors: tuple[str, ...]  # one AXI-stream port each (out0, out1, ...), in order

    @property
    def mm_ports(self) -> tuple[MMPort, ...]:
        return tuple(p for layer in self.layers for p in layer.mm_ports)

    def stream_var(self, tensor: str) -> str:
        return "s_" + "".join(ch if ch.isalnum() else "_" for ch in tensor)


def build_network_code(model: ModelWrapper, top: str = DEFAULT_TOP) -> NetworkCode:
    """Render every hardware layer and check that connected streams agree in width."""
    region = hardware_region(model)
    input_tensor, output_tensors = region_boundary(model, region)
    streams, layers = render_linked(model, region, render_node)
    return NetworkCode(
        top=top,
        node_names=tuple(n.name for n in region),
        layers=tuple(layers),
        streams=streams,
        input_tensor=input_tensor,
        output_tensors=tuple(output_tensors),
    )


def _call(net: NetworkCode, index: int, model_nodes: list, sim: bool) -> str:
    code, node = net.layers[index], model_nodes[index]
    args = [net.stream_var(t) for t in node.input if t in net.streams]
    args += [net.stream_var(t) for t in node.output]
    args += [p.sim_symbol if sim else p.name for p in code.mm_ports]
    return f"{code.name}({', '.join(args)});"


def render_network(model: ModelWrapper, net: NetworkCode) -> dict[str, str]:
    """All files of the accelerator: layer files, `<top>.cpp` and `<top>_sim.cpp`."""
    files: dict[str, str] = {}
    for code in net.layers:
        files.update(render_layer_top(code))
    region = hardware_region(model)
    includes = "\n".join(f'#include "{code.name}.cpp"' for code in net.layers)
    in_spec, in_var = net.streams[net.input_tensor], net.stream_var(net.input_tensor)
    outs = [(top_out_port(i), net.streams[t], t) for i, t in enumerate(net.output_tensors)]
    # DMA side: byte-padded words in; outs with TKEEP/TSTRB and TLAST on a frame's last word
    params = [f"hls::stream<ap_uint<{axi_width(in_spec.width)}>> &{TOP_IN}"]
    params += [f"hls::stream<qnnflow::axis_word<{axi_width(s.width)}>> &{p}" for p, s, _ in outs]
    params += [f"{p.ctype} *{p.name}" for p in net.mm_ports]
    pragmas = interface_pragmas([TOP_IN, *(p for p, _, _ in outs)], net.mm_ports)
    declares = [
        f'    hls::stream<{spec.ctype}> {net.stream_var(t)}("{net.stream_var(t)}");'
        for t, spec in net.streams.items()
    ]
    declares += [f"#pragma HLS STREAM variable={net.stream_var(t)} depth=2" for t in net.streams]
    calls = [
        f"    qnnflow::axis_to_stream<{in_spec.words}, {in_spec.width}>({TOP_IN}, {in_var});",
        *(f"    {_call(net, i, region, sim=False)}" for i in range(len(net.layers))),
        *(
            f"    qnnflow::stream_to_axis_last<{spec.words}, {spec.width}>"
            f"({net.stream_var(tensor)}, {port});"
            for port, spec, tensor in outs
        ),
    ]
    files[f"{net.top}.cpp"] = Template(template_path("network_top.cpp.in").read_text()).substitute(
        top=net.top,
        layer_includes=includes,
        params=", ".join(params),
        pragmas="\n".join(pragmas),
        declare_streams="\n".join(declares),
        calls="\n".join(calls),
    )
    files[f"{net.top}_sim.cpp"] = _render_sim(net, region, includes)
    return files


PLAIN_C_CHARS = frozenset(string.ascii_letters + string.digits + "_-.:/ ")


def c_string(text: str) -> str:
    """`text` as a C string literal: bytes other than plain ASCII become octal escapes."""
    escaped = "".join(chr(b) if chr(b) in PLAIN_C_CHARS else f"\\{b:03o}" for b in text.encode())
    return f'"{escaped}"'


def _render_sim(net: NetworkCode, region: list, includes: str) -> str:
    in_spec = net.streams[net.input_tensor]
    declares = [
        f'        hls::stream<{spec.ctype}> {net.stream_var(t)}("{net.stream_var(t)}");'
        for t, spec in net.streams.items()
    ]
    step = Template(template_path("network_sim_step.cpp.in").read_text())
    steps = []
    for i, node in enumerate(region):
        spec = net.streams[node.output[0]]
        text = step.substitute(
            index=i,
            name=node.name,
            call=_call(net, i, region, sim=True),
            per_word=spec.per_word,
            bits=spec.bits,
            signed=str(spec.signed).lower(),
            bipolar=str(spec.bipolar).lower(),
            stream=net.stream_var(node.output[0]),
            words=spec.words,
        )
        steps.append(text.rstrip("\n"))
    return Template(template_path("network_sim.cpp.in").read_text()).substitute(
        top=net.top,
        layer_includes=includes,
        in_elements=in_spec.elements,
        layer_count=len(net.layers),
        layer_names=", ".join(c_string(node.name) for node in region),
        declare_streams="\n".join(declares),
        in_per_word=in_spec.per_word,
        in_bits=in_spec.bits,
        in_bipolar=str(in_spec.bipolar).lower(),
        in_words=in_spec.words,
        in_stream=net.stream_var(net.input_tensor),
        steps="\n".join(steps),
        pop_outputs="\n".join(_pop_output(net, t) for t in net.output_tensors),
    )


def _pop_output(net: NetworkCode, tensor: str) -> str:
    """The simulation's read of one output stream; every frame's outputs follow one another
    in the OUT file, in the region's output order."""
    spec = net.streams[tensor]
    signed, bipolar = str(spec.signed).lower(), str(spec.bipolar).lower()
    return (
        f"        qnnflow::sim::pop_words<{spec.per_word}, {spec.bits}, {signed}, {bipolar}>"
        f"({net.stream_var(tensor)}, {spec.words}, out_values);"
    )

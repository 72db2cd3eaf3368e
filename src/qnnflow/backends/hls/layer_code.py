"""What a hardware op's HLS backend hands to the code generator: the layer's streams, the
C++ statement that calls its kernel, and its generated parameter files. One dataclass shared
by every op's renderer, the per-layer simulation and the stitched top."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from string import Template

from qnnflow.backends.hls.paths import template_path


def c_identifier(node_name: str) -> str:
    """A node name as a C++ function name: `L_` keeps it clear of keywords and digits."""
    return "L_" + re.sub(r"[^0-9A-Za-z_]", "_", node_name)


@dataclass(frozen=True)
class StreamSpec:
    """A stream of `words` words per frame, each of `per_word` elements of `bits` bits
    (`bipolar`: one bit per -1/+1 element; the simulation files hold -1/+1)."""

    per_word: int
    bits: int
    signed: bool
    words: int
    bipolar: bool = False

    @property
    def width(self) -> int:
        return self.per_word * self.bits

    @property
    def ctype(self) -> str:
        return f"ap_uint<{self.width}>"

    @property
    def elements(self) -> int:
        return self.per_word * self.words


@dataclass(frozen=True)
class MMPort:
    """An AXI-MM (DDR) read port, e.g. streamed weights; in simulation it points at the
    array `sim_symbol` defined in one of the layer's generated files."""

    name: str
    word_bits: int
    depth: int
    sim_symbol: str

    @property
    def ctype(self) -> str:
        return f"const ap_uint<{self.word_bits}>"


@dataclass(frozen=True)
class LayerCode:
    """`body` uses the streams in0, in1, ..., out0, out1, ... and the MM port names;
    `extra_outputs` are the streams out1, out2, ... of an op with several (a fork)."""

    name: str
    op_type: str
    inputs: tuple[StreamSpec, ...]
    output: StreamSpec
    body: str
    includes: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)
    mm_ports: tuple[MMPort, ...] = ()
    extra_outputs: tuple[StreamSpec, ...] = ()

    @property
    def outputs(self) -> tuple[StreamSpec, ...]:
        return (self.output, *self.extra_outputs)

    def params(self) -> str:
        streams = [f"hls::stream<{s.ctype}> &in{i}" for i, s in enumerate(self.inputs)]
        streams += [f"hls::stream<{s.ctype}> &out{i}" for i, s in enumerate(self.outputs)]
        ports = [f"{p.ctype} *{p.name}" for p in self.mm_ports]
        return ", ".join(streams + ports)

    def pragmas(self) -> list[str]:
        streams = [f"in{i}" for i in range(len(self.inputs))]
        streams += [f"out{i}" for i in range(len(self.outputs))]
        return interface_pragmas(streams, self.mm_ports)


def interface_pragmas(streams: list[str], mm_ports: tuple[MMPort, ...]) -> list[str]:
    """AXI-stream ports; DDR ports as AXI-MM masters whose base addresses (and then the
    start/done handshake) sit on an AXI-lite slave, else free-running (ap_ctrl_none)."""
    lines = [f"#pragma HLS INTERFACE axis port={name}" for name in streams]
    for port in mm_ports:
        lines.append(
            f"#pragma HLS INTERFACE m_axi port={port.name} offset=slave "
            f"bundle={port.name} depth={port.depth}"
        )
        lines.append(f"#pragma HLS INTERFACE s_axilite port={port.name}")
    lines.append(
        "#pragma HLS INTERFACE s_axilite port=return"
        if mm_ports
        else "#pragma HLS INTERFACE ap_ctrl_none port=return"
    )
    return lines


def render_layer_top(code: LayerCode) -> dict[str, str]:
    """The synthesisable top function `<name>.cpp` plus the layer's parameter files."""
    includes = "\n".join(f'#include "{inc}"' for inc in code.includes)
    text = Template(template_path("layer_top.cpp.in").read_text()).substitute(
        name=code.name,
        op_type=code.op_type,
        includes=includes,
        params=code.params(),
        pragmas="\n".join(code.pragmas()),
        body=code.body,
    )
    return {f"{code.name}.cpp": text, **code.files}


def render_layer_main(code: LayerCode) -> str:
    """The simulation driver: frames of int64 elements from files through the layer; the
    output file holds each frame's outputs one after another (out0, then out1, ...)."""
    loads, declares, drains, pops = [], [], [], []
    for i, spec in enumerate(code.inputs):
        loads.append(
            f"    const auto in{i}_values = qnnflow::sim::read_elements("
            f"argv[{i + 2}], frames * {spec.elements});"
        )
        declares.append(f"        hls::stream<{spec.ctype}> in{i};")
        declares.append(
            f"        qnnflow::sim::push_words<{spec.per_word}, {spec.bits}, "
            f"{_cpp_bool(spec.bipolar)}>("
            f"in{i}_values, f * {spec.elements}, {spec.words}, in{i});"
        )
        drains.append(
            f"        if (!in{i}.empty()) {{ std::fprintf(stderr, "
            f'"error: {code.name} left input {i} unread\\n"); return 6; }}'
        )
    for i, out in enumerate(code.outputs):
        declares.append(f"        hls::stream<{out.ctype}> out{i};")
        pops.append(
            f"        qnnflow::sim::pop_words<{out.per_word}, {out.bits}, "
            f"{_cpp_bool(out.signed)}, {_cpp_bool(out.bipolar)}>(out{i}, {out.words}, "
            "out_values);"
        )
        pops.append(
            f"        if (!out{i}.empty()) {{ std::fprintf(stderr, "
            f'"error: {code.name} wrote more than {out.words} words per frame on output '
            f'{i}\\n"); return 5; }}'
        )
    args = [f"in{i}" for i in range(len(code.inputs))]
    args += [f"out{i}" for i in range(len(code.outputs))]
    args += [p.sim_symbol for p in code.mm_ports]
    return Template(template_path("layer_main.cpp.in").read_text()).substitute(
        name=code.name,
        argc=len(code.inputs) + 3,
        usage=" ".join(f"IN{i}" for i in range(len(code.inputs))),
        load_inputs="\n".join(loads),
        declare_streams="\n".join(declares),
        call_args=", ".join(args),
        pop_outputs="\n".join(pops),
        check_inputs_drained="\n".join(drains),
    )


def _cpp_bool(value: bool) -> str:
    return "true" if value else "false"

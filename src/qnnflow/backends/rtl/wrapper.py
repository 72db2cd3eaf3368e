"""The text of a generated per-layer wrapper module: the contract's ports (ap_clk, ap_rst_n,
in<i>_tdata/tvalid/tready, out<i>_...) around the kernel instances a renderer writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def sv_params(params: Mapping[str, int | str]) -> str:
    """A parameter override list `#(.A(1), .B(2))`, one per line, in the given order."""
    lines = ",\n".join(f"      .{key}({value})" for key, value in params.items())
    return f"#(\n{lines}\n  )"


def sv_bit(value: bool) -> int:
    """A boolean module parameter (0/1: untyped parameters, as Yosys and Verilator take)."""
    return 1 if value else 0


def stream_ports(inputs: Sequence[int], outputs: Sequence[int]) -> list[str]:
    """Port declarations of streams in0.. (widths `inputs`) and out0.. (widths `outputs`)."""
    ports = ["input  logic ap_clk", "input  logic ap_rst_n"]
    for i, width in enumerate(inputs):
        ports += [
            f"input  logic [{width - 1}:0] in{i}_tdata",
            f"input  logic in{i}_tvalid",
            f"output logic in{i}_tready",
        ]
    for i, width in enumerate(outputs):
        ports += [
            f"output logic [{width - 1}:0] out{i}_tdata",
            f"output logic out{i}_tvalid",
            f"input  logic out{i}_tready",
        ]
    return ports


def wrapper_module(
    name: str, comment: str, inputs: Sequence[int], outputs: Sequence[int], body: str
) -> str:
    """`module name` with the stream ports and `body` (kernel instances, assigns) inside."""
    ports = ",\n".join(f"    {p}" for p in stream_ports(inputs, outputs))
    header = "".join(f"// {line}\n".replace("// \n", "//\n") for line in comment.splitlines())
    return f"{header}module {name} (\n{ports}\n);\n{body.rstrip()}\nendmodule\n"


def kernel_instance(module: str, params: str, instance: str, streams: Mapping[str, str]) -> str:
    """`module params instance (...)` with the clock, the reset and each kernel stream
    prefix (e.g. "in") wired to a wrapper stream prefix (e.g. "in0")."""
    ports = ["      .ap_clk(ap_clk)", "      .ap_rst_n(ap_rst_n)"]
    for kernel, outer in streams.items():
        ports += [f"      .{kernel}_{s}({outer}_{s})" for s in ("tdata", "tvalid", "tready")]
    joined = ",\n".join(ports)
    return f"  {module} {params} {instance} (\n{joined}\n  );"

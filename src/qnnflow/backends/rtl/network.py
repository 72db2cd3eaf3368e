"""Stitch the hardware layers of a folded graph into one SystemVerilog accelerator with the
same external ports as the HLS top (backends/hls/network.py), so the block design, the
package and the driver do not know which backend made it:

- `<top>_core`: every layer's wrapper, wired stream to stream, with the contract's ports
  (in0 of the region input's exact width, out0..outN, per DDR port `<p>_base` and its AXI4
  read master); the network simulation runs this module.
- `<top>`: the core behind the DMA side: in0 a whole number of bytes wide (padding bits
  ignored), each out<j> byte-padded with TKEEP/TSTRB all ones and TLAST on a frame's last
  word, the `m_axi_<p>_*` masters, and with DDR ports the `s_axi_control` AXI4-Lite slave
  (the driver's register map, rtl/qnnflow/axilite_control.sv) that holds the layers until
  ap_start, and the `interrupt` pin the block design connects (held low); without DDR
  ports the top free-runs (ap_ctrl_none)."""

from __future__ import annotations

from dataclasses import dataclass

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.analysis.hardware_region import hardware_region, region_boundary
from qnnflow.backends.hls.layer_code import StreamSpec
from qnnflow.backends.hls.network import DEFAULT_TOP, TOP_IN, axi_width, top_out_port
from qnnflow.backends.rtl.layer_code import RtlLayerCode, RtlMMPort, kernel_sources
from qnnflow.backends.rtl.ops import render_node
from qnnflow.backends.rtl.package_tcl import CONTROL, FIRST_ADDRESS_REGISTER
from qnnflow.backends.rtl.renderers import RENDERERS
from qnnflow.backends.rtl.wrapper import stream_ports
from qnnflow.backends.stream_links import render_linked
from qnnflow.errors import QnnflowError

ADAPTER_KERNELS = ("axis_last.sv", "axilite_control.sv")


@dataclass(frozen=True)
class RtlNetworkCode:
    """The stitched accelerator: layers in region order and the stream of each tensor."""

    top: str
    node_names: tuple[str, ...]
    layers: tuple[RtlLayerCode, ...]
    streams: dict[str, StreamSpec]  # tensor name -> stream
    input_tensor: str
    output_tensors: tuple[str, ...]  # out0, out1, ... in order

    @property
    def core(self) -> str:
        return f"{self.top}_core"

    @property
    def mm_ports(self) -> tuple[RtlMMPort, ...]:
        return tuple(p for layer in self.layers for p in layer.mm_ports)

    @property
    def inputs(self) -> tuple[StreamSpec, ...]:
        return (self.streams[self.input_tensor],)

    @property
    def outputs(self) -> tuple[StreamSpec, ...]:
        return tuple(self.streams[t] for t in self.output_tensors)


def check_rtl_support(region: list) -> None:
    """One error naming every op type of the region that has no RTL renderer yet."""
    missing = sorted({n.op_type for n in region} - set(RENDERERS))
    if missing:
        layers = [n.name for n in region if n.op_type in missing]
        shown = ", ".join(layers[:6]) + (f" and {len(layers) - 6} more" if len(layers) > 6 else "")
        raise QnnflowError(
            f"no RTL renderer for op type(s) {', '.join(missing)} (layers {shown}); the RTL "
            f"backend renders {', '.join(sorted(RENDERERS)) or 'nothing yet'}"
        )


def build_rtl_network(model: ModelWrapper, top: str = DEFAULT_TOP) -> RtlNetworkCode:
    """Render every hardware layer to RTL and check that connected streams agree."""
    region = hardware_region(model)
    check_rtl_support(region)
    input_tensor, output_tensors = region_boundary(model, region)
    streams, layers = render_linked(model, region, render_node)
    return RtlNetworkCode(
        top=top,
        node_names=tuple(n.name for n in region),
        layers=tuple(layers),
        streams=streams,
        input_tensor=input_tensor,
        output_tensors=tuple(output_tensors),
    )


def mm_port_decls(port: RtlMMPort, base: bool) -> list[str]:
    """The AXI4 read master of `port` (and its `<p>_base` input on a layer or the core)."""
    m = f"m_axi_{port.name}"
    lines = [f"input  logic [31:0] {port.name}_base"] if base else []
    return lines + [
        f"output logic [31:0] {m}_araddr",
        f"output logic [7:0] {m}_arlen",
        f"output logic [2:0] {m}_arsize",
        f"output logic [1:0] {m}_arburst",
        f"output logic {m}_arvalid",
        f"input  logic {m}_arready",
        f"input  logic [{port.word_bits - 1}:0] {m}_rdata",
        f"input  logic [1:0] {m}_rresp",
        f"input  logic {m}_rlast",
        f"input  logic {m}_rvalid",
        f"output logic {m}_rready",
    ]


def _port_name(decl: str) -> str:
    return decl.split()[-1]


def _wire(net: RtlNetworkCode, tensor: str) -> str:
    """The core's signal prefix of `tensor`: its port, or a wire `s_<tensor>`."""
    if tensor == net.input_tensor:
        return "in0"
    if tensor in net.output_tensors:
        return f"out{net.output_tensors.index(tensor)}"
    return "s_" + "".join(ch if ch.isalnum() else "_" for ch in tensor)


def render_core(model: ModelWrapper, net: RtlNetworkCode) -> str:
    """`<top>_core`: the layers' wrappers wired in region order."""
    region = hardware_region(model)
    ports = stream_ports([s.width for s in net.inputs], [s.width for s in net.outputs])
    for port in net.mm_ports:
        ports += mm_port_decls(port, base=True)
    lines = [
        f"// Generated by qnnflow: the {len(net.layers)} stitched layers of {net.top}. Do not "
        "edit.",
        f"module {net.core} (",
        ",\n".join(f"    {p}" for p in ports),
        ");",
    ]
    internal = [t for t in net.streams if _wire(net, t).startswith("s_")]
    for tensor in internal:
        wire = _wire(net, tensor)
        lines.append(
            f"  logic [{net.streams[tensor].width - 1}:0] {wire}_tdata;  // {tensor}\n"
            f"  logic {wire}_tvalid, {wire}_tready;"
        )
    for node, code in zip(region, net.layers, strict=True):
        links = ["ap_clk", "ap_rst_n"]
        links = [f".{s}({s})" for s in links]
        data_inputs = [t for t in node.input if t and model.get_initializer(t) is None]
        for prefix, tensors in (("in", data_inputs), ("out", list(node.output))):
            for i, tensor in enumerate(tensors):
                wire = _wire(net, tensor)
                links += [f".{prefix}{i}_{s}({wire}_{s})" for s in ("tdata", "tvalid", "tready")]
        for port in code.mm_ports:
            links += [f".{n}({n})" for n in map(_port_name, mm_port_decls(port, base=True))]
        lines.append(f"  {code.name} u_{code.name} (  // {node.op_type} '{node.name}'")
        lines.append(",\n".join(f"      {link}" for link in links))
        lines.append("  );")
    lines += ["endmodule", ""]
    return "\n".join(lines)


def control_addr_bits(ports: int) -> int:
    """Address bits of the control slave: CTRL..ISR, then 8 bytes per DDR port
    (backends/rtl/package_tcl.control_registers)."""
    return max(5, (FIRST_ADDRESS_REGISTER + 8 * ports - 1).bit_length())


def render_top(net: RtlNetworkCode) -> str:
    """`<top>`: the DMA-facing ports around the core (see the module docstring)."""
    in_spec, mm = net.inputs[0], net.mm_ports
    in_axi = axi_width(in_spec.width)
    ports = ["input  logic ap_clk", "input  logic ap_rst_n"]
    ports += [
        f"input  logic [{in_axi - 1}:0] {TOP_IN}_tdata",
        f"input  logic {TOP_IN}_tvalid",
        f"output logic {TOP_IN}_tready",
    ]
    for j, spec in enumerate(net.outputs):
        p, width = top_out_port(j), axi_width(spec.width)
        ports += [
            f"output logic [{width - 1}:0] {p}_tdata",
            f"output logic {p}_tvalid",
            f"input  logic {p}_tready",
            f"output logic [{width // 8 - 1}:0] {p}_tkeep",
            f"output logic [{width // 8 - 1}:0] {p}_tstrb",
            f"output logic {p}_tlast",
        ]
    for port in mm:
        ports += mm_port_decls(port, base=False)
    bits = control_addr_bits(len(mm))
    control = (
        [
            f"input  logic [{bits - 1}:0] {CONTROL}_awaddr",
            f"input  logic {CONTROL}_awvalid",
            f"output logic {CONTROL}_awready",
            f"input  logic [31:0] {CONTROL}_wdata",
            f"input  logic [3:0] {CONTROL}_wstrb",
            f"input  logic {CONTROL}_wvalid",
            f"output logic {CONTROL}_wready",
            f"output logic [1:0] {CONTROL}_bresp",
            f"output logic {CONTROL}_bvalid",
            f"input  logic {CONTROL}_bready",
            f"input  logic [{bits - 1}:0] {CONTROL}_araddr",
            f"input  logic {CONTROL}_arvalid",
            f"output logic {CONTROL}_arready",
            f"output logic [31:0] {CONTROL}_rdata",
            f"output logic [1:0] {CONTROL}_rresp",
            f"output logic {CONTROL}_rvalid",
            f"input  logic {CONTROL}_rready",
        ]
        if mm
        else []
    )
    # the HLS top's ap_ctrl interrupt pin, which the block design wires to the PS: never
    # raised (the driver polls the DMA, not ap_done); the name is Vitis HLS', a C++ word
    lint = "/* verilator lint_{} SYMRSVDWORD */"
    irq = f"{lint.format('off')} output logic interrupt {lint.format('on')}"
    ports += control + ([irq] if mm else [])
    lines = [
        f"// Generated by qnnflow: the accelerator {net.top} ({len(net.layers)} layers), the "
        "RTL twin of the HLS top's ports. Do not edit.",
        f"module {net.top} (",
        ",\n".join(f"    {p}" for p in ports),
        ");",
        "  logic running;  // the layers take frames once started",
        f"  logic [{in_spec.width - 1}:0] core_in0_tdata;",
        "  logic core_in0_tready;",
    ]
    for j, spec in enumerate(net.outputs):
        lines.append(f"  logic [{spec.width - 1}:0] core_out{j}_tdata;")
        lines.append(f"  logic core_out{j}_tvalid, core_out{j}_tready;")
    if in_axi > in_spec.width:
        lines.append("  /* verilator lint_off UNUSEDSIGNAL */")
        lines.append(f"  wire [{in_axi - 1}:0] padded_in0 = {TOP_IN}_tdata;  // padding unread")
        lines.append("  /* verilator lint_on UNUSEDSIGNAL */")
    lines.append(f"  assign core_in0_tdata = {TOP_IN}_tdata[{in_spec.width - 1}:0];")
    lines.append(f"  assign {TOP_IN}_tready = core_in0_tready && running;")
    if mm:
        lines.append(f"  logic [{32 * len(mm) - 1}:0] bases;")
        links = [f".{_port_name(p)}({_port_name(p)})" for p in control]
        links = ".ap_clk(ap_clk), .ap_rst_n(ap_rst_n), " + ", ".join(links)
        lines.append(
            f"  qnnflow_axilite_control #(.PORTS({len(mm)}), .ADDR_BITS({bits})) control (\n"
            f"      {links}, .started(running), .base_addresses(bases)\n  );"
        )
        lines.append("  assign interrupt = 1'b0;")
    else:
        lines.append("  assign running = 1'b1;  // free-running, as ap_ctrl_none")
    for j, spec in enumerate(net.outputs):
        p = top_out_port(j)
        lines.append(
            f"  qnnflow_axis_last #(.WIDTH({spec.width}), .AXI_WIDTH({axi_width(spec.width)}), "
            f".WORDS({spec.words})) u_{p} (\n"
            f"      .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .in0_tdata(core_out{j}_tdata), "
            f".in0_tvalid(core_out{j}_tvalid), .in0_tready(core_out{j}_tready),\n"
            f"      .out0_tdata({p}_tdata), .out0_tvalid({p}_tvalid), .out0_tready({p}_tready), "
            f".out0_tkeep({p}_tkeep), .out0_tstrb({p}_tstrb), .out0_tlast({p}_tlast)\n  );"
        )
    links = [
        ".ap_clk(ap_clk)",
        ".ap_rst_n(ap_rst_n && running)",
        ".in0_tdata(core_in0_tdata)",
        f".in0_tvalid({TOP_IN}_tvalid && running)",
        ".in0_tready(core_in0_tready)",
    ]
    for j in range(len(net.outputs)):
        links += [f".out{j}_{s}(core_out{j}_{s})" for s in ("tdata", "tvalid", "tready")]
    for k, port in enumerate(mm):
        links.append(f".{port.name}_base(bases[{32 * k + 31}:{32 * k}])")
        links += [f".{n}({n})" for n in map(_port_name, mm_port_decls(port, base=False))]
    lines.append(f"  {net.core} core (\n" + ",\n".join(f"      {x}" for x in links) + "\n  );")
    lines += ["endmodule", ""]
    return "\n".join(lines)


def core_sources(model: ModelWrapper, net: RtlNetworkCode) -> dict[str, str]:
    """The core's SystemVerilog by file name: kernels, layer wrappers, `<top>_core.sv`."""
    kernels = [k for code in net.layers for k in code.kernels]
    sources = kernel_sources(kernels)
    for code in net.layers:
        sources[f"{code.name}.sv"] = code.wrapper
    sources[f"{net.core}.sv"] = render_core(model, net)
    return sources


def adapter_kernels(net: RtlNetworkCode) -> tuple[str, ...]:
    """The library kernels `<top>` needs around the core (the AXI-Lite control with DDR
    ports only)."""
    return ADAPTER_KERNELS if net.mm_ports else ADAPTER_KERNELS[:1]


def render_rtl_network(model: ModelWrapper, net: RtlNetworkCode) -> dict[str, str]:
    """Every file of the accelerator: the core's sources, the adapter kernels, `<top>.sv`
    and the layers' memory init files (all in one folder, as $readmemh expects)."""
    files = core_sources(model, net)
    files.update(kernel_sources(adapter_kernels(net)))
    files[f"{net.top}.sv"] = render_top(net)
    for code in net.layers:
        for name, text in code.files.items():
            if files.setdefault(name, text) != text:
                raise QnnflowError(f"two layers write different memory files named {name}")
    return files

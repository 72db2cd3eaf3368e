"""The stitched RTL accelerator on graphs of the ops the RTL backend renders here (FIFOs in
LUTs and block RAM, width converters): the core and the DMA-facing top lint clean and
render deterministically, the network simulation is bit-exact per layer and end to end with
and without gaps/backpressure and measures cycles per frame, a broken layer is named with
its word and element, TLAST marks every frame's last word, and op types without an RTL
renderer are named before anything is built."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.backends.hls.layer_code import StreamSpec
from qnnflow.backends.rtl import verilator
from qnnflow.backends.rtl.layer_code import RtlMMPort
from qnnflow.backends.rtl.layer_sim import run_design
from qnnflow.backends.rtl.network import (
    build_rtl_network,
    mm_port_decls,
    render_rtl_network,
    render_top,
)
from qnnflow.backends.rtl.network_sim import simulate_network_rtl
from qnnflow.backends.rtl.ops import fifo, width_converter
from qnnflow.backends.rtl.renderers import RENDERERS
from qnnflow.backends.rtl.testbench import render_testbench
from qnnflow.errors import QnnflowError
from qnnflow.ops import DOMAIN

SHAPE = [1, 4, 3, 6]
INT4 = dict(inputDataType="INT4", outputDataType="INT4")


def chain_model(nodes: list[tuple[str, dict]], shape=SHAPE, dtype="INT4") -> ModelWrapper:
    """x -> nodes (each reading the previous one) -> y, all of `shape` and `dtype`."""
    made = []
    for i, (op_type, attrs) in enumerate(nodes):
        source = "x" if i == 0 else f"t{i - 1}"
        target = "y" if i == len(nodes) - 1 else f"t{i}"
        made.append(
            helper.make_node(
                op_type, [source], [target], name=f"{op_type}_{i}", domain=DOMAIN, shape=shape,
                inputDataType=dtype, outputDataType=dtype, **attrs,
            )
        )  # fmt: skip
    graph = helper.make_graph(
        made,
        "chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)],
    )
    model = ModelWrapper(helper.make_model(graph))
    model.set_tensor_datatype("x", DataType[dtype])
    return model.transform(InferShapes())


def plumbing_chain() -> ModelWrapper:
    """FIFO (LUT) -> 3 -> 2 converter -> FIFO (block RAM) -> 2 -> 6 converter."""
    return chain_model(
        [
            ("StreamingFIFO", dict(depth=4, elemsPerWord=3)),
            ("WidthConverter", dict(inElems=3, outElems=2)),
            ("StreamingFIFO", dict(depth=64, elemsPerWord=2)),
            ("WidthConverter", dict(inElems=2, outElems=6)),
        ]
    )


def frames(seed: int, count: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    xs = [rng.integers(-8, 8, size=SHAPE).astype(np.float32) for _ in range(count)]
    xs[0][0, 0, 0] = [-8, 7, 0, -8, 7, 0]  # both ends of INT4 on the first words
    return xs


def test_stitched_network_is_bit_exact_and_runs_at_the_slowest_layer():
    model = plumbing_chain()
    result = simulate_network_rtl(model, frames(1), gaps=0.3, stalls=0.3, seed=5)
    assert result.bit_exact, result.first_mismatch
    assert [r.layer for r in result.layers] == [n.name for n in model.graph.node]
    for report in result.layers:
        assert abs(report.cycles_rtl - report.cycles_estimate) <= 0.05 * report.cycles_estimate
    slowest = max(r.cycles_estimate for r in result.layers)  # the 2-element words: 36
    assert result.cycles_per_frame == slowest == 36
    # 30% gaps on 24 input words and 30% stalls on 12 output words hide behind the 36
    assert result.stressed_cycles_per_frame >= result.cycles_per_frame
    np.testing.assert_array_equal(result.outputs["y"][0], frames(1)[0][0])
    record = result.to_dict()
    assert record["bit_exact"] and record["layers"][1]["cycles_rtl"] == 36


def test_a_wrong_layer_is_named_with_its_word_and_element(monkeypatch):
    def broken(model, node):  # flips the lowest bit of every word entering the converter
        code = width_converter.render(model, node)
        wrapper = code.wrapper.replace(".in0_tdata(in0_tdata)", ".in0_tdata(in0_tdata ^ 1)")
        return type(code)(**{**code.__dict__, "wrapper": wrapper})

    monkeypatch.setitem(RENDERERS, "WidthConverter", broken)
    model = chain_model([("WidthConverter", dict(inElems=2, outElems=3))])
    result = simulate_network_rtl(model, frames(2, count=2), gaps=0.0, stalls=0.0)
    mismatch = result.first_mismatch
    assert mismatch is not None and mismatch.layer == "WidthConverter_0"
    assert (mismatch.frame, mismatch.word, mismatch.lane, mismatch.index) == (0, 0, 0, (0, 0, 0, 0))
    assert mismatch.actual == mismatch.expected ^ 1 or mismatch.actual - mismatch.expected in (
        -1,
        1,
    )
    assert "WidthConverter 'WidthConverter_0'" in str(mismatch) and "RTL gave" in str(mismatch)
    assert result.output_mismatch is not None


def test_top_lints_clean_and_renders_deterministically():
    model = plumbing_chain()
    net = build_rtl_network(model)
    files = render_rtl_network(model, net)
    assert files == render_rtl_network(model, build_rtl_network(model))
    top = files["qnnflow_accel.sv"]
    for port in ("in0_tdata", "out0_tlast", "out0_tkeep", "out0_tstrb"):
        assert port in top
    assert "s_axi_control" not in top  # no DDR ports: free-running, as ap_ctrl_none
    assert "[15:0] in0_tdata" in top and "[23:0] out0_tdata" in top  # 12 bits -> 16; 24 stay
    sources = {n: t for n, t in files.items() if n.endswith(".sv")}
    assert verilator.lint(sources, "qnnflow_accel") == []


def test_top_marks_each_frame_end_with_tlast():
    model = chain_model([("StreamingFIFO", dict(depth=2, elemsPerWord=3))])
    net = build_rtl_network(model)
    files = render_rtl_network(model, net)
    words = net.outputs[0].words
    padded = StreamSpec(per_word=1, bits=16, signed=False, words=words)  # 12 bits -> 16
    check = (
        f"      if (out0_tvalid && out0_tready && out0_tlast != (out0_got % {words} == 0)) begin\n"
        '        $display("qnnflow_tb error tlast at word %0d", out0_got); $finish;\n'
        "      end"
    )
    bench = render_testbench(
        "qnnflow_accel", (padded,), (padded,), port_connections=[".out0_tlast(out0_tlast)",
        ".out0_tkeep(out0_tkeep)", ".out0_tstrb(out0_tstrb)"],
        extra_declarations=["  logic out0_tlast;", "  logic [1:0] out0_tkeep, out0_tstrb;"],
        extra_per_cycle=[check],
    )  # fmt: skip
    x = np.random.default_rng(3).integers(0, 1 << 12, size=(3, words))
    sources = {n: t for n, t in files.items() if n.endswith(".sv")}
    result = run_design("qnnflow_accel", sources, {}, (padded,), (padded,), [x], bench, stalls=0.4)
    np.testing.assert_array_equal(result.stream, x)


def test_op_types_without_an_rtl_renderer_are_named(monkeypatch):
    monkeypatch.delitem(RENDERERS, "WidthConverter")
    with pytest.raises(
        QnnflowError,
        match=r"no RTL renderer for op type\(s\) WidthConverter \(layers WidthConverter_1, "
        "WidthConverter_3\\); the RTL backend renders",
    ):
        build_rtl_network(plumbing_chain())


def test_a_missing_width_converter_is_named():
    model = chain_model(
        [
            ("StreamingFIFO", dict(depth=2, elemsPerWord=3)),
            ("StreamingFIFO", dict(depth=2, elemsPerWord=2)),
        ]
    )
    with pytest.raises(QnnflowError, match="a width converter is missing"):
        render_top(build_rtl_network(model))


def test_a_top_with_ddr_ports_has_the_control_slave_and_lints_clean(monkeypatch):
    """A stand-in layer with one AXI4 read port (tied off): the top gains s_axi_control and
    m_axi_<port>, and the core's `<port>_base` comes from the slave's address register."""

    def with_port(model, node):
        code = fifo.render(model, node)
        port = RtlMMPort(f"{code.name}_wddr", 64, 16, f"{code.name}_wddr.mem")
        decls = "".join(f"    {d},\n" for d in mm_port_decls(port, base=True))
        m = f"m_axi_{port.name}"
        ties = (
            f"  assign {m}_araddr = {port.name}_base;\n  assign {m}_arlen = 8'd0;\n"
            f"  assign {m}_arsize = 3'd3;\n  assign {m}_arburst = 2'd1;\n"
            f"  assign {m}_arvalid = 1'b0;\n  assign {m}_rready = 1'b1;\n"
        )
        wrapper = code.wrapper.replace(
            "(\n    input  logic ap_clk", f"(\n{decls}    input  logic ap_clk"
        )
        wrapper = wrapper.replace("endmodule", ties + "endmodule")
        return dataclasses.replace(code, wrapper=wrapper, mm_ports=(port,))

    monkeypatch.setitem(RENDERERS, "StreamingFIFO", with_port)
    model = chain_model([("StreamingFIFO", dict(depth=2, elemsPerWord=3))])
    net = build_rtl_network(model)
    files = render_rtl_network(model, net)
    top = files["qnnflow_accel.sv"]
    assert "s_axi_control_awaddr" in top and "m_axi_L_StreamingFIFO_0_wddr_rdata" in top
    assert ".L_StreamingFIFO_0_wddr_base(bases[31:0])" in top
    assert "[4:0] s_axi_control_awaddr" in top  # 0x10 + 8 = 24 needs 5 bits
    sources = {n: t for n, t in files.items() if n.endswith(".sv")}
    messages = verilator.lint(sources, "qnnflow_accel")
    others = [m for m in messages if m.startswith("%Warning") and "L_StreamingFIFO_0.sv" not in m]
    assert others == [], messages  # the tied-off stand-in leaves its own inputs unread


def two_mvu_chain() -> ModelWrapper:
    """MVU (internal weights, W1A3) -> FIFO (block RAM) -> 2 -> 3 converter -> MVU whose
    weights stream from DDR (PE = MH: one channel group, no replays)."""
    rng = np.random.default_rng(1)
    vectors = 5
    w1, w2 = rng.choice([-1, 1], size=(12, 6)), rng.choice([-1, 1], size=(6, 4))
    t1 = np.sort(rng.integers(-30, 30, size=(6, 7)), axis=1)
    t2 = np.sort(rng.integers(-15, 15, size=(4, 7)), axis=1)
    common = dict(inputDataType="UINT3", outputDataType="UINT3")
    mvu = dict(weightDataType="BIPOLAR", numThresholds=7, numInputVectors=[1, vectors], **common)
    plumbing = dict(shape=[1, vectors, 6], **common)
    nodes = [
        helper.make_node("MatrixVectorUnit", ["x", "w1", "t1"], ["a"], name="mvu1",
                         domain=DOMAIN, MW=12, MH=6, PE=2, SIMD=3, **mvu),
        helper.make_node("StreamingFIFO", ["a"], ["b"], name="fifo", domain=DOMAIN, depth=40,
                         elemsPerWord=2, **plumbing),
        helper.make_node("WidthConverter", ["b"], ["c"], name="wc", domain=DOMAIN, inElems=2,
                         outElems=3, **plumbing),
        helper.make_node("MatrixVectorUnit", ["c", "w2", "t2"], ["y"], name="mvu2",
                         domain=DOMAIN, mem_mode="stream_ddr", MW=6, MH=4, PE=4, SIMD=3, **mvu),
    ]  # fmt: skip
    inits = [
        helper.make_tensor(k, TensorProto.FLOAT, v.shape, v.astype(np.float32).ravel().tolist())
        for k, v in dict(w1=w1, t1=t1, w2=w2, t2=t2).items()
    ]
    graph = helper.make_graph(
        nodes,
        "two_mvus",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, vectors, 12])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, vectors, 4])],
        initializer=inits,
    )
    model = ModelWrapper(helper.make_model(graph))
    for tensor, dtype in dict(x="UINT3", w1="BIPOLAR", w2="BIPOLAR").items():
        model.set_tensor_datatype(tensor, DataType[dtype])
    return model.transform(InferShapes())


def test_weights_on_chip_and_from_ddr_stitch_bit_exactly():
    """Both MVU memories in one core: the internal one's .mem files and the streamed one's
    DDR image beside the simulation, the core's m_axi port on the testbench's DDR model."""
    model = two_mvu_chain()
    net = build_rtl_network(model)
    assert [p.name for p in net.mm_ports] == ["L_mvu2_wddr"]
    rng = np.random.default_rng(4)
    xs = [rng.integers(0, 8, size=(1, 5, 12)).astype(np.float32) for _ in range(3)]
    xs[1][:] = 7
    xs[2][:] = 0
    result = simulate_network_rtl(model, xs, gaps=0.3, stalls=0.3, seed=2)
    assert result.bit_exact, result.first_mismatch
    assert [(r.cycles_rtl, r.cycles_estimate) for r in result.layers] == [
        (60, 60), (15, 15), (15, 15), (10, 10)
    ]  # fmt: skip
    assert result.cycles_per_frame == 60
    top = render_rtl_network(model, net)["qnnflow_accel.sv"]
    assert "qnnflow_axilite_control" in top and "m_axi_L_mvu2_wddr_araddr" in top


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["mini_folded", "mini_ddr_folded"])
def test_default_model_folded_graph_is_bit_exact_in_rtl(fixture, request):
    """The default model's whole folded hardware region (pads, windows, MVUs, pools, FIFOs,
    width converters; with one DDR-streamed MVU behind a replaying frame buffer): every layer
    and the stitched core bit-exact vs numpy, every layer within 5% of its cycle estimate,
    the stitched core no faster than its slowest layer."""
    from qnnflow.verify.inputs import seeded_input

    model = request.getfixturevalue(fixture)
    inputs = [seeded_input(model, 0), seeded_input(model, 1)]
    result = simulate_network_rtl(model, inputs, gaps=0.3, stalls=0.3, seed=3)
    assert result.bit_exact, result.first_mismatch
    for r in result.layers:
        assert abs(r.cycles_rtl - r.cycles_estimate) <= 0.05 * r.cycles_estimate, r
    assert result.cycles_per_frame >= max(r.cycles_estimate for r in result.layers)

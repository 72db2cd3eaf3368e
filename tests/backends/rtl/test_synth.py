"""Yosys synthesis of RTL designs: cell counts parse into the estimate's resources, block RAM
($readmemh ROM) and DSP inference show up, use_dsp "no" keeps a multiplier in LUTs, results
are cached, layers run in parallel in order, a broken design is named, and synth.json's
summary and table add up. Tiny designs written here; a slow test synthesizes real layers."""

from __future__ import annotations

import json

import pytest

from qnnflow.backends.hls.layer_code import StreamSpec
from qnnflow.backends.rtl.layer_code import RtlLayerCode
from qnnflow.backends.rtl.synth import (
    SynthError,
    SynthResult,
    parse_stat,
    resources_from_cells,
    synthesize_layer,
    synthesize_layers,
    synthesize_top,
)
from qnnflow.backends.rtl.synth_report import layer_row, synth_markdown, synth_summary
from qnnflow.boards import load_board
from qnnflow.errors import QnnflowError

SPEC = StreamSpec(per_word=1, bits=32, signed=False, words=1)

# A registered adder, a 1024 x 32 ROM from a .mem file (one RAMB36E1), a 16x16 multiplier on
# a DSP and an 8x8 one kept in LUTs, and a 64 x 8 distributed RAM (LUTRAM).
PROBE = """
module L_probe (
  input logic ap_clk, input logic ap_rst_n,
  input logic [31:0] in0_tdata, input logic in0_tvalid, output logic in0_tready,
  output logic [127:0] out0_tdata, output logic out0_tvalid, input logic out0_tready);
  (* ram_style = "block" *) logic [31:0] rom [0:1023];
  (* ram_style = "distributed" *) logic [7:0] lut_ram [0:63];
  initial $readmemh(ROM_FILE, rom);
  (* use_dsp = "yes" *) logic signed [31:0] p_dsp;
  (* use_dsp = "no" *) logic signed [15:0] p_lut;
  assign p_dsp = $signed(in0_tdata[15:0]) * $signed(in0_tdata[31:16]);
  assign p_lut = $signed(in0_tdata[7:0]) * $signed(in0_tdata[23:16]);
  assign in0_tready = out0_tready;
  always_ff @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      out0_tvalid <= 1'b0;
      out0_tdata[16:0] <= '0;
    end else if (in0_tvalid && out0_tready) begin
      out0_tvalid <= 1'b1;
      out0_tdata[16:0] <= in0_tdata[15:0] + in0_tdata[31:16];
    end else if (out0_tready) out0_tvalid <= 1'b0;
    out0_tdata[48:17] <= rom[in0_tdata[9:0]];
    out0_tdata[80:49] <= p_dsp;
    out0_tdata[96:81] <= p_lut;
    if (in0_tvalid) lut_ram[in0_tdata[5:0]] <= in0_tdata[13:6];
    out0_tdata[104:97] <= lut_ram[in0_tdata[21:16]];
    out0_tdata[127:105] <= '0;
  end
endmodule
""".replace("ROM_FILE", '"probe_rom.mem"')
ROM = "\n".join(f"{(i * 2654435761) & 0xFFFFFFFF:08x}" for i in range(1024)) + "\n"


def _code(name: str, wrapper: str, files: dict | None = None) -> RtlLayerCode:
    return RtlLayerCode(name, "Probe", (SPEC,), (SPEC,), wrapper, (), files or {})


def _adder(name: str, bits: int) -> RtlLayerCode:
    text = f"""
module {name} (input logic ap_clk, input logic ap_rst_n,
  input logic [{2 * bits - 1}:0] in0_tdata, output logic [{bits}:0] out0_tdata);
  always_ff @(posedge ap_clk)
    if (!ap_rst_n) out0_tdata <= '0;
    else out0_tdata <= in0_tdata[{bits - 1}:0] + in0_tdata[{2 * bits - 1}:{bits}];
endmodule
"""
    return _code(name, text)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("synth-cache")


@pytest.fixture(scope="module")
def probe(cache) -> SynthResult:
    return synthesize_layer(_code("L_probe", PROBE, {"probe_rom.mem": ROM}), cache_dir=cache)


def test_cells_map_to_the_estimate_resources():
    cells = {
        "LUT2": 3, "LUT6": 2, "INV": 1, "MUXF7": 4, "FDRE": 5, "FDSE": 1, "RAMB36E1": 2,
        "RAMB18E1": 1, "RAM64M": 2, "RAM32X1D": 1, "SRLC32E": 3, "DSP48E1": 4, "CARRY4": 7,
        "$scopeinfo": 9,
    }  # fmt: skip
    got = resources_from_cells(cells)
    assert got == {
        "LUT": 6 + 8 + 2 + 3,  # logic (INV is a LUT1) + memory: RAM64M 4, RAM32X1D 2, SRL 1
        "FF": 6,
        "BRAM36": 2.5,
        "LUTRAM": 13,
        "DSP": 4,
        "CARRY4": 7,
    }


def test_stat_json_parses_and_garbage_is_named():
    text = json.dumps({"design": {"num_cells_by_type": {"LUT3": 2, "FDRE": 1}}})
    assert parse_stat(text) == {"LUT3": 2, "FDRE": 1}
    with pytest.raises(SynthError, match="unreadable Yosys stat"):
        parse_stat("not json")


def test_rom_infers_block_ram_and_multipliers_follow_use_dsp(probe):
    res = probe.resources
    assert res["BRAM36"] == 1.0  # 1024 x 32 bits: one RAMB36E1 filled by $readmemh
    assert res["DSP"] == 1.0  # the use_dsp "yes" product; the "no" one is in LUTs
    assert res["LUTRAM"] >= 2  # 64 x 8 distributed RAM
    assert res["LUT"] > 40 + res["LUTRAM"]  # the 8x8 LUT multiplier and the adder
    # adder + valid, LUT product and LUT-RAM read registers; the ROM's and the DSP product's
    # output registers go into the RAMB36E1 and the DSP48E1
    assert res["FF"] == 17 + 1 + 16 + 8
    assert res["CARRY4"] >= 5
    assert probe.cells["RAMB36E1"] == 1 and not probe.cached


def test_a_second_synthesis_is_read_from_the_cache(probe, cache):
    again = synthesize_layer(_code("L_probe", PROBE, {"probe_rom.mem": ROM}), cache_dir=cache)
    assert again.cached and again.resources == probe.resources


def test_layers_run_in_parallel_in_order_and_the_top_contains_them(cache):
    codes = [_adder("L_add4", 4), _adder("L_add12", 12)]
    broken = _code("L_broken", "module L_broken (input logic a);\nL_missing m (.a);\nendmodule")
    # L_again differs from L_add4 by its name only: synthesized once, reported twice
    results = synthesize_layers([*codes, broken, _adder("L_again", 4)], jobs=2, cache_dir=cache)
    assert [r.name for r in results if isinstance(r, SynthResult)] == [
        "L_add4",
        "L_add12",
        "L_again",
    ]
    assert [r.resources["FF"] for r in results if isinstance(r, SynthResult)] == [5.0, 13.0, 5.0]
    assert isinstance(results[2], SynthError) and "L_broken" in str(results[2])
    top = """
module L_top (input logic ap_clk, input logic ap_rst_n, input logic [31:0] x,
              output logic [17:0] y);
  L_add4 a (.ap_clk, .ap_rst_n, .in0_tdata(x[7:0]), .out0_tdata(y[4:0]));
  L_add12 b (.ap_clk, .ap_rst_n, .in0_tdata(x[31:8]), .out0_tdata(y[17:5]));
endmodule
"""
    stitched = synthesize_top(codes, "L_top", top, cache_dir=cache)
    assert stitched.resources["FF"] == 18.0
    with pytest.raises(QnnflowError, match="RTL kernel missing.sv is not in the library"):
        synthesize_top(codes, "L_top", top, kernels=("missing.sv",), cache_dir=cache)


def test_a_broken_design_names_itself(cache):
    bad = _code(
        "L_bad", "module L_bad (input logic a, output logic b);\nL_missing m (.a, .b);\nendmodule"
    )
    with pytest.raises(SynthError, match="Yosys failed on L_bad: ERROR.*failed.log"):
        synthesize_layer(bad, cache_dir=cache)


def test_two_layers_with_different_files_of_one_name_are_refused(cache):
    one = _code("L_a", "module L_a; endmodule\n", {"w.mem": "00\n"})
    two = _code("L_b", "module L_b; endmodule\n", {"w.mem": "01\n"})
    with pytest.raises(SynthError, match="L_b: file w.mem differs"):
        synthesize_top([one, two], "L_top", "module L_top; endmodule\n", cache_dir=cache)


def test_summary_ratios_totals_budget_and_factors():
    board = load_board("pynq_z2")
    base = {"LUT": 0.0, "FF": 0.0, "BRAM36": 0.0, "LUTRAM": 0.0, "DSP": 0.0, "CARRY4": 0.0}
    first = SynthResult("L_a", {**base, "LUT": 300.0, "FF": 50.0, "BRAM36": 1.0})
    second = SynthResult("L_b", {**base, "LUT": 100.0, "FF": 150.0, "DSP": 2.0})
    rows = [
        layer_row("a", "MatrixVectorUnit", {"LUT": 200, "FF": 100, "BRAM36": 2}, first),
        layer_row("b", "MatrixVectorUnit", {"LUT": 200, "FF": 100}, second),
    ]
    assert rows[0]["ratio"] == {"LUT": 1.5, "FF": 0.5, "BRAM36": 0.5, "LUTRAM": None, "DSP": None}
    summary = synth_summary(rows, board, not_synthesized=[{"layer": "x", "op": "Y", "why": "z"}])
    assert summary["totals"]["synth"]["LUT"] == 400 and summary["totals"]["ratio"]["LUT"] == 1.0
    assert summary["factors"] == {"MatrixVectorUnit": {"LUT": 1.0, "FF": 1.0, "BRAM36": 0.5}}
    lut = summary["budget"]["LUT"]
    assert lut["available"] == 53200 and lut["synth"] == 400 + 4500  # with the platform shell
    table = synth_markdown(summary)
    assert "| a | MatrixVectorUnit | 200 / 300 (1.50) |" in table
    assert "not synthesized: x (Y): z" in table
    assert "| MatrixVectorUnit | 1.00 | 1.00 | 0.50 | - | - |" in table


@pytest.mark.slow
def test_real_layers_of_the_default_model(mini_folded, tmp_path):
    """Every layer of the (small-input) default model and its stitched top, synthesized;
    the summary compares them with the estimates."""
    from qnnflow.backends.rtl.ops import RENDERERS
    from qnnflow.flow.synth_step import synth_section, synthesize_model, write_synth

    if not RENDERERS:
        pytest.skip("no RTL renderer on this branch yet")
    summary = synthesize_model(mini_folded, load_board("pynq_z2"))
    assert summary["layers"], summary["not_synthesized"]
    for row in summary["layers"]:
        assert row["synth"]["LUT"] + row["synth"]["FF"] > 0, row
    assert not summary["not_synthesized"]  # every op renders: the stitched top too
    top = summary["top"]["synth"]
    for kind in ("BRAM36", "DSP"):  # the top holds every layer's memories and multipliers
        assert top[kind] == pytest.approx(summary["totals"]["synth"][kind]), kind
    assert top["LUT"] > 0.5 * summary["totals"]["synth"]["LUT"]
    assert summary["budget"]["LUT"]["synth"] == top["LUT"] + 4500  # the top, with the shell
    write_synth(tmp_path, summary)
    assert "| resource | available | estimate | synth |" in synth_section(tmp_path, mini_folded)

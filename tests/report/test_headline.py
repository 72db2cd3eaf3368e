"""The headline, the build state and the plots from hand-made records: the verdicts a micro
build does not reach (a simulation mismatch, a failed or passed accuracy gate, a resource
over the board, Yosys numbers, a waiting or finished build) and plots only for data there."""

from __future__ import annotations

from qnnflow.boards import load_board
from qnnflow.report.data import BuildData, ReportContext
from qnnflow.report.headline import headline_record, headline_rows
from qnnflow.report.html import inline_svg, markdown_html, report_html
from qnnflow.report.plots import cycles_plot, render_plots, sim_cycles_plot
from qnnflow.report.sections import report_sections
from qnnflow.report.status import build_status
from tests.report.helpers import external_references

KINDS = ("LUT", "FF", "BRAM36", "LUTRAM", "DSP")
WAIT = (
    "step 'bitstream': vivado not found (not on PATH, QNNFLOW_VIVADO unset): generated "
    "project.tcl; on a machine with Vivado 2023.2 run `cd /b/vivado && vivado -mode batch "
    "-source project.tcl`, copy vivado/ back here, then resume with `qnnflow build --board "
    "pynq_z2 --model m.cfg --from-step bitstream`"
)


def _layer(name: str, op: str, cycles: int, lut: float, **folding) -> dict:
    resources = {k: 0.0 for k in KINDS} | {"LUT": lut}
    return {"name": name, "op_type": op, "folding": folding, "cycles": cycles,
            "resources": resources}  # fmt: skip


def _estimate(lut_total: float = 1000.0) -> dict:
    layers = [
        _layer("conv0_mvu", "MatrixVectorUnit", 500, 400.0, PE=4, SIMD=8),
        _layer("conv0_fifo", "StreamingFIFO", 500, 10.0),
        _layer("pool0", "StreamingMaxPool", 200, 90.0, PE=2),
    ]
    totals = {k: 0.0 for k in KINDS} | {"LUT": lut_total}
    return {
        "layers": layers,
        "bottleneck": "conv0_mvu",
        "fps": 200000.0,
        "clock_mhz": 100.0,
        "latency_ms_upper_bound": 0.012,
        "totals_with_platform": totals,
        "budget": {"LUT": 53200, "FF": 106400, "BRAM36": 140, "DSP": 220, "LUTRAM": 17400},
        "ddr_mb_per_s": 12.5,
    }


def _data(tmp_path, state: dict | None = None, **records) -> BuildData:
    ctx = ReportContext(tmp_path, "net", "pynq_z2", "rtl", to_step=records.pop("to_step", None))
    data = BuildData(ctx, load_board("pynq_z2"), state or {"steps": {}}, None)
    for key, value in records.items():
        setattr(data, key, value)
    return data


def _rows(data: BuildData) -> dict:
    return {r.key: r for r in headline_rows(data, build_status(data))}


def test_a_simulation_mismatch_and_a_failed_gate_are_the_bad_rows(tmp_path):
    mismatch = "layer pool0, frame 0, word 3: 5 != 4"
    rtlsim = {"bit_exact": False, "first_mismatch": mismatch, "layers": []}
    accuracy = {
        "gate": "failed",
        "float": {"map50": 0.61},
        "quant": {"map50": 0.50, "images": 100},
        "drop_points": 11.0,
        "max_drop_points": 5.0,
    }
    rows = _rows(_data(tmp_path, estimate=_estimate(), rtlsim=rtlsim, accuracy=accuracy))
    assert rows["rtlsim"].level == "bad" and rows["rtlsim"].value == f"MISMATCH: {mismatch}"
    assert rows["accuracy"].level == "bad"
    assert rows["accuracy"].value == (
        "mAP@0.5 61.00 float -> 50.00 quantized on 100 images: drop 11.00 points, gate failed "
        "(max 5)"
    )
    accuracy |= {"gate": "passed", "drop_points": 1.0, "quant": {"map50": 0.60, "images": 100}}
    rows = _rows(_data(tmp_path, estimate=_estimate(), accuracy=accuracy))
    assert rows["accuracy"].level == "ok" and "gate passed" in rows["accuracy"].value
    assert "cppsim" not in rows and "rtlsim" not in rows  # not run: no row


def test_resources_and_bandwidth_against_the_board(tmp_path):
    rows = _rows(_data(tmp_path, estimate=_estimate(lut_total=60000.0)))
    assert rows["LUT"].value == "60,000 / 53,200 (113%)" and rows["LUT"].level == "bad"
    assert rows["FF"].level == "ok"
    assert rows["ddr"].value == "12.5 / 1,600 MB/s"
    assert rows["bottleneck"].value == "conv0_mvu (MatrixVectorUnit, 500 cycles)"
    record = headline_record(
        _data(tmp_path, estimate=_estimate(60000.0)), build_status(_data(tmp_path))
    )
    assert record["resources"]["LUT"] == 60000.0 and record["fps"] == 200000.0


def test_the_build_state(tmp_path):
    steps = {name: {"output": f"{i:02d}_{name}.onnx", "seconds": 1.0}
             for i, name in enumerate(["import", "tidy", "verify"], start=1)}  # fmt: skip
    status = build_status(_data(tmp_path, {"steps": steps}))
    assert (status.kind, status.step) == ("stopped", "verify")
    assert status.message == "stopped after step verify; `--from-step quantize` goes on"
    status = build_status(_data(tmp_path, {"steps": steps, "waiting": WAIT}))
    assert (status.kind, status.step, status.tool) == ("waiting", "bitstream", "vivado")
    assert "`cd /b/vivado && vivado -mode batch -source project.tcl`" in status.message
    assert status.short == "waiting for vivado at step bitstream"  # the deploy copy's text
    status = build_status(_data(tmp_path, {"steps": {**steps, "bitstream": {}}}))
    assert status.kind == "done"
    assert build_status(_data(tmp_path)).message == "not started: no step has finished"


def test_plots_only_for_data_that_exists(tmp_path):
    assert render_plots(_data(tmp_path)) == []
    synth_totals = {k: 10.0 for k in KINDS}
    synth = {"totals": {"estimate": synth_totals, "synth": synth_totals}, "top": None}
    data = _data(tmp_path, estimate=_estimate(), synth=synth)
    assert [p.name for p in render_plots(data)] == ["cycles", "resources", "folding", "synth"]
    again = [p.svg for p in render_plots(data)]
    assert again == [p.svg for p in render_plots(data)]  # deterministic
    rows = _rows(data)
    assert rows["synth"].value.startswith("sum of layers: LUT 10 (est. 10)")


def test_the_html_of_an_empty_build_and_its_markdown(tmp_path):
    data = _data(tmp_path)
    rows = headline_rows(data, build_status(data))
    page = report_html("t", "s", rows, [], report_sections(data))
    assert "<svg" not in page and external_references(page) == []
    assert markdown_html("| a | b |\n|---|---|\n| `x<y` | 2 |") == (
        "<table><tr><th>a</th><th>b</th></tr>\n<tr><td><code>x&lt;y</code></td><td>2</td></tr>"
        "\n</table>"
    )
    svg = '<?xml version="1.0"?>\n<!DOCTYPE svg "http://x/svg11.dtd">\n<svg xmlns="http://w">'
    assert inline_svg(svg + "<metadata>http://purl</metadata><g/></svg>") == "<svg><g/></svg>"


def test_the_cycles_plot_marks_the_bottleneck_and_the_target(tmp_path):
    data = _data(tmp_path, estimate=_estimate())
    data.folding = {"target_fps": 150000.0, "cycles_budget": 666}
    ax = cycles_plot(data).axes[0]
    assert "dashed: target 150000 fps: 666 cycles" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["pool0", "conv0_mvu"]  # no FIFO
    svg = render_plots(data)[0].svg
    assert 'id="bottleneck"' in svg and 'id="cycle-budget"' in svg
    data.folding = {}  # no target: the line is the rate the folding reached
    assert "dashed: 200,000.0 fps: 500 cycles" in cycles_plot(data).axes[0].get_xlabel()


def test_both_simulations_against_the_estimate(tmp_path):
    cpp = [{"layer": "conv0_mvu", "cycles_sim": 520, "cycles_estimate": 500},
           {"layer": "pool0", "cycles_sim": 200, "cycles_estimate": 200}]  # fmt: skip
    rtl = [{"layer": "conv0_mvu", "cycles_rtl": 510, "cycles_estimate": 500}]
    data = _data(
        tmp_path,
        estimate=_estimate(),
        cppsim={"bit_exact": True, "first_mismatch": None, "layers": cpp},
        rtlsim={"bit_exact": True, "first_mismatch": None, "layers": rtl},
    )
    rows = _rows(data)
    assert rows["cppsim"].value == (
        "bit-exact vs numpy; slowest layer 520 cycles simulated vs 500 estimated (1.04x); "
        "1 of 2 layers exactly as estimated"
    )
    assert rows["rtlsim"].value.startswith("bit-exact vs numpy; slowest layer 510 cycles")
    ax = sim_cycles_plot(data).axes[0]
    assert [len(c.get_offsets()) for c in ax.collections] == [2, 1]  # a scatter per simulator
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == [
        "C++ (g++), 2 layers",
        "RTL (Verilator), 1 layer",
    ]


def test_verify_off_is_a_bad_row_a_card_and_the_verification_section(tmp_path):
    """--verify off (build_state.json) shows loudly; fast and full say how they checked."""
    off = _data(tmp_path, {"steps": {}, "verify": "off"})
    row = _rows(off)["verify"]
    assert (row.level, row.card) == ("bad", "off") and row.value.startswith("OFF (--verify off)")
    assert headline_record(off, build_status(off))["verify"] == "off"
    sections = report_sections(off)
    verification = {s.title: s.markdown for s in sections}["Verification"]
    assert verification.startswith("**OFF (`--verify off`): no transform of this build")
    html = report_html("net", "", headline_rows(off, build_status(off)), [], sections)
    assert "OFF (--verify off)" in html
    fast = _data(tmp_path, {"steps": {}, "verify": "fast"})
    assert _rows(fast)["verify"].level == "ok" and "--verify fast" in _rows(fast)["verify"].value
    assert "verify" not in _rows(_data(tmp_path))  # a build from before --verify existed

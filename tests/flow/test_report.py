"""The build report of the micro build: headline first with the numbers of estimate.json,
accuracy.json and cppsim.json; plots that draw something; a report.html that references
nothing outside itself, also in deploy.zip; `qnnflow report` on a build stopped after each
step and on a build waiting for Vitis HLS."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from click.testing import CliRunner

from qnnflow.cli import cli, main
from qnnflow.flow import run_build
from qnnflow.flow.steps import step_names
from qnnflow.report import context_from_dir, write_report
from tests.flow.micro import micro_config
from tests.report.helpers import drawn_marks, external_references

BUILD_PLOTS = {"cycles", "resources", "folding", "sim_cycles", "clipping"}


def _headline(text: str) -> dict[str, str]:
    """report.md's first table (the headline) as {label: value}; it must come first."""
    lines = text.splitlines()
    assert lines[0].startswith("# qnnflow build report: ")
    assert lines[2:4] == ["| | |", "|---|---|"], "the headline table comes first"
    rows = {}
    for line in lines[4:]:
        if not line.startswith("|"):
            break
        label, value = (c.strip() for c in line.strip("|").split(" | ", 1))
        rows[label] = value
    return rows


def test_the_headline_has_the_numbers_of_the_steps_files(micro_build):
    _, root = micro_build
    out = root / "micro"
    estimate = json.loads((out / "estimate.json").read_text())
    accuracy = json.loads((out / "accuracy.json").read_text())
    cppsim = json.loads((out / "cppsim" / "cppsim.json").read_text())
    rows = _headline((out / "report.md").read_text())
    assert rows["model"] == "micro"
    assert rows["build"] == "stopped after step report (--to-step); `--from-step ip` goes on"
    assert rows["fps (accelerator)"].startswith(f"{estimate['fps']:,.1f} at 100 MHz")
    e2e = estimate["end_to_end"]
    assert rows["fps (end to end)"].startswith(f"{e2e['fps']:,.1f}, set by the host stage")
    assert rows["bottleneck"].startswith(f"{estimate['bottleneck']} (")
    for kind in ("LUT", "FF", "BRAM36", "DSP", "LUTRAM"):
        used, budget = estimate["totals_with_platform"][kind], estimate["budget"][kind]
        assert rows[kind].startswith(f"{used:,.0f} / {budget:,} ("), kind
    assert rows["DDR bandwidth"].startswith(f"{estimate['ddr_mb_per_s']:,.1f} / ")
    assert accuracy["gate"] == "not run"
    assert rows["accuracy"] == f"not run: {accuracy['reason']}"
    assert cppsim["bit_exact"]
    slowest = max(r["cycles_sim"] for r in cppsim["layers"])
    assert rows["C++ simulation (g++)"].startswith(
        f"bit-exact vs numpy; slowest layer {slowest:,} cycles simulated"
    )
    record = json.loads((out / "report.json").read_text())["headline"]
    assert record["fps"] == estimate["fps"] and record["bottleneck"] == estimate["bottleneck"]
    assert record["resources"]["LUT"] == estimate["totals_with_platform"]["LUT"]
    assert record["accuracy"]["gate"] == "not run"
    assert record["cppsim"] == {"bit_exact": True, "first_mismatch": None}
    assert record["state"]["kind"] == "stopped" and record["state"]["step"] == "report"


def test_the_plots_exist_and_draw_something(micro_build):
    _, root = micro_build
    out = root / "micro"
    svgs = sorted((out / "report").glob("*.svg"))
    assert {p.stem for p in svgs} == BUILD_PLOTS
    for svg in svgs:
        assert drawn_marks(svg) >= 1, svg
        assert "<dc:date>" not in svg.read_text()  # no date: two builds are identical
    cycles = (out / "report" / "cycles.svg").read_text()
    assert 'id="bottleneck"' in cycles and 'id="cycle-budget"' in cycles
    text = (out / "report.md").read_text()
    assert all(f"](report/{name}.svg)" in text for name in BUILD_PLOTS)
    html = (out / "report.html").read_text()
    assert html.count("<svg") == len(BUILD_PLOTS)  # embedded, not linked


def test_the_html_references_nothing_outside_itself(micro_build):
    _, root = micro_build
    out = root / "micro"
    html = (out / "report.html").read_text()
    assert external_references(html) == []
    assert html.index('id="h-fps"') < html.index("<svg") < html.index("<details")
    with zipfile.ZipFile(io.BytesIO((out / "deploy.zip").read_bytes())) as archive:
        names = set(archive.namelist())
        board_copy = archive.read("report/report.html").decode()
        archive_index = archive.read("report/index.json")
    assert {"report/headline.md", "report/index.json"} <= names
    assert {f"report/{p}.svg" for p in BUILD_PLOTS} <= names
    index = json.loads(archive_index)
    assert [p["file"] for p in index["plots"]][0] == "cycles.svg"
    assert external_references(board_copy) == []
    assert board_copy.count("<svg") == len(BUILD_PLOTS)
    assert "fps (end to end)" not in board_copy  # timed on the build machine: left out


def test_the_checker_finds_external_references():
    """The check above can fail: each kind of reference is found."""
    for page in (
        '<img src="https://cdn.example/x.png">',
        '<a href="other.html">',
        "<script>1</script>",
        '<link rel="stylesheet" href="#x">',
        "<style>@import 'a.css'</style>",
        "<div style=\"background:url('a.png')\"></div>",
    ):
        assert external_references(page), page
    assert external_references('<a href="#h-fps">fps</a>') == []


def test_a_report_of_a_build_stopped_after_each_step(micro_build, tmp_path):
    """`qnnflow report` on the folder after every step: it never fails, plots only what
    exists, and says where the build stopped; then the build waits for Vitis HLS."""
    model, _ = micro_build
    names = step_names()
    out = tmp_path / "micro"
    for step in names[: names.index("report") + 1]:
        run_build(micro_config(model, tmp_path, to_step=step))
        files = write_report(context_from_dir(out))
        rows = _headline(files.markdown.read_text())
        assert rows["build"].startswith(f"stopped after step {step}"), step
        plots = {p.stem for p in files.plots}
        fold_done = names.index(step) >= names.index("fold")
        assert ("cycles" in plots) == fold_done, step
        assert ("clipping" in plots) == (names.index(step) >= names.index("quantize")), step
        assert ("sim_cycles" in plots) == (names.index(step) >= names.index("cppsim")), step
        assert ("fps (accelerator)" in rows) == fold_done, step
        assert all(drawn_marks(p) >= 1 for p in files.plots), step
        assert external_references(files.html.read_text()) == [], step
    result = run_build(micro_config(model, tmp_path))
    assert result.waiting is not None
    rows = _headline(write_report(context_from_dir(out)).markdown.read_text())
    command = result.waiting.split("run `", 1)[1].split("`", 1)[0]
    assert rows["build"].startswith("waiting for vitis_hls at step ip: ")
    assert f"`{command}`" in rows["build"] and "--from-step ip" in rows["build"]


def test_the_report_step_predicts_the_wait_for_vitis_hls(micro_build, tmp_path):
    """Written before the ip step, the report already says what the build will wait for,
    with the message the ip step then stops with."""
    model, _ = micro_build
    result = run_build(micro_config(model, tmp_path))
    rows = _headline((tmp_path / "micro" / "report.md").read_text())
    assert result.waiting is not None
    assert rows["build"] == "waiting for vitis_hls at step ip: " + result.waiting.split(": ", 1)[
        1
    ].replace("|", "\\|")


def test_the_report_command(micro_copy, monkeypatch):
    _, root = micro_copy
    out = root / "micro"
    for name in ("report.md", "report.html", "report.json"):
        (out / name).unlink()
    opened = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    result = CliRunner().invoke(cli, ["report", str(out), "--open"])
    assert result.exit_code == 0, result.output
    assert "written" in result.output
    assert opened == [(out / "report.html").resolve().as_uri()]
    assert _headline((out / "report.md").read_text())["model"] == "micro"
    assert json.loads((out / "report.json").read_text())["headline"]["board"] == "pynq_z2"
    model, _ = micro_copy
    assert run_build(micro_config(model, root, to_step="report")).ran == []  # still trusted


def test_the_report_command_refuses_a_folder_that_is_no_build(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no build_state.json" in capsys.readouterr().err


@pytest.mark.parametrize("board", ["no_such_board"])
def test_the_report_command_names_an_unknown_board(micro_copy, board, capsys):
    _, root = micro_copy
    assert main(["report", str(root / "micro"), "--board", board]) == 2
    assert board in capsys.readouterr().err


def test_the_vendor_steps_rewrite_the_report_until_it_says_done(micro_copy, monkeypatch):
    """IP and bitstream produced on another machine (copied back, newer than the scripts):
    the ip step's report predicts the wait for Vivado, the bitstream's says done, and a
    rerun trusts every step."""
    from qnnflow.backends.hls import tcl as hls_tcl
    from qnnflow.backends.ip_manifest import IpManifest

    model, root = micro_copy
    out = root / "micro"
    monkeypatch.setenv("PATH", str(root / "no-tools"))
    manifest = IpManifest.load(out / "hls")
    component = out / "hls" / hls_tcl.script_outputs(manifest)[hls_tcl.STITCHED_SCRIPT]
    component.parent.mkdir(parents=True)
    component.write_text("<component/>")
    waiting = run_build(micro_config(model, root)).waiting
    assert waiting is not None and waiting.startswith("step 'bitstream': vivado not found")
    rows = _headline((out / "report.md").read_text())
    assert rows["build"] == "waiting for vivado at step bitstream: " + waiting.split(": ", 1)[
        1
    ].replace("|", "\\|")
    for suffix in (".bit", ".hwh"):
        path = out / "bitstream" / f"{manifest.top}{suffix}"
        path.parent.mkdir(exist_ok=True)
        path.write_text(suffix)
    result = run_build(micro_config(model, root, from_step="bitstream"))
    assert result.waiting is None and result.ran == ["bitstream"]
    assert _headline((out / "report.md").read_text())["build"] == (
        "done: the bitstream is built and copied into deploy/"
    )
    with zipfile.ZipFile(out / "deploy.zip") as archive:
        assert "done" in archive.read("report/headline.md").decode()
    assert run_build(micro_config(model, root)).ran == []  # the rewritten report is trusted


def test_images_drawn_by_run_on_board_are_in_the_report(micro_copy):
    """`run_on_board --draw BUILD/detections` on the package: `qnnflow report` shows the
    images inline (data URIs, still no external reference) and report.md links them."""
    from qnnflow.driver.run_on_board import parser, run

    _, root = micro_copy
    out = root / "micro"
    args = [str(out / "deploy"), "--backend", "python", "--draw", str(out / "detections")]
    assert run(parser().parse_args(args), io.StringIO(), io.StringIO()) == 0
    drawn = sorted(p.name for p in (out / "detections").glob("*_boxes.png"))
    assert drawn == ["0_boxes.png", "1_boxes.png", "2_boxes.png"]
    assert CliRunner().invoke(cli, ["report", str(out)]).exit_code == 0
    html = (out / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') == len(drawn)
    assert external_references(html) == []
    text = (out / "report.md").read_text()
    assert all(f"](detections/{name})" in text for name in drawn)


def test_files_of_steps_a_shorter_rerun_dropped_are_not_reported(micro_copy):
    """Rerun to quantize only: estimate.json and cppsim.json of the earlier, longer run are
    still in the folder but no longer describe the build."""
    model, root = micro_copy
    out = root / "micro"
    run_build(micro_config(model, root, from_step="tidy", to_step="quantize"))
    assert (out / "estimate.json").is_file() and (out / "cppsim" / "cppsim.json").is_file()
    files = write_report(context_from_dir(out))
    rows = _headline(files.markdown.read_text())
    assert rows["build"].startswith("stopped after step quantize")
    assert "fps (accelerator)" not in rows and "C++ simulation (g++)" not in rows
    assert rows["accuracy"] == "not run: the accuracy step has not run"  # its file is older
    assert {p.stem for p in files.plots} == {"clipping"}

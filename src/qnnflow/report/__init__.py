"""The build report: report.md, report.json and a self-contained report.html with plots
(report/*.svg), headline first, from the files a build's steps left in its folder. The build
step (flow/report.py) and `qnnflow report BUILD_DIR` both call `write_report`; a copy for
the board (without this machine's timings and paths) goes into deploy/report/."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.analysis.host_nodes import read_to_hw_record
from qnnflow.flow.model_summary import summarize
from qnnflow.report.data import BuildData, ReportContext, latest_model, load_build
from qnnflow.report.headline import headline_record, headline_rows
from qnnflow.report.html import report_html
from qnnflow.report.markdown import PLOT_DIR, headline_markdown, report_markdown
from qnnflow.report.plots import Plot, render_plots
from qnnflow.report.sections import report_sections
from qnnflow.report.status import build_status
from qnnflow.util.archive import write_zip
from qnnflow.util.atomic import atomic_write_text, replace_dir, write_tree

__all__ = ["ReportContext", "ReportFiles", "context_from_dir", "write_report"]
DEPLOY_REPORT = "deploy/report"  # the board's copy: report.html, headline.md, the SVGs
HEADLINE_MD = "headline.md"


@dataclass(frozen=True)
class ReportFiles:
    markdown: Path
    html: Path
    json: Path
    plots: list[Path]
    deploy: Path | None  # the copy in the deploy package, when the package step ran


def context_from_dir(build_dir: Path, board: str | None = None) -> ReportContext:
    """What a build folder says about its build (for `qnnflow report`): its name, the
    backend codegen rendered, the board AutoFold folded for (or `board`, else pynq_z2)."""
    from qnnflow.flow.state import load_state
    from qnnflow.transforms.fold.auto_fold import FOLDING_KEY

    build_dir = Path(build_dir)
    model = latest_model(build_dir) if build_dir.is_dir() else None
    folding = json.loads((model.get_metadata_prop(FOLDING_KEY) if model else None) or "{}")
    state = load_state(build_dir) if build_dir.is_dir() else {}
    return ReportContext(
        output_dir=build_dir,
        model_name=build_dir.name,
        board=board or folding.get("board") or "pynq_z2",
        backend=state.get("backend", "hls"),
    )


def _title(data: BuildData) -> tuple[str, str]:
    ctx = data.ctx
    source = f"`{ctx.model_path}`" if ctx.model_path else f"build folder {ctx.output_dir.name}/"
    weights = f" + `{ctx.weights}`" if ctx.weights else ""
    return f"qnnflow build report: {ctx.model_name}", f"model {source}{weights}"


def _json_record(data: BuildData, headline: dict, plots: list[Plot]) -> dict:
    rows = summarize(data.model) if data.model is not None else []
    return {
        "model": data.ctx.model_path or data.ctx.model_name,
        "board": data.board.name,
        "backend": data.ctx.backend,
        "headline": headline,
        "plots": [f"{PLOT_DIR}/{p.name}.svg" for p in plots],
        "steps": data.state.get("steps", {}),
        "verification": data.verify,
        "accuracy": data.accuracy,
        "ops": dict(Counter(r.op_type for r in rows)),
        "total_macs": sum(r.macs for r in rows),
        "hardware_macs": sum(r.macs for r in rows if r.hardware),
        "host_macs": sum(r.macs for r in rows if not r.hardware),
        "host_nodes": (read_to_hw_record(data.out) or {}).get("host_nodes"),
        "total_params": sum(r.params for r in rows),
        "layers": [r.__dict__ for r in rows],
    }


def write_report(
    ctx: ReportContext, model: ModelWrapper | None = None, running: str | None = None
) -> ReportFiles:
    """Write report.md/json/html and report/*.svg into `ctx.output_dir` (and the portable
    copy into deploy/report/, re-zipping deploy.zip); `running` names the step calling."""
    data = load_build(ctx, model)
    status = build_status(data, running)
    rows = headline_rows(data, status)
    plots = render_plots(data)
    sections = report_sections(data)
    title, subtitle = _title(data)
    out = data.out
    svgs = {f"{p.name}.svg": p.svg for p in plots}
    replace_dir(out / PLOT_DIR, lambda staging: write_tree(staging, svgs))
    atomic_write_text(out / "report.md", report_markdown(title, rows, plots, sections))
    atomic_write_text(out / "report.html", report_html(title, subtitle, rows, plots, sections))
    record = _json_record(data, headline_record(data, status), plots)
    atomic_write_text(out / "report.json", json.dumps(record, indent=2))
    deploy = None
    if (out / "deploy").is_dir():
        files = dict(svgs)
        files["report.html"] = report_html(title, subtitle, rows, plots, sections, portable=True)
        files[HEADLINE_MD] = f"# {title}\n\n" + headline_markdown(rows, portable=True)
        replace_dir(out / DEPLOY_REPORT, lambda staging: write_tree(staging, files))
        write_zip(out / "deploy", out / "deploy.zip")
        deploy = out / DEPLOY_REPORT
    return ReportFiles(
        out / "report.md",
        out / "report.html",
        out / "report.json",
        [out / PLOT_DIR / name for name in svgs],
        deploy,
    )

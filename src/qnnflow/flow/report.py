"""Build step: the build report (report.md, report.json, report.html, report/*.svg and
the board's copy in deploy/report/), written by `qnnflow.report.write_report`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.flow.artifacts import record_outputs
from qnnflow.flow.config import BuildConfig
from qnnflow.flow.state import load_state, save_state
from qnnflow.flow.tool_steps import next_tool_wait

if TYPE_CHECKING:
    from qnnflow.report import ReportContext


def report_context(cfg: BuildConfig, running: str = "report") -> ReportContext:
    """The report's view of this build, written by step `running`; what the next
    vendor-tool step will wait for is predicted (the message it stops with) unless
    --to-step ends the build before it."""
    # qnnflow.report reads flow modules (import cycle through qnnflow.flow): imported here
    from qnnflow.flow.steps import TOOL_STEPS, step_names
    from qnnflow.report import ReportContext

    order = step_names()
    later = [s for s in TOOL_STEPS if order.index(s) > order.index(running)]
    last = order.index(cfg.to_step) if cfg.to_step else len(order) - 1
    following = later[0] if later and order.index(later[0]) <= last else None
    return ReportContext(
        output_dir=cfg.output_dir,
        model_name=cfg.model_name,
        board=cfg.board,
        backend=cfg.backend,
        model_path=str(cfg.model),
        weights=str(cfg.weights) if cfg.weights else None,
        to_step=cfg.to_step,
        waiting=next_tool_wait(cfg, following) if following else None,
    )


def refresh_report(model: ModelWrapper, cfg: BuildConfig, running: str) -> None:
    """The report again, by a step after the report step (ip, bitstream)."""
    from qnnflow.report import write_report

    write_report(report_context(cfg, running), model, running=running)


def rerecord_report(output_dir: Path) -> None:
    """After `qnnflow report` rewrote the report (and deploy.zip): each rewritten file's new
    digest goes to the step that recorded it last, so a resumed build still trusts them."""
    from qnnflow.flow.steps import REPORT_FILES, step_names

    state = load_state(output_dir)
    recorded = state.get("outputs", {})
    steps = [s for s in reversed(step_names()) if s in recorded]
    changed = False
    for path, digest in record_outputs(output_dir, REPORT_FILES).items():
        owner = next((s for s in steps if path in recorded[s]), None)
        if owner is not None and recorded[owner][path] != digest:
            recorded[owner][path] = digest
            changed = True
    if changed:
        save_state(output_dir, state)


def step_report(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Report: report.md and a self-contained report.html (headline first: fps, bottleneck,
    resources against the board, accuracy, simulation verdicts, build state; then plots and
    tables), report.json, report/*.svg; a copy for the board in deploy/report/."""
    assert model is not None
    refresh_report(model, cfg, "report")
    return model

"""Build step: the build report (report.md, report.json, report.html, report/*.svg and
the board's copy in deploy/report/), written by `qnnflow.report.write_report`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.flow.config import BuildConfig
from qnnflow.flow.tool_steps import next_tool_wait

if TYPE_CHECKING:
    from qnnflow.report import ReportContext


def report_context(cfg: BuildConfig) -> ReportContext:
    """The report's view of this build; the vendor tool the ip step will lack is predicted
    (with the message that step stops with) unless --to-step ends the build before it."""
    # qnnflow.report reads flow modules (import cycle through qnnflow.flow): imported here
    from qnnflow.flow.steps import TOOL_STEPS, step_names  # steps.py imports this module
    from qnnflow.report import ReportContext

    order = step_names()
    stops_before_tools = cfg.to_step is not None and order.index(cfg.to_step) < order.index(
        TOOL_STEPS[0]
    )
    return ReportContext(
        output_dir=cfg.output_dir,
        model_name=cfg.model_name,
        board=cfg.board,
        backend=cfg.backend,
        model_path=str(cfg.model),
        weights=str(cfg.weights) if cfg.weights else None,
        to_step=cfg.to_step,
        waiting=None if stops_before_tools else next_tool_wait(cfg),
    )


def step_report(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Report: report.md and a self-contained report.html (headline first: fps, bottleneck,
    resources against the board, accuracy, simulation verdicts, build state; then plots and
    tables), report.json, report/*.svg; a copy for the board in deploy/report/."""
    from qnnflow.report import write_report

    assert model is not None
    write_report(report_context(cfg), model, running="report")
    return model

"""Where a build stands, for the report's first line: done (bitstream built), waiting for a
vendor tool (with the exact command its step stopped with), or stopped after a step."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from qnnflow.report.data import BuildData

_WAIT_STEP = re.compile(r"^step '(\w+)': ")
_WAIT_TOOL = re.compile(r"^(\w+) not found")


@dataclass(frozen=True)
class BuildStatus:
    """`kind` is done, waiting or stopped; `step` the last step done (or the one waiting);
    `message` the whole line (paths of this machine); `short` the same without them."""

    kind: str
    step: str | None
    tool: str | None
    message: str
    short: str

    def to_dict(self) -> dict:
        return asdict(self)


def build_status(data: BuildData, running: str | None = None) -> BuildStatus:
    """The state of the build in `data`; `running` is the step writing the report now (its
    own record comes after it returns)."""
    from qnnflow.flow.steps import step_names  # the steps import the report step

    order = step_names()
    done = [n for n in order if n in data.state.get("steps", {}) or n == running]
    if "bitstream" in done:
        text = "done: the bitstream is built and copied into deploy/"
        return BuildStatus("done", "bitstream", None, text, text)
    waiting = data.state.get("waiting")
    recorded = _WAIT_STEP.match(waiting or "")
    if running and recorded and order.index(recorded.group(1)) <= order.index(running):
        waiting = None  # an earlier run's wait, at the step running now or before it
    waiting = waiting or data.ctx.waiting
    to_step = data.ctx.to_step
    if waiting and not (to_step and done and order.index(to_step) <= order.index(done[-1])):
        step_match = _WAIT_STEP.match(waiting)
        step = step_match.group(1) if step_match else None
        rest = waiting[step_match.end() :] if step_match else waiting
        tool_match = _WAIT_TOOL.match(rest)
        tool = tool_match.group(1) if tool_match else None
        short = f"waiting for {tool or 'a vendor tool'} at step {step}"
        return BuildStatus("waiting", step, tool, f"{short}: {rest}", short)
    if not done:
        text = "not started: no step has finished"
        return BuildStatus("stopped", None, None, text, text)
    last = done[-1]
    text = f"stopped after step {last}" + (" (--to-step)" if to_step == last else "")
    nxt = order[order.index(last) + 1] if last != order[-1] else None
    message = text + (f"; `--from-step {nxt}` goes on" if nxt else "")
    return BuildStatus("stopped", last, None, message, text)

"""What a build report reads: the JSON files the steps left in a build folder and the latest
saved model, gathered once so the headline, the plots and the tables share one view."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.analysis.resource_factors import SYNTH_FILE
from qnnflow.boards import Board, load_board
from qnnflow.errors import QnnflowError
from qnnflow.flow.accuracy_step import ACCURACY_FILE
from qnnflow.flow.rtlsim_step import RTLSIM_FILE
from qnnflow.flow.state import load_state
from qnnflow.transforms.fold.auto_fold import FOLDING_KEY

CPPSIM_FILE = "cppsim/cppsim.json"
VERIFY_FILE = "verify/verify.json"


@dataclass(frozen=True)
class ReportContext:
    """Who asks for the report: the build step (from its config) or `qnnflow report`
    (from the folder alone). `waiting` is the vendor tool the next step lacks, as its
    ToolNotFound message says it (None: not predicted)."""

    output_dir: Path
    model_name: str
    board: str
    backend: str
    model_path: str | None = None
    weights: str | None = None
    to_step: str | None = None
    waiting: str | None = None


@dataclass
class BuildData:
    """The build folder's records; a file a step did not write is None."""

    ctx: ReportContext
    board: Board
    state: dict
    model: ModelWrapper | None
    estimate: dict | None = None
    accuracy: dict | None = None
    cppsim: dict | None = None
    rtlsim: dict | None = None
    synth: dict | None = None
    quantize: dict | None = None
    verify: dict | None = None
    folding: dict = field(default_factory=dict)

    @property
    def out(self) -> Path:
        return self.ctx.output_dir


def read_json(path: Path) -> dict | None:
    """A JSON record, or None when missing or unreadable (a killed step's half file)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def latest_model(output_dir: Path) -> ModelWrapper | None:
    """The model the last finished step saved (NN_<step>.onnx with the highest NN)."""
    state = load_state(output_dir)
    names = [entry.get("output") for entry in state["steps"].values()]
    saved = sorted(n for n in names if n and (output_dir / n).is_file())
    return ModelWrapper(str(output_dir / saved[-1])) if saved else None


def load_build(ctx: ReportContext, model: ModelWrapper | None = None) -> BuildData:
    """Everything the report shows, from `ctx.output_dir` (and `model` when the step has it)."""
    out = ctx.output_dir
    if not out.is_dir():
        raise QnnflowError(f"build folder not found: {out}")
    model = model if model is not None else latest_model(out)
    folding = json.loads((model.get_metadata_prop(FOLDING_KEY) if model else None) or "{}")
    state = load_state(out)
    data = BuildData(ctx, load_board(ctx.board), state, model, folding=folding)
    current, after, since = _current_steps(out, state)

    def record(step: str, path: str) -> dict | None:
        file = out / path
        if step in current or (step == after and file.is_file() and file.stat().st_mtime >= since):
            return read_json(file)
        return None

    data.estimate = record("fold", "estimate.json")
    data.accuracy = record("accuracy", ACCURACY_FILE)
    data.cppsim = record("cppsim", CPPSIM_FILE)
    data.rtlsim = record("rtlsim", RTLSIM_FILE)
    data.quantize = record("quantize", "quantize.json")
    data.verify = record("verify", VERIFY_FILE)
    # `qnnflow synth BUILD_DIR` writes it outside the build: trusted for the same folding
    synth = read_json(out / SYNTH_FILE)
    if synth is not None and model is not None and _same_folding(synth, model):
        data.synth = synth
    return data


def _current_steps(out: Path, state: dict) -> tuple[set[str], str | None, float]:
    """The steps whose files describe this build: those done (an opt-in step only when it
    was asked for); and the step after them, which may have stopped the build after writing
    its verdict (a failed accuracy gate, a simulation mismatch): its file counts when it is
    newer than the last step's saved model. A later step's file left by an earlier, longer
    run is stale. Returns (done, the step after, the time its file must follow)."""
    from qnnflow.flow.steps import step_names  # the steps import the report step

    order = step_names()
    done = state.get("steps", {})
    current = {n for n in order if n in done and done[n].get("asked", True)}
    last = max((order.index(n) for n in done if n in order), default=-1)
    after = order[last + 1] if last + 1 < len(order) else None
    saved = out / done[order[last]].get("output", "") if last >= 0 else None
    since = saved.stat().st_mtime if saved is not None and saved.is_file() else 0.0
    return current, after, since


def _same_folding(synth: dict, model: ModelWrapper) -> bool:
    """synth.json measured this build's folding (else its numbers describe another design)."""
    from qnnflow.flow.synth_step import folding_digest

    return synth.get("folding") == folding_digest(model)

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
    data = BuildData(ctx, load_board(ctx.board), load_state(out), model, folding=folding)
    data.estimate = read_json(out / "estimate.json")
    data.accuracy = read_json(out / ACCURACY_FILE)
    data.cppsim = read_json(out / CPPSIM_FILE)
    data.rtlsim = read_json(out / RTLSIM_FILE)
    data.quantize = read_json(out / "quantize.json")
    data.verify = read_json(out / VERIFY_FILE)
    synth = read_json(out / SYNTH_FILE)
    if synth is not None and model is not None and _same_folding(synth, model):
        data.synth = synth
    return data


def _same_folding(synth: dict, model: ModelWrapper) -> bool:
    """synth.json measured this build's folding (else its numbers describe another design)."""
    from qnnflow.flow.synth_step import folding_digest

    return synth.get("folding") == folding_digest(model)

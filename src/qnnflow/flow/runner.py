"""Run the build's steps in order, saving the model after each one; resume where the inputs
and options are unchanged and every file the step wrote is still there unchanged, or from
any step with `from_step`."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.flow.artifacts import file_digest, record_outputs, remove_leftovers, stale_reason
from qnnflow.flow.config import BuildConfig
from qnnflow.flow.profile_file import save_step_profile
from qnnflow.flow.state import load_state, save_state
from qnnflow.flow.steps import OPT_IN, STEPS, step_names, step_options, step_outputs
from qnnflow.toolchain import ToolNotFound
from qnnflow.util import profile
from qnnflow.util.atomic import atomic_write_bytes

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    output_dir: Path
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    model: ModelWrapper | None = None
    waiting: str | None = None  # why the build stopped at a vendor-tool step, if it did


def _step_range(cfg: BuildConfig) -> tuple[int, int]:
    names = step_names()
    for option in (cfg.from_step, cfg.to_step):
        if option is not None and option not in names:
            raise QnnflowError(f"unknown step '{option}' (steps: {', '.join(names)})")
    start = names.index(cfg.from_step) if cfg.from_step else 0
    stop = names.index(cfg.to_step) if cfg.to_step else len(names) - 1
    if start > stop:
        raise QnnflowError(f"--from-step {cfg.from_step} comes after --to-step {cfg.to_step}")
    return start, stop


def remove_if_empty(folders: list[Path]) -> None:
    """Remove the folders this run created (innermost first) while they are empty."""
    for folder in folders:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _output_path(cfg: BuildConfig, index: int, name: str) -> Path:
    return cfg.output_dir / f"{index + 1:02d}_{name}.onnx"


def _still_valid(cfg: BuildConfig, state: dict, name: str, path: Path, fingerprint: str) -> bool:
    """The step ran with these inputs and options, and everything it wrote is unchanged."""
    entry = state["steps"].get(name)
    if not entry or entry.get("fingerprint") != fingerprint or not path.is_file():
        return False
    if name in OPT_IN and OPT_IN[name](cfg) and not entry.get("asked"):
        return False  # it passed the model through last time; now it is asked for
    stale = stale_reason(cfg.output_dir, state, name, step_names())
    if stale is not None:
        log.info("step %s reruns (and the steps after it): %s", name, stale)
    return stale is None


def run_build(cfg: BuildConfig, on_step: Callable[[str, str], None] | None = None) -> BuildResult:
    """Run steps start..stop; `on_step(name, status)` reports 'running', 'done' or 'skipped'."""
    start, stop = _step_range(cfg)
    state = load_state(cfg.output_dir)
    result = BuildResult(output_dir=cfg.output_dir)
    fingerprint = cfg.fingerprint()
    model: ModelWrapper | None = None
    if start > 0:
        prev = _output_path(cfg, start - 1, STEPS[start - 1][0])
        if not prev.is_file():
            raise QnnflowError(
                f"cannot start at step '{cfg.from_step}': {prev} is missing; "
                f"run the build up to '{STEPS[start - 1][0]}' first"
            )
        model = ModelWrapper(str(prev))
        fingerprint = state["steps"].get(STEPS[start - 1][0], {}).get("fingerprint", fingerprint)
    created = [p for p in (cfg.output_dir, *cfg.output_dir.parents) if not p.exists()]
    cfg.output_dir.mkdir(parents=True, exist_ok=True)
    remove_leftovers(cfg.output_dir)  # staging folders and temp files of a killed build
    resuming = cfg.from_step is None
    for index in range(start, stop + 1):
        name, step = STEPS[index]
        path = _output_path(cfg, index, name)
        key = f"{fingerprint}:{name}:{step_options(cfg, name)}"
        fingerprint = hashlib.sha256(key.encode()).hexdigest()[:16]
        if resuming and _still_valid(cfg, state, name, path, fingerprint):
            model = ModelWrapper(str(path))
            result.skipped.append(name)
            if on_step:
                on_step(name, "skipped")
            continue
        resuming = False
        if on_step:
            on_step(name, "running")
        began = time.perf_counter()
        try:
            with profile.collecting() as transforms:
                model = step(model, cfg)
        except ToolNotFound as exc:
            # everything up to here is written; the message says how to finish elsewhere
            result.waiting = f"step '{name}': {exc}"
            state["waiting"] = result.waiting
            save_state(cfg.output_dir, state)
            if on_step:
                on_step(name, "waiting")
            break
        except QnnflowError as exc:
            remove_if_empty(created)  # bad input at the first step leaves no folder behind
            raise QnnflowError(f"step '{name}': {exc}") from exc
        atomic_write_bytes(path, model.model.SerializeToString())
        seconds = time.perf_counter() - began
        state["steps"][name] = {
            "output": path.name,
            "fingerprint": fingerprint,
            "seconds": round(seconds, 3),
        }
        if name in OPT_IN:
            state["steps"][name]["asked"] = OPT_IN[name](cfg)
        outputs = state.setdefault("outputs", {})
        outputs[name] = {path.name: file_digest(path)}
        outputs[name].update(record_outputs(cfg.output_dir, step_outputs(cfg, name)))
        for later, _ in STEPS[index + 1 :]:
            state["steps"].pop(later, None)
            outputs.pop(later, None)
        state.pop("waiting", None)
        state["backend"] = cfg.backend  # what codegen rendered (report, resume lines)
        state["verify"] = cfg.verify  # how the transforms were checked ("off": not at all)
        save_state(cfg.output_dir, state)
        save_step_profile(cfg.output_dir, step_names(), name, seconds, transforms)
        result.ran.append(name)
        if on_step:
            on_step(name, "done")
        log.info("step %s -> %s", name, path)
    result.model = model
    return result

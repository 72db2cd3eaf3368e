"""Build step: fold the hardware layers for the board (automatically, for a target fps, or
from a JSON config) and save the folding config and the per-layer estimate."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.analysis.end_to_end import end_to_end_estimate, require_host_reaches
from qnnflow.analysis.end_to_end_table import end_to_end_line, end_to_end_markdown
from qnnflow.analysis.estimate import NetworkEstimate, estimate_network
from qnnflow.analysis.estimate_table import estimate_markdown
from qnnflow.analysis.resource_factors import SYNTH_FILE, Factors, load_factors
from qnnflow.boards import Board, load_board
from qnnflow.errors import QnnflowError
from qnnflow.flow.cap_search import bisect_scale, fastest_of, fastest_on_grid, target_ladder
from qnnflow.flow.config import BuildConfig
from qnnflow.ops.graph_queries import hw_nodes
from qnnflow.transforms.fold import (
    ApplyFoldingConfig,
    AutoFold,
    InsertFIFOs,
    InsertWidthConverters,
    extract_folding_config,
)
from qnnflow.transforms.fold.auto_fold import DEFAULT_CAPS
from qnnflow.transforms.fold.choice_table import FoldCandidates
from qnnflow.transforms.fold.folding_config import (
    FIFO_DEPTHS,
    read_folding_config,
    split_fifo_depths,
)
from qnnflow.transforms.fold.insert_fifos import fifo_depths
from qnnflow.util import profile
from qnnflow.util.atomic import atomic_write_text
from qnnflow.verify.group import Checks, apply_checked, chain_label, check_chain, transform_chain

log = logging.getLogger(__name__)
MAX_REFOLDS = 5


@dataclass
class Folded:
    """A folding's result and, unless the checks ran as it was made (full mode), the
    models it went through and the transforms between them, for one check at the end."""

    model: ModelWrapper
    chain: list[ModelWrapper]
    transforms: list[Transformation]
    transform_s: float = 0.0  # making the chain (for profile.json)


def _fold_and_plumb(
    model: ModelWrapper, transform, checks: Checks, fifos: InsertFIFOs | None = None
) -> Folded:
    transforms = [transform, InsertWidthConverters(), fifos or InsertFIFOs()]
    if checks.mode == "full":  # every transform, each candidate of the cap search too
        return Folded(apply_checked(model, transforms, checks), [], transforms)
    chain, seconds = transform_chain(model, transforms)
    return Folded(chain[-1], chain, transforms, seconds)


def _checked(folded: Folded, checks: Checks) -> ModelWrapper:
    """The chosen folding, checked once as a group where it was not checked as it was made."""
    if checks.mode == "fast":
        check_chain(folded.chain, folded.transforms, checks, folded.transform_s)
    elif checks.mode == "off":  # the rewrite's time alone
        profile.record(chain_label(folded.transforms), folded.transform_s, 0.0)
    return folded.model


def _auto_fold_with_plumbing(
    model: ModelWrapper,
    board: Board,
    target_fps: float | None,
    checks: Checks,
    factors: Factors | None = None,
    fifo_sizing: str = "lag",
) -> ModelWrapper:
    """AutoFold budgets the compute layers; the width converters and FIFOs inserted after it
    cost resources too. When they push a resource over its cap, the compute caps of the
    resources that overflow are lowered (flow/cap_search.py: one scale bisected in
    MAX_REFOLDS rounds, else the cheapest folding at a ladder of lower target rates, else one
    scale per resource on a grid) for the fastest design whose total, plumbing included,
    keeps every cap. The refolds share one FoldCandidates: only the caps or the target change
    between them, not the options' costs."""
    candidates = FoldCandidates(model, factors)
    fold = AutoFold(board, target_fps, factors=factors, candidates=candidates)
    folded = _fold_and_plumb(model, fold, checks)
    over = _over_caps(folded.model, board, factors)
    if not over:
        return _resize_fifos(model, folded, fifo_sizing, checks)

    def attempt(make_fold: Callable[[], AutoFold], what: str) -> Folded | None:
        """The design the AutoFold made by `make_fold` gives, plumbing included, when it keeps
        every cap."""
        try:
            candidate = _fold_and_plumb(model, make_fold(), checks)
        except QnnflowError:  # AutoFold refused: nothing fits what it was asked for
            return None
        fit = not _over_caps(candidate.model, board, factors)
        log.info("refold %s: %s", what, "fits" if fit else "over")
        return candidate if fit else None

    def at_scales(scales: dict[str, float]) -> Folded | None:
        caps = {k: cap * scales.get(k, 1.0) for k, cap in DEFAULT_CAPS.items()}
        return attempt(
            lambda: AutoFold(board, target_fps, caps, factors, candidates),
            f"with compute caps x{scales}",
        )

    def at_target(fps: float) -> Folded | None:
        return attempt(
            lambda: AutoFold(board, fps, factors=factors, candidates=candidates),
            f"for {fps:.4g} fps",
        )

    def rate(candidate: Folded) -> float:
        return _fps(candidate.model, board, factors)

    best = bisect_scale(lambda scale: at_scales(dict.fromkeys(over, scale)), MAX_REFOLDS)
    if best is None:
        best = fastest_of(at_target, target_ladder(rate(folded)), rate)
    if best is None:
        best = fastest_on_grid(at_scales, list(over), rate)
    if best is None:
        raise QnnflowError(
            f"width converters and FIFOs push {', '.join(sorted(over))} over the board's caps "
            "at every folding tried; give a folding config (--folding) or a lower --target-fps"
        )
    return _resize_fifos(model, best, fifo_sizing, checks)


def _fps(model: ModelWrapper, board: Board, factors: Factors | None) -> float:
    return estimate_network(model, board, factors).fps


def _resize_fifos(
    model: ModelWrapper, folded: Folded, fifo_sizing: str, checks: Checks
) -> ModelWrapper:
    """The chosen folding with FIFOs sized by `fifo_sizing` (the cap search above runs on
    the instant "lag" rule; a simulated sizing runs once, on the folding it picked), then
    checked."""
    if fifo_sizing == "lag":
        return _checked(folded, checks)
    folding = extract_folding_config(folded.model)
    fifos = InsertFIFOs(fifo_sizing=fifo_sizing)
    return _checked(_fold_and_plumb(model, ApplyFoldingConfig(folding), checks, fifos), checks)


def _over_caps(model: ModelWrapper, board: Board, factors: Factors | None = None) -> set[str]:
    used = estimate_network(model, board, factors).utilization(board)
    return {k for k, cap in DEFAULT_CAPS.items() if used.get(k, 0.0) > cap}


def fold_model(
    model: ModelWrapper,
    board: Board,
    target_fps: float | None = None,
    folding: Path | dict | None = None,
    seed: int = 0,
    target_scope: str = "accelerator",
    factors: Factors | None = None,
    fifo_sizing: str = "lag",
    verify: str = "fast",
    verify_inputs: int = 1,
) -> ModelWrapper:
    """The build's folding, shared by step_fold and `qnnflow estimate`: a folding config when
    given, else AutoFold with the cap refolding, then width converters and FIFOs, checked
    bit-exact as `verify` says (verify.group: fast checks the chosen folding once, on the
    verification inputs at a small size; full checks every transform of every candidate on
    the seeded input at full size). With target_scope "end-to-end" the
    accelerator still aims at `target_fps`, after a check that the host stages can reach
    it (a QnnflowError naming the slowest one when they cannot). `factors` (synthesis-
    measured, per op type) scale the resource estimates AutoFold budgets with. FIFOs are
    sized by `fifo_sizing` (InsertFIFOs), except those the folding config's "fifo_depths"
    names (as the fold step writes them)."""
    checks = Checks(verify, seed, verify_inputs, seeded_only=True)
    if folding is not None:
        config, source = read_folding_config(folding)
        config, depths = split_fifo_depths(config)
        fifos = InsertFIFOs(depths=depths, fifo_sizing=fifo_sizing)
        apply = ApplyFoldingConfig(config, source)
        return _checked(_fold_and_plumb(model, apply, checks, fifos), checks)
    if target_scope == "end-to-end" and target_fps is not None:
        require_host_reaches(model, board, target_fps)
    return _auto_fold_with_plumbing(model, board, target_fps, checks, factors, fifo_sizing)


def step_fold(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Fold hardware layers (PE/SIMD/weight memory) for the board, insert width converters
    and FIFOs; write folding_config.json and estimate.md/json."""
    assert model is not None
    out = cfg.output_dir
    board = load_board(cfg.board)
    factors = _resource_factors(cfg)
    if hw_nodes(model):  # without any, the estimate says so and lists the host nodes
        model = fold_model(
            model, board, cfg.target_fps, cfg.folding, cfg.seed, cfg.target_scope, factors,
            cfg.fifo_sizing, cfg.verify, cfg.verify_inputs,
        )  # fmt: skip
    estimate = estimate_network(model, board, factors)
    atomic_write_text(out / "folding_config.json", json.dumps(saved_folding(model), indent=2))
    data = estimate_with_end_to_end(model, board, estimate)
    data["resources"] = {"source": cfg.resources, "factors": factors}
    _warn_when_missed(cfg, data["end_to_end"])
    atomic_write_text(out / "estimate.json", json.dumps(data, indent=2))
    markdown = estimate_markdown(estimate, board) + "\n" + end_to_end_markdown(data["end_to_end"])
    if factors is not None:  # say the figures are not the ops' plain estimates
        source = cfg.resource_factors or cfg.output_dir / SYNTH_FILE
        markdown = f"Resources: the ops' estimates x the per-op factors of {source}.\n\n" + markdown
    atomic_write_text(out / "estimate.md", markdown)
    return model


def saved_folding(model: ModelWrapper) -> dict:
    """The folding config a build saves (and --folding re-applies): every compute layer's
    folding and, under "fifo_depths", every FIFO's depth."""
    return {**extract_folding_config(model), FIFO_DEPTHS: fifo_depths(model)}


def _resource_factors(cfg: BuildConfig) -> Factors | None:
    """With `--resources synth`, the per-op factors of --resource-factors (a synth.json),
    else of this build folder's synth.json from an earlier synth step."""
    if cfg.resources != "synth":
        return None
    return load_factors(cfg.resource_factors or cfg.output_dir / SYNTH_FILE)


def estimate_with_end_to_end(model: ModelWrapper, board: Board, estimate: NetworkEstimate) -> dict:
    """estimate.json's content, shared with `qnnflow estimate`: the accelerator's estimate
    and, under "end_to_end", the pipeline of host and accelerator stages (None without
    hardware layers; {"fps": None, "reason": ...} when the host part cannot run, e.g. an
    op the driver's numpy host graph lacks: the package step refuses that graph anyway)."""
    try:
        end_to_end = end_to_end_estimate(model, board, estimate)
    except QnnflowError as exc:
        log.warning("no end-to-end estimate: %s", exc)
        return {**estimate.to_dict(board), "end_to_end": {"fps": None, "reason": str(exc)}}
    return {**estimate.to_dict(board), "end_to_end": end_to_end and end_to_end.to_dict()}


def _warn_when_missed(cfg: BuildConfig, end_to_end: dict | None) -> None:
    """The host check passed before folding, but the whole pipeline (DMA included) may
    still fall short of an end-to-end target: say so rather than fail a finished fold."""
    reached = (end_to_end or {}).get("fps")
    wanted = cfg.target_scope == "end-to-end" and cfg.target_fps is not None
    if wanted and reached is not None and reached < cfg.target_fps:
        log.warning(
            "end-to-end target %g fps missed: %s", cfg.target_fps, end_to_end_line(end_to_end)
        )

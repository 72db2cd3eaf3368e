"""Folding search speed: the fold step's folding (AutoFold with its cap refolds, width
converters, FIFOs; fold_model) with the fast search vs the straightforward one it replaced
(every node's folding evaluated on a fresh NodeProto copy through qonnx, every choice a
scan of every option: tests/transforms/fold/test_fold_search_reference.py), same model,
same run, and whether both pick the same folding.

The transforms' bit-exact checks are left out of both timings (they are the same work
either way; issue 15 item 1 measures them). Models: the default model and, where ../shared
holds it, the trained Tinier-YOLO, each at max fps and 30 fps.

    .venv/bin/python benchmarks/fold_search.py          # ~3 min on 2 cores
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import qnnflow.flow.fold_step as fold_step  # noqa: E402
from qnnflow.boards import load_board  # noqa: E402
from qnnflow.flow import BuildConfig, run_build  # noqa: E402
from qnnflow.resources import default_model  # noqa: E402
from qnnflow.transforms.fold.node_costs import NodeCosts  # noqa: E402
from tests.transforms.fold.test_fold_search_reference import (  # noqa: E402
    ReferenceFold,
    reference_cost,
)

TINIER = ROOT.parent / "shared" / "data" / "tinier-yolo" / "tinier_yolo_w1a3.npz"
TARGETS = (None, 30.0)


def hardware_graph(model: Path | None, scratch: Path):
    """The build's to_hw output for `model` (None: the default model)."""
    model = model or default_model()
    result = run_build(BuildConfig(model=model, output_root=scratch, to_step="to_hw"))
    return result.model


def unshared_reference(board, target_fps=None, caps=None, factors=None, candidates=None):
    """The reference AutoFold as the fold step made it before: nothing shared between the
    cap refolds (each evaluates every candidate set's options again)."""
    return ReferenceFold(board, target_fps, caps, factors)


def timed_fold(model, target: float | None, reference: bool) -> tuple[float, str]:
    """Seconds of fold_model without the equivalence checks, and its folding as JSON."""
    patched = ("verified_transform", "AutoFold", "FoldCandidates")
    saved = [getattr(fold_step, name) for name in patched] + [NodeCosts.cost]
    fold_step.verified_transform = lambda m, transform, inputs: m.transform(transform)
    if reference:
        fold_step.AutoFold = unshared_reference
        fold_step.FoldCandidates = lambda model, factors: None
        NodeCosts.cost = reference_cost
    try:
        began = time.perf_counter()
        folded = fold_step.fold_model(model, load_board("pynq_z2"), target)
        seconds = time.perf_counter() - began
    finally:
        for name, value in zip(patched, saved, strict=False):
            setattr(fold_step, name, value)
        NodeCosts.cost = saved[-1]
    return seconds, json.dumps(fold_step.saved_folding(folded), sort_keys=True)


def main() -> None:
    models = [("default model", None)] + ([("Tinier-YOLO", TINIER)] if TINIER.is_file() else [])
    print("| model | target fps | fold s, fast | fold s, reference | reference / fast | same |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        for name, path in models:
            model = hardware_graph(path, Path(scratch))
            for target in TARGETS:
                fast, folding = timed_fold(model, target, reference=False)
                slow, expected = timed_fold(model, target, reference=True)
                label = "max" if target is None else f"{target:g}"
                same = "yes" if folding == expected else "NO"
                cells = f"{fast:.2f} | {slow:.2f} | {slow / fast:.1f} | {same}"
                print(f"| {name} | {label} | {cells} |")
    if not TINIER.is_file():
        print(f"(Tinier-YOLO skipped: {TINIER} not found)")


if __name__ == "__main__":
    main()

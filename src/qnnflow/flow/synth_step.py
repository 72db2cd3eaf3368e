"""Build step (opt-in) and `qnnflow synth`: Yosys synthesis of every hardware layer's RTL,
out of context and in parallel, written to synth.json (estimate vs synthesis per layer,
totals, board budget, per-op factors for `--resources synth`) and synth.md."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.analysis.hardware_region import hardware_region
from qnnflow.analysis.resource_factors import SYNTH_FILE
from qnnflow.backends.rtl.synth import SynthResult, synthesize_layers, synthesize_top
from qnnflow.backends.rtl.synth_report import layer_row, synth_markdown, synth_summary
from qnnflow.boards import Board, load_board
from qnnflow.errors import QnnflowError
from qnnflow.flow.config import BuildConfig
from qnnflow.transforms.fold import extract_folding_config
from qnnflow.transforms.fold.auto_fold import FOLDING_KEY
from qnnflow.util.atomic import atomic_write_text

log = logging.getLogger(__name__)
SYNTH_MD = "synth.md"


def synthesize_model(model: ModelWrapper, board: Board, jobs: int | None = None) -> dict:
    """Render every hardware layer to RTL, synthesize them (`jobs` at a time), then the
    stitched top, and compare with the ops' estimates: synth.json's content. Op types
    without an RTL renderer yet are listed under not_synthesized (no top then; the totals
    cover the others only)."""
    from qnnflow.backends.rtl.network import build_rtl_network
    from qnnflow.backends.rtl.ops import RENDERERS, render_node

    region = hardware_region(model)
    net = build_rtl_network(model) if all(n.op_type in RENDERERS for n in region) else None
    rendered = dict(zip(net.node_names, net.layers, strict=True)) if net else {}
    codes, ops, skipped = [], [], []
    for node in region:
        if node.op_type not in RENDERERS:
            skipped.append({"layer": node.name, "op": node.op_type, "why": "no RTL renderer"})
            continue
        codes.append(rendered.get(node.name) or render_node(model, node))
        ops.append((node.name, node.op_type, getCustomOp(node).resources()))
    if not codes:
        raise QnnflowError("no hardware layer has an RTL renderer: nothing to synthesize")
    rows, failed = [], []
    for (name, op, est), result in zip(ops, synthesize_layers(codes, jobs=jobs), strict=True):
        if isinstance(result, QnnflowError):
            failed.append({"layer": name, "op": op, "why": f"Yosys failed: {result}"})
        else:
            rows.append(layer_row(name, op, est, result))
    top = _synthesize_top(model, net) if net is not None and not failed else None
    summary = synth_summary(rows, board, top=top, not_synthesized=[*failed, *skipped])
    return {**summary, "failed": len(failed), "folding": folding_digest(model)}


def _synthesize_top(model: ModelWrapper, net) -> SynthResult:
    """The stitched accelerator (`<top>_core` and the DMA-facing `<top>`) in one run."""
    from qnnflow.backends.rtl.network import adapter_kernels, render_core, render_top

    source = render_core(model, net) + "\n" + render_top(net)
    return synthesize_top(net.layers, net.top, source, kernels=adapter_kernels(net))


def _raise_on_failures(summary: dict) -> None:
    """After synth.json is written: a layer Yosys failed on fails the step (or command)."""
    failed = [s for s in summary["not_synthesized"] if s["why"].startswith("Yosys failed")]
    if failed:
        raise QnnflowError(
            f"Yosys failed on {len(failed)} layer(s) ({failed[0]['why']}); the others are "
            "measured in synth.json"
        )


def folding_digest(model: ModelWrapper) -> str:
    """Which folding a synth.json measured (the report shows it only for the same one)."""
    config = json.dumps(extract_folding_config(model), sort_keys=True)
    return hashlib.sha256(config.encode()).hexdigest()[:16]


def synth_section(output_dir: Path, model: ModelWrapper) -> str:
    """The report's synthesis section: synth.md when synth.json measured this folding."""
    path = output_dir / SYNTH_FILE
    if not path.is_file():
        return "not run (`qnnflow build --synth` or `qnnflow synth BUILD_DIR`)"
    if json.loads(path.read_text()).get("folding") != folding_digest(model):
        return f"{SYNTH_FILE} measured another folding: rerun `qnnflow synth {output_dir}`"
    return synth_markdown(json.loads(path.read_text()))


def write_synth(output_dir: Path, summary: dict) -> None:
    atomic_write_text(output_dir / SYNTH_FILE, json.dumps(summary, indent=2))
    atomic_write_text(output_dir / SYNTH_MD, synth_markdown(summary))


def step_synth(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Synthesis (opt-in, --synth): Yosys on every hardware layer's RTL, out of context and
    in parallel; synth.json/md compare its LUT/FF/BRAM/LUTRAM/DSP with the estimates."""
    assert model is not None
    if not cfg.synth:
        log.info("synth step not asked for (--synth): skipped")
        return model
    summary = synthesize_model(model, load_board(cfg.board))
    write_synth(cfg.output_dir, summary)
    _raise_on_failures(summary)
    return model


def synth_build_dir(build_dir: Path, jobs: int | None = None, board: str | None = None) -> dict:
    """`qnnflow synth BUILD_DIR`: synthesize a finished build's folded model and write
    synth.json/md there; the budget is `board`'s, else the board AutoFold folded for."""
    build_dir = Path(build_dir)
    found = sorted(build_dir.glob("[0-9][0-9]_fold.onnx"))
    if not found:
        raise QnnflowError(f"{build_dir}: no NN_fold.onnx (run `qnnflow build` to the fold step)")
    model = ModelWrapper(str(found[-1]))
    folding = json.loads(model.get_metadata_prop(FOLDING_KEY) or "{}")
    chosen = load_board(board or folding.get("board") or "pynq_z2")
    summary = synthesize_model(model, chosen, jobs)
    write_synth(build_dir, summary)
    _raise_on_failures(summary)
    return summary

"""Build step: fold the hardware layers for the board (automatically, for a target fps, or
from a JSON config) and save the folding config and the per-layer estimate."""

from __future__ import annotations

import json

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.analysis.estimate import estimate_network
from qnnflow.analysis.estimate_table import estimate_markdown
from qnnflow.boards import load_board
from qnnflow.build.config import BuildConfig
from qnnflow.build.verify_step import seeded_input
from qnnflow.ops.graph_queries import hw_nodes
from qnnflow.transforms.fold import (
    ApplyFoldingConfig,
    AutoFold,
    InsertFIFOs,
    InsertWidthConverters,
    extract_folding_config,
)
from qnnflow.util.atomic import atomic_write_text
from qnnflow.verify import verified_transform


def step_fold(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Fold hardware layers (PE/SIMD/weight memory) for the board, insert width converters
    and FIFOs; write folding_config.json and estimate.md/json."""
    assert model is not None
    out = cfg.output_dir
    if not hw_nodes(model):
        atomic_write_text(out / "estimate.json", json.dumps({"hardware_layers": 0}))
        return model
    board = load_board(cfg.board)
    inputs = {model.graph.input[0].name: seeded_input(model, cfg.seed)}
    if cfg.folding is not None:
        transform = ApplyFoldingConfig(cfg.folding)
    else:
        transform = AutoFold(board, cfg.target_fps)
    model = verified_transform(model, transform, inputs)
    model = verified_transform(model, InsertWidthConverters(), inputs)
    model = verified_transform(model, InsertFIFOs(), inputs)
    estimate = estimate_network(model, board)
    atomic_write_text(
        out / "folding_config.json", json.dumps(extract_folding_config(model), indent=2)
    )
    atomic_write_text(out / "estimate.json", json.dumps(estimate.to_dict(board), indent=2))
    atomic_write_text(out / "estimate.md", estimate_markdown(estimate, board))
    return model

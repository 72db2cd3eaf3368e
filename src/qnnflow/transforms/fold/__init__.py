"""Folding: PE/SIMD and weight-memory choices per hardware layer, by hand or automatic."""

from qnnflow.transforms.fold.auto_fold import AutoFold
from qnnflow.transforms.fold.folding_config import (
    ApplyFoldingConfig,
    extract_folding_config,
    sync_frame_replays,
)

__all__ = ["ApplyFoldingConfig", "AutoFold", "extract_folding_config", "sync_frame_replays"]

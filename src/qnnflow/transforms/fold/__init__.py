"""Folding: PE/SIMD and weight-memory choices per hardware layer, by hand or automatic."""

from qnnflow.transforms.fold.auto_fold import AutoFold
from qnnflow.transforms.fold.folding_config import (
    ApplyFoldingConfig,
    extract_folding_config,
    sync_frame_replays,
)
from qnnflow.transforms.fold.insert_fifos import InsertFIFOs
from qnnflow.transforms.fold.insert_width_converters import InsertWidthConverters

__all__ = [
    "ApplyFoldingConfig",
    "AutoFold",
    "InsertFIFOs",
    "InsertWidthConverters",
    "extract_folding_config",
    "sync_frame_replays",
]

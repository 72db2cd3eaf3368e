"""Calibration (and evaluation) inputs for post-training quantization: a folder of images
preprocessed by a `Preprocess`, or an already preprocessed .npy array.

A folder is searched recursively (folder-per-class layouts), in sorted order, and its images
are taken round-robin over their sub-folders (the first image of every folder, then the
second, ...), so `max_samples` covers every class instead of the alphabetically first one.
The order depends only on the file names: the same folder always gives the same batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import zip_longest
from pathlib import Path

import numpy as np

from qnnflow.errors import QnnflowError
from qnnflow.quant.calib_images import list_images
from qnnflow.quant.ptq.preprocess import Preprocess, resolve_preprocess
from qnnflow.util.checks import int_at_least
from qnnflow.yolo.image import load_image_bytes

__all__ = [
    "Preprocess",
    "interleave_by_folder",
    "load_calib_dir",
    "load_calib_npy",
    "load_image_batch",
    "resolve_preprocess",
]


def _max_samples(max_samples: int | None) -> int | None:
    if max_samples is None:
        return None
    return int_at_least(max_samples, 1, "the number of samples (--max-samples)")


def interleave_by_folder(files: Sequence[Path]) -> list[Path]:
    """Files grouped by parent folder (folders and names sorted), taken round-robin."""
    groups: dict[Path, list[Path]] = {}
    for file in sorted(files):
        groups.setdefault(file.parent, []).append(file)
    rounds = zip_longest(*(groups[folder] for folder in sorted(groups)))
    return [file for row in rounds for file in row if file is not None]


def load_image_batch(paths: Sequence[str | Path], pre: Preprocess) -> np.ndarray:
    """The images at `paths` as float32 [N, C, H, W] (N = 0 gives an empty batch); an
    unreadable image is one error naming it."""
    batch = np.empty((len(paths), *pre.chw), dtype=np.float32)
    for index, path in enumerate(paths):
        batch[index] = pre.apply(_read_image(Path(path)))
    return batch


def _read_image(file: Path) -> np.ndarray:
    try:
        return load_image_bytes(file, "pillow")
    except QnnflowError:
        raise
    except Exception as exc:  # noqa: BLE001 - Pillow also raises SyntaxError, bomb errors...
        reason = str(exc).splitlines()[0] if str(exc) else ""
        raise QnnflowError(f"cannot read image {file}: {type(exc).__name__} {reason}") from None


def load_calib_dir(
    folder: str | Path, pre: Preprocess, max_samples: int | None = None
) -> np.ndarray:
    """Up to `max_samples` images (None: all) of `folder` and its sub-folders, preprocessed,
    as float32 [N, C, H, W]."""
    limit = _max_samples(max_samples)
    files = interleave_by_folder(list_images(folder))
    return load_image_batch(files if limit is None else files[:limit], pre)


def _read_npy(file: Path) -> np.ndarray:
    if not file.is_file():
        raise QnnflowError(f"calibration data not found: {file}")
    try:
        array = np.load(file, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise QnnflowError(f"{file}: not a readable .npy array ({reason})") from None
    if not isinstance(array, np.ndarray):
        raise QnnflowError(f"{file}: holds several arrays (.npz); save one array with np.save")
    return array


def load_calib_npy(
    path: str | Path, input_shape: Sequence[int], max_samples: int | None = None
) -> np.ndarray:
    """The first `max_samples` rows (None: all) of a preprocessed float array N x C x H x W
    (generally N x the model's input shape without its batch axis), as float32."""
    limit = _max_samples(max_samples)
    file = Path(path)
    array = _read_npy(file)
    sample = tuple(int(v) for v in input_shape[1:])
    expected = "N x " + " x ".join(map(str, sample))
    if array.ndim != len(sample) + 1:
        raise QnnflowError(
            f"{file}: expected a {len(sample) + 1}-d array {expected} (the model's input), "
            f"got shape {list(array.shape)}"
        )
    if tuple(array.shape[1:]) != sample:
        raise QnnflowError(
            f"{file}: expected {expected} (the model's input), got "
            f"{' x '.join(map(str, array.shape))}"
        )
    if array.shape[0] == 0:
        raise QnnflowError(f"{file}: holds no samples (shape {list(array.shape)})")
    if array.dtype.kind != "f":
        raise QnnflowError(
            f"{file}: expected preprocessed float32 values, got dtype {array.dtype} "
            "(raw pixels? preprocess them, or give the images with --calib-dir)"
        )
    rows = np.asarray(array if limit is None else array[:limit], dtype=np.float32)
    bad = ~np.isfinite(rows)
    if bad.any():
        first = int(np.argwhere(bad.reshape(len(rows), -1).any(axis=1))[0][0])
        raise QnnflowError(
            f"{file}: {int(bad.sum())} NaN or infinite value(s), the first in sample {first}"
        )
    return np.ascontiguousarray(rows)

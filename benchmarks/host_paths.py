"""A/B of the host's per-frame work against an earlier revision, in the same minute: the
letterbox + input quantizer shim (this tree's source and flags vs REV's, compiled here) and
decode + NMS (the scoring-cells path vs the whole-tensor decode and the old whole-order NMS
loop). Both sides run on the same frame and heads as the build's host-stage timing
(`analysis.host_stages`: a 640x480 camera frame into 416x416 with the UINT8 quantizer; 32
planted boxes on Tinier-YOLO's region head, 16 on each of YOLOv3-tiny's heads), one BLAS
thread, and each time is the best of ROUNDS x REPEATS calls, rounds interleaved A, B, A, B
(a loaded machine only adds time). Prints ms here and the ratio old / new; checks first that
both sides give identical outputs. The shim is also timed built with -fno-tree-vectorize:
g++ vectorizes its float loops with SSE here, the board's armhf g++ keeps them scalar.

    .venv/bin/python benchmarks/host_paths.py [--base REV (default main)] [--rounds 3]
"""

from __future__ import annotations

import argparse
import ast
import ctypes
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from qnnflow.analysis.cpu_reference import best_ms, one_thread  # noqa: E402
from qnnflow.analysis.host_stages import camera_frame, planted_head  # noqa: E402
from qnnflow.driver.pipeline import decode_and_nms  # noqa: E402
from qnnflow.yolo import letterbox_shim  # noqa: E402
from qnnflow.yolo.decode import Detection  # noqa: E402
from qnnflow.yolo.nms import _nms_general  # noqa: E402
from tests.yolo.references import whole_tensor_decode  # noqa: E402

REPEATS = 20
SHIM = "src/qnnflow/yolo/letterbox_shim.cpp"
SCALAR = ["-fno-tree-vectorize"]  # float loops scalar, as the board's armhf g++ leaves them
BYTE = ((np.arange(1, 256) - 0.5) / 255).astype(np.float32)[None, :]  # the UINT8 quantizer
REGION = {"type": "region", "output": "r", "num": 5, "classes": 20, "coords": 4, "softmax": True}
REGION["anchors"] = [1.08, 1.19, 3.42, 4.41, 6.63, 11.38, 9.42, 5.11, 16.62, 10.52]
YOLO = {"type": "yolo", "output": "y1", "num": 3, "classes": 80, "anchors": [81, 82, 135, 169]}
YOLO["anchors"] += [344, 319]
YOLO_SMALL = {**YOLO, "output": "y2", "anchors": [10, 14, 23, 27, 37, 58]}
SIZE = (640, 480, 416, 416)
TIMEOUT_S = 600  # any one git or g++ process


def _base_flags(base: str) -> list[str]:
    """REV's shim flags (its letterbox_shim.FLAGS), after the -O2 every shim build starts with."""
    text = subprocess.run(
        ["git", "show", f"{base}:src/qnnflow/yolo/letterbox_shim.py"],
        cwd=ROOT, check=True, capture_output=True, text=True, timeout=TIMEOUT_S,
    ).stdout  # fmt: skip
    line = next(x for x in text.splitlines() if x.startswith("FLAGS = "))
    return ["-O2", *ast.literal_eval(line.split("=", 1)[1].split("#")[0].strip())]


def _shim(source: str, flags: list[str], folder: Path, name: str) -> ctypes.CDLL:
    path = folder / f"{name}.cpp"
    path.write_text(source)
    library = folder / f"{name}.so"
    cmd = ["g++", "-std=c++17", *flags, "-shared", "-fPIC", str(path), "-o", str(library)]
    subprocess.run(cmd, check=True, timeout=TIMEOUT_S)
    lib = ctypes.CDLL(str(library))
    reference = letterbox_shim.letterbox_library().qnnflow_letterbox_codes
    lib.qnnflow_letterbox_codes.argtypes = reference.argtypes
    lib.qnnflow_letterbox_codes.restype = reference.restype
    return lib


def _old_decode(heads: list[dict], outputs: dict, thresh: float, nms: float) -> list[Detection]:
    """Whole-tensor activations, then the old whole-order NMS loop over Detection objects."""
    dets = whole_tensor_decode(heads, outputs, thresh, SIZE)
    if not dets:
        return dets
    boxes = np.array([d.box for d in dets], np.float32)
    probs = _nms_general(boxes, np.array([d.prob for d in dets], np.float32), nms)
    return [
        Detection(d.x, d.y, d.w, d.h, d.objectness, p) for d, p in zip(dets, probs, strict=True)
    ]


def _same(a: list[Detection], b: list[Detection]) -> bool:
    return len(a) == len(b) and all(
        (x.x, x.y, x.w, x.h, x.objectness) == (y.x, y.y, y.w, y.h, y.objectness)
        and np.array_equal(x.prob, y.prob)
        for x, y in zip(a, b, strict=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="revision of the old shim")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    frame = camera_frame()
    old_source = subprocess.run(
        ["git", "show", f"{args.base}:{SHIM}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    ).stdout
    new_flags = ["-O2", *letterbox_shim.FLAGS]
    region = {"r": planted_head(REGION, [1, 125, 13, 13], 32)}
    yolo = {
        "y1": planted_head(YOLO, [1, 255, 7, 7], 16, 0),
        "y2": planted_head(YOLO_SMALL, [1, 255, 14, 14], 16, 1),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        old = _shim(old_source, _base_flags(args.base), folder, "old")
        new = _shim((ROOT / SHIM).read_text(), new_flags, folder, "new")
        scalar = _shim((ROOT / SHIM).read_text(), [*new_flags, *SCALAR], folder, "scalar")
        pairs = {
            "letterbox + quantize": (
                lambda: letterbox_shim.letterbox_codes(old, frame, 416, 416, BYTE, True),
                lambda: letterbox_shim.letterbox_codes(new, frame, 416, 416, BYTE, True),
            ),
            "letterbox + quantize, new built -fno-tree-vectorize": (
                lambda: letterbox_shim.letterbox_codes(old, frame, 416, 416, BYTE, True),
                lambda: letterbox_shim.letterbox_codes(scalar, frame, 416, 416, BYTE, True),
            ),
            "decode + NMS, region (Tinier-YOLO)": (
                lambda: _old_decode([REGION], region, 0.3, 0.3),
                lambda: decode_and_nms([REGION], region, 0.3, 0.3, SIZE),
            ),
            "decode + NMS, 2 yolo heads (YOLOv3-tiny)": (
                lambda: _old_decode([YOLO, YOLO_SMALL], yolo, 0.3, 0.3),
                lambda: decode_and_nms([YOLO, YOLO_SMALL], yolo, 0.3, 0.3, SIZE),
            ),
        }
        for name, (a, b) in pairs.items():
            same = np.array_equal(a(), b()) if name.startswith("letter") else _same(a(), b())
            if not same:
                raise SystemExit(f"{name}: the two sides differ")
        print(f"old: {args.base} {' '.join(_base_flags(args.base))}; new: this tree {new_flags}")
        with one_thread():
            for name, (a, b) in pairs.items():
                best = [float("inf"), float("inf")]
                for _ in range(args.rounds):
                    best = [min(best[i], best_ms(f, REPEATS)) for i, f in enumerate((a, b))]
                print(f"{name}: {best[0]:.3f} -> {best[1]:.3f} ms here, x{best[0] / best[1]:.2f}")


if __name__ == "__main__":
    main()

"""Sample images with their boxes, when something drew them into the build folder (the
package's `run_on_board . --draw DIR` with DIR = BUILD/detections or deploy/detections);
the report shows them, and nothing when there are none."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

DETECTIONS_DIRS = ("detections", "deploy/detections")  # relative to the build folder
SUFFIX = "_boxes.png"  # run_on_board --draw's file names
MAX_IMAGES = 6


@dataclass(frozen=True)
class Drawn:
    path: str  # relative to the build folder, for report.md
    png: bytes

    def data_uri(self) -> str:
        """The image inline (the HTML stays one self-contained file)."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode()


def drawn_detections(output_dir: Path) -> list[Drawn]:
    """The first MAX_IMAGES drawn images, by name, from the first folder that has any."""
    for folder in DETECTIONS_DIRS:
        found = sorted((output_dir / folder).glob(f"*{SUFFIX}"))
        if found:
            return [
                Drawn(p.relative_to(output_dir).as_posix(), p.read_bytes())
                for p in found[:MAX_IMAGES]
            ]
    return []

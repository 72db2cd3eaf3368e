"""Regenerate the README's plot: build the default model up to the report step (resuming
what an earlier build left in OUT) and copy its cycles-per-layer plot to
docs/report-cycles.svg. Run from the repository root: `.venv/bin/python tools/report_plot.py`."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from qnnflow.flow import BuildConfig, run_build
from qnnflow.resources import default_model

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "docs" / "report-cycles.svg"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "build", help="build output root")
    args = parser.parse_args()
    result = run_build(BuildConfig(model=default_model(), output_root=args.out, to_step="report"))
    TARGET.parent.mkdir(exist_ok=True)
    shutil.copyfile(result.output_dir / "report" / "cycles.svg", TARGET)
    print(f"{TARGET.relative_to(REPO)} from {result.output_dir / 'report' / 'cycles.svg'}")


if __name__ == "__main__":
    main()

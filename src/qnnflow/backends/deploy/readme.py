"""The deployment package's README.md, filled from the package itself and the board's
template (`boards/<board>/deploy_README.md.in`, `$name` placeholders of string.Template),
so the commands it gives name the real zip, folder, notebook and bitstream.

`render_deploy_readme` is pure (package + template text in, text out); `write_deploy_readme`
reads the template and the build's estimate and writes the file, at build time.
"""

from __future__ import annotations

import json
from pathlib import Path
from string import Template

from qnnflow.driver.package import AcceleratorPackage, load_package
from qnnflow.errors import QnnflowError

TEMPLATE_NAME = "deploy_README.md.in"
CLASSIFIER_TEMPLATE_NAME = "deploy_README_classifier.md.in"
README_NAME = "README.md"
NOTEBOOK_NAME = "qnnflow_demo.ipynb"
BOARD_TITLES = {"pynq_z2": "PYNQ-Z2"}
MAX_NAMES = 8


def _names(package: AcceleratorPackage) -> str:
    names = package.names
    if not names:
        return "not named, printed as `class0`, `class1`, ..."
    shown = ", ".join(f"`{n}`" for n in names[:MAX_NAMES])
    return shown + (f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else "")


def template_name(package: AcceleratorPackage) -> str:
    """The board template for this package: a detector's (notebook, boxes) or, for a package
    without detector heads, a classifier's (top classes, no notebook)."""
    return TEMPLATE_NAME if package.heads else CLASSIFIER_TEMPLATE_NAME


def _fps_text(fps: float | None) -> str:
    if fps is None:
        return "no estimate given (the notebook and the script measure it)"
    return f"{fps:.1f} fps estimated for the accelerator by the build (not measured)"


def render_deploy_readme(
    package: AcceleratorPackage,
    template: str,
    model_name: str,
    fps: float | None = None,
    board: str = "pynq_z2",
    zip_name: str = "deploy.zip",
    bitstream_present: bool = False,
) -> str:
    """README text for `package`; every `$name` of `template` must be known (a stray one
    raises, so a template edit cannot ship a literal placeholder)."""
    if fps is not None and not fps > 0:
        raise QnnflowError(f"fps must be positive, got {fps}")
    net = package.net_input
    size = f"{net['width']}x{net['height']}" if net.get("width") else str(net["shape"])
    # a classifier without names: one score per accelerator output (its host suffix is
    # elementwise in FINN's nets; the driver checks the real count against the names)
    classes = (
        package.heads[0]["classes"]
        if package.heads
        else len(package.names) or package.output.elements
    )
    ddr = list(package.weights)
    bitstream = (
        f"`{package.bitfile}`"
        if bitstream_present
        else f"`{package.bitfile}` not built yet (run the build's `bitstream` step with Vivado, "
        "which copies it here); until then only the off-board backends run"
    )
    values = {
        "model": model_name,
        "board": BOARD_TITLES.get(board, board),
        "input_size": size,
        "classes": classes,
        "class_names": _names(package),
        "bitstream": bitstream,
        "bitfile": package.bitfile,
        "fps": _fps_text(fps),
        "in_bytes": package.input.frame_bytes,
        "out_bytes": sum(o.frame_bytes for o in package.outputs),
        "in_bits": package.input.bits,
        "out_bits": package.output.bits,
        "ddr_weights": (
            ", ".join(f"`{w.node}` ({w.bytes_per_frame} bytes per frame)" for w in ddr)
            if ddr
            else "none (all weights on chip)"
        ),
        "zip": zip_name,
        "folder": model_name,
        "notebook": NOTEBOOK_NAME,
        "input_shape": "[" + ", ".join(str(v) for v in net["shape"]) + "]",
        "gray_note": ", made grayscale" if len(net["shape"]) == 4 and net["shape"][1] == 1 else "",
    }
    try:
        return Template(template).substitute(values)
    except (KeyError, ValueError) as exc:
        raise QnnflowError(
            f"deploy README template: unknown or malformed placeholder {exc}"
        ) from None


def fps_from_estimate(path: str | Path) -> float | None:
    """The `fps` of the fold step's estimate.json, or None when absent or not positive."""
    file = Path(path)
    if not file.is_file():
        return None
    fps = json.loads(file.read_text()).get("fps")
    return float(fps) if isinstance(fps, (int, float)) and fps > 0 else None


def write_deploy_readme(
    package_dir: str | Path,
    template_path: str | Path,
    model_name: str,
    fps: float | None = None,
    board: str = "pynq_z2",
    zip_name: str = "deploy.zip",
) -> Path:
    """Render the template for the package in `package_dir` into its README.md."""
    package = load_package(package_dir)
    text = render_deploy_readme(
        package,
        Path(template_path).read_text(),
        model_name,
        fps=fps,
        board=board,
        zip_name=zip_name,
        bitstream_present=(package.root / package.bitfile).is_file(),
    )
    target = package.root / README_NAME
    target.write_text(text)
    return target

"""Build step: the deployment package (driver, stream formats, host layers, DDR weight
images, notebook, bitstream when built) in deploy/ and deploy.zip."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.deploy.export import export_driver_package
from qnnflow.backends.deploy.readme import fps_from_estimate, template_name, write_deploy_readme
from qnnflow.boards.board import find_board_file
from qnnflow.driver.notebook_helpers import IMAGES_DIR, list_images
from qnnflow.driver.package import load_package
from qnnflow.flow.config import BuildConfig, preferred_decoder
from qnnflow.frontend.darknet.to_onnx import HEADS_KEY
from qnnflow.resources import notebooks_dir
from qnnflow.util.archive import write_zip

SAMPLE_IMAGES = 3


def deploy_dir(cfg: BuildConfig) -> Path:
    return cfg.output_dir / "deploy"


def zip_deploy(cfg: BuildConfig) -> Path:
    """deploy.zip beside deploy/, replaced atomically, the same bytes for the same files."""
    return write_zip(deploy_dir(cfg), cfg.output_dir / "deploy.zip")


def step_package(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Package: driver package (accelerator.json, host layers, runtime, weights images),
    the on-board notebook and a README, zipped as deploy.zip."""
    assert model is not None
    heads = json.loads(model.get_metadata_prop(HEADS_KEY) or "[]")
    names = list(heads[0].get("names", [])) if heads else None
    out = deploy_dir(cfg)
    export_driver_package(model, out, names=names or None, decoder=preferred_decoder(cfg, model))
    if heads:  # the demo notebook draws detection boxes; a classifier's README says so
        for notebook in notebooks_dir().glob("*.ipynb"):
            shutil.copy2(notebook, out / notebook.name)
    (out / IMAGES_DIR).mkdir(exist_ok=True)
    if cfg.calib_dir is not None and cfg.calib_dir.is_dir():
        for image in list_images(cfg.calib_dir)[:SAMPLE_IMAGES]:  # what the demo runs
            shutil.copy2(image, out / IMAGES_DIR / image.name)
    write_readme(cfg)
    zip_deploy(cfg)
    return model


def write_readme(cfg: BuildConfig) -> None:
    """deploy/README.md: the two commands to run on the board, and what the package holds
    (a detector's or a classifier's template, as the package has detector heads or not)."""
    template = template_name(load_package(deploy_dir(cfg)))
    write_deploy_readme(
        deploy_dir(cfg),
        find_board_file(cfg.board).parent / template,
        cfg.model_name,
        fps_from_estimate(cfg.output_dir / "estimate.json"),
        cfg.board,
    )

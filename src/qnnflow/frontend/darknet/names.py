"""Class names of a Darknet model: Darknet reads them from a `.names` file (one per line,
named in its .data file); we take `<cfg stem>.names` beside the cfg, so a model's names
travel with it into the heads metadata, the deployment package and the notebook."""

from __future__ import annotations

import json
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet.to_onnx import HEADS_KEY


def names_path(cfg_path: str | Path) -> Path:
    """Where a cfg's class names live: `model.cfg` -> `model.names`."""
    return Path(cfg_path).with_suffix(".names")


def read_names(path: str | Path) -> list[str]:
    """One class name per non-empty line, surrounding whitespace removed."""
    return [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]


def attach_names(model: ModelWrapper, cfg_path: str | Path) -> ModelWrapper:
    """Record `<cfg stem>.names` in every detector head, when that file exists; its count must
    equal each head's `classes` (a wrong file would mislabel every detection)."""
    path = names_path(cfg_path)
    heads = json.loads(model.get_metadata_prop(HEADS_KEY) or "[]")
    if not path.is_file() or not heads:
        return model
    names = read_names(path)
    for head in heads:
        if len(names) != head.get("classes"):
            raise QnnflowError(
                f"{path}: {len(names)} class names, but the cfg's [{head['type']}] "
                f"has classes={head.get('classes')}"
            )
        head["names"] = names
    model.set_metadata_prop(HEADS_KEY, json.dumps(heads))
    return model

"""Python-safe, deterministic module names from ONNX node names: the names users write in a
mixed-precision YAML and read in reports, so the rule is short and stated here.

Rule: split the node name on '/', drop a scope that the next one repeats as a prefix
(torch.onnx writes `/layer1/layer1.0/conv1/Conv`), join with '_', turn every other character
that is not a letter, digit or '_' into '_', squeeze repeats. `/layer1/layer1.0/conv1/Conv`
-> `layer1_0_conv1_Conv`, `l004_conv` stays, an unnamed node is `<optype>_<index>`. A name that
starts with a digit gets `n_` in front, one that clashes with an nn.Module attribute or a
Python keyword gets `_` behind, and a repeat gets `_1`, `_2`, ... in graph order."""

from __future__ import annotations

import keyword
import re

import torch

_UNSAFE = re.compile(r"[^0-9A-Za-z_]+")
_RESERVED = frozenset(dir(torch.nn.Module())) | frozenset(keyword.kwlist)


def safe_name(onnx_name: str, fallback: str) -> str:
    """The python-safe form of one ONNX name (`fallback` when it has none)."""
    parts = [p for p in onnx_name.split("/") if p]
    following = [*parts[1:], ""]
    kept = [p for i, p in enumerate(parts) if not following[i].startswith(p + ".")]
    text = _UNSAFE.sub("_", "_".join(kept))
    text = re.sub(r"_+", "_", text).strip("_") or fallback
    if text[0].isdigit():
        text = "n_" + text
    if text in _RESERVED:
        text += "_"
    return text


class NameTable:
    """Hands out unique attribute names on one root module, in the order asked."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def claim(self, onnx_name: str, fallback: str) -> str:
        base = safe_name(onnx_name, fallback)
        name, n = base, 1
        while name in self._used:
            name = f"{base}_{n}"
            n += 1
        self._used.add(name)
        return name

"""Per-layer precision rules (mixed precision and partial quantization) from a YAML file.

    layers:
      conv1: {weight_bits: 4, act_bits: 4}
      "head.*": float          # stays float: weights and output activation
      fc: {weight_bits: 8}

Patterns are layer names or fnmatch globs; the first matching rule wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import yaml

from qnnflow.errors import QnnflowError

_KEYS = ("weight_bits", "act_bits")


@dataclass(frozen=True)
class LayerRule:
    """Bits for the layers a pattern matches (None = the global setting), or keep them float."""

    pattern: str
    weight_bits: int | None
    act_bits: int | None
    keep_float: bool

    def matches(self, name: str) -> bool:
        return fnmatchcase(name, self.pattern)


def _rule(pattern: str, value: object, where: str) -> LayerRule:
    from qnnflow.quant.ptq.options import check_bits

    if value == "float":
        return LayerRule(pattern, None, None, True)
    if not isinstance(value, dict) or not value:
        raise QnnflowError(
            f"{where}: layer '{pattern}' needs 'float' or a mapping of {' / '.join(_KEYS)}"
        )
    unknown = sorted(str(k) for k in value if k not in _KEYS)
    if unknown:
        raise QnnflowError(
            f"{where}: layer '{pattern}' has unknown key '{unknown[0]}' (use {', '.join(_KEYS)})"
        )
    bits = {k: check_bits(value[k], f"{where}: layer '{pattern}' {k}") for k in value}
    return LayerRule(pattern, bits.get("weight_bits"), bits.get("act_bits"), False)


def load_mixed_config(path: Path) -> tuple[LayerRule, ...]:
    """Read `layers:` from a YAML file into rules, in file order; bad content names the file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as err:
        raise QnnflowError(
            f"{path}: cannot read the mixed-precision config ({err.strerror})"
        ) from err
    except yaml.YAMLError as err:
        raise QnnflowError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from err
    if not isinstance(data, dict) or not isinstance(data.get("layers"), dict):
        raise QnnflowError(f"{path}: expected a top-level 'layers:' mapping of name -> bits")
    unknown = sorted(str(k) for k in data if k != "layers")
    if unknown:
        raise QnnflowError(f"{path}: unknown key '{unknown[0]}' (only 'layers' is read)")
    return tuple(_rule(str(name), value, str(path)) for name, value in data["layers"].items())


def resolve_rules(rules: tuple[LayerRule, ...], names: list[str]) -> dict[str, LayerRule]:
    """Layer name -> its first matching rule; a rule that matches no layer is an error."""
    for rule in rules:
        if not any(rule.matches(name) for name in names):
            raise QnnflowError(
                f"mixed config: layer '{rule.pattern}' matches no layer of the model "
                f"(layers: {', '.join(names)})"
            )
    chosen: dict[str, LayerRule] = {}
    for name in names:
        for rule in rules:
            if rule.matches(name):
                chosen[name] = rule
                break
    return chosen

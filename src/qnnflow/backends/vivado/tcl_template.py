"""Fill `*.tcl.in` templates: `@name@` placeholders become Tcl words (numbers, brace-quoted
strings, nested lists), and a placeholder without a value, or a value without a placeholder,
is an error, so a template and its renderer cannot drift apart silently."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from qnnflow.errors import QnnflowError

_PLACEHOLDER = re.compile(r"@([a-z][a-z0-9_]*)@")
_BARE = re.compile(r"^[A-Za-z0-9_.:/+=,-]+$")

TclValue = str | int | float | bool | None | Sequence["TclValue"] | Mapping[str, "TclValue"]


class TemplateError(QnnflowError):
    """A template and the values given to it do not match."""


def tcl_word(value: TclValue) -> str:
    """One Tcl word for a Python value: bools as 0/1, None as {}, sequences as Tcl lists,
    mappings as key/value lists (for `dict` or `array set`)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return "{}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        if _BARE.match(value):
            return value
        if any(c in value for c in "{}\\\n"):
            raise TemplateError(f"value {value!r} cannot be quoted safely for Tcl")
        return "{" + value + "}"
    if isinstance(value, Mapping):
        return "{" + " ".join(f"{tcl_word(k)} {tcl_word(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return "{" + " ".join(tcl_word(v) for v in value) + "}"
    raise TemplateError(f"no Tcl form for {type(value).__name__} value {value!r}")


def fill(template: Path, values: Mapping[str, TclValue]) -> str:
    """The template's text with every `@name@` replaced by `tcl_word(values[name])`."""
    text = template.read_text()
    used = set(_PLACEHOLDER.findall(text))
    missing = sorted(used - set(values))
    if missing:
        raise TemplateError(f"{template}: no value for placeholder(s) {', '.join(missing)}")
    unused = sorted(set(values) - used)
    if unused:
        raise TemplateError(f"{template}: value(s) {', '.join(unused)} have no placeholder")
    return _PLACEHOLDER.sub(lambda m: tcl_word(values[m.group(1)]), text)

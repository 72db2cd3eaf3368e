"""Read a Darknet .cfg into raw sections that remember file and line for every error."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qnnflow.errors import DarknetError


def _list_of(parse):
    """A parser for Darknet's comma-separated lists (empty items are skipped)."""
    return lambda text: [parse(v) for v in text.split(",") if v != ""]


@dataclass
class Option:
    """One `key=value` line; `line` is 1-based in the source file."""

    value: str
    line: int


@dataclass
class Section:
    """One `[name]` block with its options, in file order."""

    name: str
    line: int
    path: str
    options: dict[str, Option] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)

    def error(self, message: str, key: str | None = None) -> DarknetError:
        """An error pointing at `key`'s line when given, else at the section header."""
        line = self.options[key].line if key is not None and key in self.options else self.line
        return DarknetError(f"[{self.name}] {message}", self.path, line)

    def has(self, key: str) -> bool:
        return key in self.options

    def raw(self, key: str) -> str | None:
        self.used.add(key)
        opt = self.options.get(key)
        return None if opt is None else opt.value

    def _parsed(self, key: str, default, parse, what: str, empty_is_missing: bool = False):
        """The value of `key` parsed by `parse`, `default` when absent (required if None)."""
        text = self.raw(key)
        if text is None or (empty_is_missing and text == ""):
            if default is None:
                raise self.error(f"missing required key '{key}'", key)  # `key=` -> its line
            return default
        try:
            return parse(text)
        except ValueError:
            raise self.error(f"{key}: expected {what}, got '{text}'", key) from None

    def get_int(self, key: str, default: int | None = None) -> int:
        value = self._parsed(key, default, int, "an integer")
        if not -(2**31) <= value < 2**31:  # Darknet reads every option into a C int
            raise self.error(f"{key}: {value} does not fit in a 32-bit integer", key)
        return value

    def get_float(self, key: str, default: float | None = None) -> float:
        return self._parsed(key, default, float, "a number")

    def get_str(self, key: str, default: str | None = None) -> str:
        return self._parsed(key, default, str, "text")

    def get_int_list(self, key: str, default: list[int] | None = None) -> list[int]:
        return self._parsed(key, default, _list_of(int), "comma-separated integers", True)

    def get_float_list(self, key: str, default: list[float] | None = None) -> list[float]:
        return self._parsed(key, default, _list_of(float), "comma-separated numbers", True)

    def unused_keys(self) -> list[str]:
        return [k for k in self.options if k not in self.used]


def parse_cfg_text(text: str, path: str = "<cfg>") -> list[Section]:
    """Split cfg text into sections the way Darknet does (all whitespace in a line is dropped)."""
    sections: list[Section] = []
    for lineno, raw_line in enumerate(text.splitlines(), start=1):
        line = "".join(raw_line.split())
        if not line or line[0] in "#;":
            continue
        if "#" in line:  # an inline comment; Darknet's atoi/atof would stop there too
            line = line.split("#", 1)[0]
        if line.startswith("["):
            if not line.endswith("]") or len(line) < 3:
                raise DarknetError(f"malformed section header '{raw_line.strip()}'", path, lineno)
            sections.append(Section(name=line[1:-1].lower(), line=lineno, path=path))
            continue
        if "=" not in line:
            raise DarknetError(
                f"expected 'key=value' or '[section]', got '{raw_line.strip()}'", path, lineno
            )
        if not sections:
            raise DarknetError("option before the first [section]", path, lineno)
        key, value = line.split("=", 1)
        if not key:
            raise DarknetError(f"empty key in '{raw_line.strip()}'", path, lineno)
        current = sections[-1]
        if key in current.options:
            first = current.options[key].line
            raise DarknetError(
                f"[{current.name}] duplicate key '{key}' (first set on line {first})", path, lineno
            )
        current.options[key] = Option(value=value, line=lineno)
    if not sections:
        raise DarknetError("no sections found (expected [net] followed by layers)", path, 1)
    return sections


def read_cfg(path: str | Path) -> list[Section]:
    """Read and split a cfg file; unreadable or non-text files give a DarknetError."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DarknetError(f"cannot read cfg: {exc.strerror}", p) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DarknetError(f"not a text file (byte {exc.start} is not UTF-8)", p) from None
    return parse_cfg_text(text, str(p))

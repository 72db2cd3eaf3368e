"""Errors the CLI turns into one line and exit code 2 (never a traceback)."""

from __future__ import annotations

from pathlib import Path


class QnnflowError(Exception):
    """A user-facing error: the message says what is wrong and where."""


class DarknetError(QnnflowError):
    """Malformed or unsupported Darknet cfg/weights; carries `file:line` when known."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.reason = message
        self.path = str(path) if path is not None else None
        self.line = line
        if self.path is not None and line is not None:
            text = f"{self.path}:{line}: {message}"
        elif self.path is not None:
            text = f"{self.path}: {message}"
        else:
            text = message
        super().__init__(text)


class OnnxError(QnnflowError):
    """A malformed or unsupported ONNX/QONNX model; the message names the file and the node,
    tensor or field at fault."""

    def __init__(self, message: str, path: str | Path | None = None):
        self.reason = message
        self.path = str(path) if path is not None else None
        super().__init__(f"{self.path}: {message}" if self.path is not None else message)

"""Tidy-up transforms: shapes, datatypes, constants, names."""

from qnnflow.transforms.tidy.tidy_up import TidyUp

__all__ = ["TidyUp"]

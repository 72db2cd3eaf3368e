"""Equivalence checks between two versions of a model (before/after a transform)."""

from qnnflow.verify.equivalence import EquivalenceError, check_equivalent, verified_transform

__all__ = ["EquivalenceError", "check_equivalent", "verified_transform"]

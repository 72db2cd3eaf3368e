"""How a build checks its transforms (`--verify`): "full" runs every transform's before and
after at full size (verified_transform, one check per transform); "fast" applies a step's
transforms in a row and checks the first model against the last once, on the graph rebuilt
at a small size where its ops allow it (verify.shrink; full size otherwise) and on every
verification input; a failure is replayed transform by transform, so the message names the
transform (and, for one that reports its rules, the rule) and the node, as in full mode;
"off" checks nothing (the build records that loudly)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.errors import QnnflowError
from qnnflow.util import profile
from qnnflow.verify.equivalence import EquivalenceError, check_equivalent, verified_transform
from qnnflow.verify.inputs import seeded_input, verification_inputs
from qnnflow.verify.shrink import input_size, shrink_to, shrunk

log = logging.getLogger(__name__)
VERIFY_MODES = ("full", "fast", "off")  # --verify (BuildConfig.verify)
Cases = list[tuple[str, dict[str, np.ndarray]]]


@dataclass(frozen=True)
class Checks:
    """What a step checks its transforms with: mode, the verification inputs (seeded random
    ones, range edges, first-quantizer boundaries; `seeded_only`: the seeded one alone, as
    full mode's fold step has always done) and the relative tolerance."""

    mode: str = "fast"
    seed: int = 0
    count: int = 1
    rtol: float = 0.0
    seeded_only: bool = False

    def __post_init__(self) -> None:
        if self.mode not in VERIFY_MODES:
            raise QnnflowError(
                f"--verify must be one of {', '.join(VERIFY_MODES)}, not {self.mode!r}"
            )

    def cases(self, model: ModelWrapper) -> Cases:
        name = model.graph.input[0].name
        if self.seeded_only and self.mode == "full":
            return [(f"random input (seed {self.seed})", {name: seeded_input(model, self.seed)})]
        return [
            (label, {name: x}) for label, x in verification_inputs(model, self.seed, self.count)
        ]


def chain_label(transforms: list[Transformation]) -> str:
    return " + ".join(type(t).__name__ for t in transforms)


def apply_checked(
    model: ModelWrapper, transforms: list[Transformation], checks: Checks
) -> ModelWrapper:
    """`transforms` applied in order and checked as `checks.mode` says."""
    if checks.mode == "full":
        for transform in transforms:
            model = verified_transform(model, transform, checks.cases(model), checks.rtol)
        return model
    chain, seconds = transform_chain(model, transforms)
    if checks.mode == "fast":
        check_chain(chain, transforms, checks, seconds)
    else:  # off: the rewrite's time alone
        profile.record(chain_label(transforms), seconds, 0.0)
    return chain[-1]


def transform_chain(
    model: ModelWrapper, transforms: list[Transformation]
) -> tuple[list[ModelWrapper], float]:
    """[model, after transforms[0], after transforms[1], ...] and the seconds they took."""
    began = perf_counter()
    chain = [model]
    for transform in transforms:
        chain.append(chain[-1].transform(transform))
    return chain, perf_counter() - began


def _sized(models: list[ModelWrapper]) -> tuple[list[ModelWrapper], str]:
    """The models at the small size that suits them all, or at full size; and where."""
    full = input_size(models[0])
    small = shrunk(models)
    if small is None:
        return models, "at full size (an op here depends on the frame size)"
    (h, w), (fh, fw) = small[1], full
    return small[0], f"at {h}x{w} instead of {fh}x{fw}"


def check_chain(
    chain: list[ModelWrapper],
    transforms: list[Transformation],
    checks: Checks,
    transform_s: float,
) -> None:
    """One check of chain[0] against chain[-1] (chain[i + 1] = chain[i] after transforms[i]);
    on a difference, the first transform whose own before/after differ is named. The group's
    seconds (`transform_s` to make the chain, the check's own) go to util.profile."""
    began = perf_counter()
    (first, last), where = _sized([chain[0], chain[-1]])
    cases = checks.cases(first)
    log.info("checking %s %s on %d inputs", chain_label(transforms), where, len(cases))
    try:
        check_equivalent(first, last, cases, checks.rtol, chain_label(transforms), memo=True)
    except EquivalenceError as group_error:
        culprit = _culprit(chain, transforms, checks, first, cases)
        raise EquivalenceError(f"{culprit or group_error} ({where})") from None
    profile.record(chain_label(transforms), transform_s, perf_counter() - began)


def _culprit(
    chain: list[ModelWrapper],
    transforms: list[Transformation],
    checks: Checks,
    first: ModelWrapper,
    cases: Cases,
) -> str | None:
    """The message naming the first transform of the chain that changes the result."""
    size = input_size(first)
    resize: Callable[[ModelWrapper], ModelWrapper | None] = (
        (lambda m: m) if size == input_size(chain[0]) else (lambda m: shrink_to(m, size))
    )
    for index, transform in enumerate(transforms):
        before, after, on = resize(chain[index]), resize(chain[index + 1]), cases
        if before is None or after is None:  # a snapshot the small size does not suit
            before, after = chain[index], chain[index + 1]
            on = checks.cases(before)
        try:
            check_equivalent(before, after, on, checks.rtol, type(transform).__name__)
        except EquivalenceError as error:
            if getattr(transform, "with_observer", None) is not None:
                try:  # replays its rules on the small graph to name the one that broke it
                    verified_transform(before, transform, on, checks.rtol)
                except EquivalenceError as by_rule:
                    return str(by_rule)
            return str(error)
    return None

"""The equivalence check passes identical rewrites and names the first broken node."""

from __future__ import annotations

import time

import numpy as np
import pytest
from qonnx.transformation.base import Transformation

from qnnflow.transforms.fold import ApplyFoldingConfig
from qnnflow.util import profile
from qnnflow.verify import EquivalenceError, check_equivalent, verified_transform
from tests.verify.graphs import (
    SCALE,
    DropSecondHead,
    PoisonFirstHead,
    RenameFirstHead,
    ReshapeFirstHead,
    SwapHeads,
    two_heads,
)
from tests.verify.graphs import inputs as head_inputs


class FlipOneWeight(Transformation):
    """A deliberately wrong rewrite: negates one weight of conv2."""

    def apply(self, model):
        weights = model.get_initializer("conv2_W").copy()
        weights[0, 0] *= -1
        model.set_initializer("conv2_W", weights)
        return model, False


def test_folding_is_verified_equivalent(setup):
    model, inputs = setup
    verified_transform(model, ApplyFoldingConfig({"conv1_mvu": {"PE": 4}}), inputs)


def test_broken_rewrite_names_first_differing_node(setup):
    model, inputs = setup
    with pytest.raises(
        EquivalenceError,
        match=r"FlipOneWeight changed the result: output '\w+' differs \(relative error .*\); "
        "first differing node MatrixVectorUnit 'conv2_mvu'",
    ):
        verified_transform(model, FlipOneWeight(), inputs)


def test_identical_models_pass(setup):
    model, inputs = setup
    check_equivalent(model, model, inputs)


def test_renamed_output_with_equal_values_passes():
    after = verified_transform(two_heads(), RenameFirstHead("renamed"), head_inputs())
    assert [o.name for o in after.graph.output] == ["renamed", "head2"]


def test_renamed_wrong_output_is_still_compared():
    wrong = RenameFirstHead("renamed", scale=SCALE * 1.5)
    with pytest.raises(EquivalenceError, match="output 'renamed' differs") as caught:
        verified_transform(two_heads(), wrong, head_inputs())
    assert str(caught.value).endswith("); no same-named intermediate tensor differs")


def test_a_deleted_second_output_fails():
    with pytest.raises(EquivalenceError, match=r"DropSecondHead: 1 output\(s\) \['head1'\]"):
        verified_transform(two_heads(), DropSecondHead(), head_inputs())


def test_swapped_outputs_fail_by_position():
    with pytest.raises(EquivalenceError, match="output 'head2' differs"):
        verified_transform(two_heads(), SwapHeads(), head_inputs())


def test_a_reshaped_output_fails_without_broadcasting():
    with pytest.raises(EquivalenceError, match=r"shape \(4, 1\) != expected \(1, 4\)"):
        verified_transform(two_heads(), ReshapeFirstHead(), head_inputs())


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_non_finite_output_fails_even_within_a_loose_tolerance(value):
    with pytest.raises(EquivalenceError, match="output 'head1' differs .*non-finite") as caught:
        verified_transform(two_heads(), PoisonFirstHead(value), head_inputs(), rtol=1e9)
    assert "first differing node Mul 'head1'" in str(caught.value)


def test_a_small_change_passes_only_within_its_tolerance():
    nudged = RenameFirstHead("head1", scale=SCALE * (1 + 1e-6))
    verified_transform(two_heads(), nudged, head_inputs(), rtol=1e-5)
    with pytest.raises(EquivalenceError, match="output 'head1' differs"):
        verified_transform(two_heads(), nudged, head_inputs(), rtol=1e-8)


def test_default_is_bit_exact_and_the_label_is_transform():
    nudged = two_heads().transform(RenameFirstHead("head1", scale=SCALE * (1 + 1e-6)))
    with pytest.raises(EquivalenceError, match=r"^transform changed the result: output 'head1'"):
        check_equivalent(two_heads(), nudged, head_inputs())


def test_a_dropped_output_is_reported_under_the_label():
    dropped = two_heads().transform(DropSecondHead())
    with pytest.raises(EquivalenceError, match=r"^tidy: 1 output\(s\) \['head1'\] where 2"):
        check_equivalent(two_heads(), dropped, head_inputs(), label="tidy")


def test_the_first_differing_node_says_how_it_differs():
    poisoned = two_heads().transform(PoisonFirstHead(float("inf")))
    with pytest.raises(EquivalenceError) as caught:
        check_equivalent(two_heads(), poisoned, head_inputs(), label="poison")
    assert str(caught.value) == (
        "poison changed the result: output 'head1' differs (1 non-finite value(s) (NaN or inf) "
        "in the result); first differing node Mul 'head1' (tensor 'head1': 1 non-finite "
        "value(s) (NaN or inf) in the result; at [0, 1]: -inf where it was 0.13210486; "
        "region input there: 'x' = -0.13210486)"
    )


def test_unchanged_nan_in_an_intermediate_is_not_blamed():
    """Both graphs carry the same NaN in head1; only head2's change is reported at its node."""
    before = two_heads().transform(PoisonFirstHead(float("nan")))
    after = before.transform(RenameFirstHead("head1"))
    after.set_initializer("one", np.full((1, 4), 2.0, np.float32))
    with pytest.raises(EquivalenceError, match="output 'head1' differs .* node Add 'head2'"):
        check_equivalent(before, after, head_inputs())


def test_several_labelled_inputs_name_the_one_that_failed():
    nudged = two_heads().transform(RenameFirstHead("head1", scale=SCALE * 2))
    zeros = {"x": np.zeros((1, 4), np.float32)}
    cases = [("zeros", zeros), ("random #0", head_inputs())]
    with pytest.raises(EquivalenceError, match=r"^transform changed the result on random #0: "):
        check_equivalent(two_heads(), nudged, cases)


class KeepAsIs(Transformation):
    """A rewrite that changes nothing: only its time is of interest."""

    def apply(self, model):
        return model, False


def test_a_verified_transform_records_its_rewrite_and_check_seconds(setup):
    model, inputs = setup
    with profile.collecting() as rows:
        began = time.perf_counter()
        verified_transform(model, KeepAsIs(), inputs)
        elapsed = time.perf_counter() - began
        with pytest.raises(EquivalenceError):
            verified_transform(model, FlipOneWeight(), inputs)  # a failed check: no row
    assert [row.transform for row in rows] == ["KeepAsIs"]
    assert rows[0].transform_s >= 0 and rows[0].check_s > 0  # the check runs the model twice
    assert rows[0].transform_s + rows[0].check_s <= elapsed + 2e-4  # 4 decimals kept
    verified_transform(model, KeepAsIs(), inputs)  # nobody collecting: nothing kept
    assert len(rows) == 1

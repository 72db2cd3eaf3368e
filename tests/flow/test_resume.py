"""Resume trusts a step only while every file it wrote is there unchanged (hashes in
build_state.json); leftovers of killed builds go; the accuracy dataset is an input."""

from __future__ import annotations

import fnmatch
import json
import shutil

import pytest

from qnnflow.flow import BuildConfig, run_build, step_names, tool_free_step_names
from qnnflow.flow.artifacts import expected_outputs
from qnnflow.flow.steps import OPT_IN, OUTPUTS
from tests.flow.micro import micro_config

NAMES = tool_free_step_names()


def _rerun(model, root):
    return run_build(micro_config(model, root, to_step="report"))


def test_every_step_declares_its_outputs_and_the_build_records_them(micro_build):
    assert list(OUTPUTS) == step_names()
    _, root = micro_build
    state = json.loads((root / "micro" / "build_state.json").read_text())
    for index, name in enumerate(NAMES, start=1):
        recorded = state["outputs"][name]
        assert f"{index:02d}_{name}.onnx" in recorded
        if name in OPT_IN and not state["steps"][name]["asked"]:
            continue  # an opt-in step not asked for passes the model through, writing nothing
        for pattern in OUTPUTS[name]:  # each declared output was written and recorded
            assert any(
                fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/")
                for path in recorded
            ), (name, pattern)


def test_an_untouched_build_skips_every_step(micro_copy):
    again = _rerun(*micro_copy)
    assert again.ran == [] and again.skipped == NAMES


def test_deleted_artifacts_rerun_the_steps_that_wrote_them(micro_copy):
    model, root = micro_copy
    out = root / "micro"
    shutil.rmtree(out / "hls")
    shutil.rmtree(out / "deploy")
    (out / "deploy.zip").unlink()
    (out / "estimate.json").unlink()
    again = _rerun(model, root)
    assert again.skipped == NAMES[: NAMES.index("fold")]
    assert again.ran == NAMES[NAMES.index("fold") :]
    for name in ("hls/ip_manifest.json", "deploy/accelerator.json", "deploy.zip", "estimate.json"):
        assert (out / name).is_file()


@pytest.mark.parametrize(
    ("changed", "first"),
    [("deploy/accelerator.json", "package"), ("hls/qnnflow_accel.cpp", "codegen")],
)
def test_a_changed_artifact_reruns_its_step_and_the_later_ones(micro_copy, changed, first):
    model, root = micro_copy
    path = root / "micro" / changed
    original = path.read_bytes()
    path.write_bytes(original + b"\n// edited\n")
    again = _rerun(model, root)
    assert again.ran == NAMES[NAMES.index(first) :]
    assert path.read_bytes() == original  # rewritten by the build


def test_a_changed_step_onnx_reruns_that_step(micro_copy):
    model, root = micro_copy
    (root / "micro" / "12_package.onnx").write_bytes(b"not the saved model")
    assert _rerun(model, root).ran == ["package", "synth", "report"]


def test_leftovers_of_a_killed_build_are_removed_on_the_next_run(micro_copy):
    model, root = micro_copy
    out = root / "micro"
    folders = [".hls.staging-ab12cd34", ".deploy.old-k2j4h5g6", ".hls.q1w2e3r4", "deploy.partial"]
    files = [".estimate.json.x1y2z3w4.tmp", "verify/.verify.json.a1b2c3d4.tmp"]
    for name in folders:
        (out / name).mkdir()
        (out / name / "half.cpp").write_text("// half-written")
    for name in [*files, ".deploy.partial.zip"]:
        (out / name).write_text("half")
    again = _rerun(model, root)
    assert again.ran == []
    for name in [*folders, *files, ".deploy.partial.zip"]:
        assert not (out / name).exists(), name


def test_expected_digests_follow_the_last_step_that_wrote_a_file():
    """bitstream rewrites package's deploy.zip: its digest is what package must match."""
    state = {
        "outputs": {
            "package": {"deploy.zip": "old", "deploy/accelerator.json": "a"},
            "bitstream": {"deploy.zip": "new", "deploy/top.bit": "b"},
        }
    }
    expected = expected_outputs(state, "package", step_names())
    assert expected == {"deploy.zip": "new", "deploy/accelerator.json": "a"}
    assert expected_outputs(state, "fold", step_names()) is None


def test_the_fingerprint_covers_the_accuracy_dataset(default_cfg, tmp_path):
    data = tmp_path / "data"
    (data / "labels").mkdir(parents=True)
    (data / "labels" / "0.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    cfg = BuildConfig(model=default_cfg, output_root=tmp_path / "a", accuracy_data=data)
    before = cfg.fingerprint()
    moved = BuildConfig(model=default_cfg, output_root=tmp_path / "b", accuracy_data=data)
    assert moved.fingerprint() == before  # where the outputs go changes no result
    (data / "labels" / "0.txt").write_text("1 0.5 0.5 0.2 0.2\n")
    assert cfg.fingerprint() != before


@pytest.mark.slow
def test_a_changed_accuracy_dataset_reruns_the_accuracy_step(default_cfg, tmp_path):
    from qnnflow.data.writer import generate_dataset

    data = tmp_path / "shapes"
    generate_dataset(data, 0, counts={"train": 0, "val": 0, "test": 2})
    cfg = BuildConfig(
        model=default_cfg,
        output_root=tmp_path / "out",
        input_size=(64, 64),
        to_step="accuracy",
        accuracy_data=data,
        accuracy_images=2,
    )
    assert run_build(cfg).ran[-1] == "accuracy"
    assert run_build(cfg).ran == []
    label = sorted((data / "labels" / "test").glob("*.txt"))[-1]
    label.write_text(label.read_text() + "0 0.5 0.5 0.1 0.1\n")
    assert "accuracy" in run_build(cfg).ran


def test_the_fingerprint_covers_the_verification_inputs(default_cfg, tmp_path):
    """Another --seed or --verify-inputs reruns the checked steps."""
    base = BuildConfig(model=default_cfg, output_root=tmp_path).fingerprint()
    seeded = BuildConfig(model=default_cfg, output_root=tmp_path, seed=3).fingerprint()
    more = BuildConfig(model=default_cfg, output_root=tmp_path, verify_inputs=2).fingerprint()
    assert len({base, seeded, more}) == 3

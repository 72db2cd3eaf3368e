"""The IP manifest round-trips through JSON and refuses malformed content with the field
named in the message."""

from __future__ import annotations

import dataclasses
import json

import pytest

from qnnflow.backends.ip_manifest import IpManifest, IpManifestError
from tests.backends.manifests import layer, tiny_manifest, weight_port


def test_round_trip(tmp_path):
    manifest = tiny_manifest()
    path = manifest.save(tmp_path / "ip_manifest.json")
    assert IpManifest.load(tmp_path) == manifest  # a folder finds ip_manifest.json
    data = json.loads(path.read_text())
    assert data["layers"][2]["axi_mm"]["bundle"] == "w5"
    assert manifest.control_interface == "s_axi_control"
    assert [layer.name for layer in manifest.axi_mm_layers] == ["conv5", "conv6", "conv7"]


def test_all_sources_are_unique_and_ordered():
    manifest = tiny_manifest(weights=False)
    assert manifest.all_sources()[0] == "qnn_top.cpp"
    assert manifest.all_include_dirs() == ("lib", "params")


def _edited(path, edit):
    data = tiny_manifest().to_dict()
    edit(data)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(in_width_bits=12), r"in_width_bits: expected a positive multiple of 8"),
        (lambda d: d.update(colour="red"), r"unknown field\(s\) colour"),
        (lambda d: d.pop("part"), r"missing field\(s\) part"),
        (lambda d: d["layers"][1].update(name="conv0"), r"layers\[1\].name: 'conv0' is already"),
        (lambda d: d["layers"][0].update(sources=["/abs/x.cpp"]), r"layers\[0\].sources\[0\]"),
        (lambda d: d["layers"][0].update(top="3x"), r"layers\[0\].top: expected a C identifier"),
        (lambda d: d["layers"][2]["axi_mm"].update(data_width_bits=48), r"data_width_bits"),
        (lambda d: d.update(control_bundle=None), r"control_bundle: layers with axi_mm"),
        (lambda d: d.update(clock_ns="fast"), r"clock_ns"),
        (lambda d: d.update(layers=[]), r"layers: expected at least one layer"),
    ],
)
def test_invalid_manifests_name_the_field(tmp_path, edit, message):
    path = _edited(tmp_path / "m.json", edit)
    with pytest.raises(IpManifestError, match=message):
        IpManifest.load(path)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(IpManifestError, match="IP manifest not found"):
        IpManifest.load(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(IpManifestError, match="not valid JSON"):
        IpManifest.load(tmp_path / "bad.json")


def test_duplicate_bundles_rejected_in_python_too():
    manifest = tiny_manifest()
    clash = layer("conv8", 16, 16, weight_port("w5", 10))
    with pytest.raises(IpManifestError, match="'w5' is already used"):
        dataclasses.replace(manifest, layers=manifest.layers + (clash,))

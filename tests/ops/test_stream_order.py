"""sync_passthrough_replays' one pass against the upstream walk (input_frame_replays) it
replaced, on a folded branched graph whose streamed layers replay frames, in node order and
with the nodes listed out of order."""

from __future__ import annotations

import pytest

from qnnflow.ops import mvu as mvu_module
from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.ops.stream_order import input_frame_replays, sync_passthrough_replays
from qnnflow.transforms.fold import ApplyFoldingConfig, InsertFIFOs, InsertWidthConverters
from qnnflow.transforms.to_hw import ConvertToHW
from tests.transforms.to_hw.yolo_like import route_model

pytestmark = pytest.mark.filterwarnings("ignore:The values of tensor route")


@pytest.fixture
def plumbed(monkeypatch):
    """The route graph with conv1 streaming its weights (its window replays each frame
    MH/PE times), then width converters and FIFOs."""
    monkeypatch.setattr(mvu_module, "STREAM_WEIGHTS_MIN_BITS", 0)
    model = route_model(size=8, seed=3).transform(ConvertToHW())
    model = model.transform(ApplyFoldingConfig({"conv1_mvu": {"mem_mode": "stream_ddr"}}))
    return model.transform(InsertWidthConverters()).transform(InsertFIFOs())


def _walked(model) -> dict[str, int]:
    return {n.name: input_frame_replays(model, n) for n in hw_nodes(model) if hw_op(n).PLUMBING}


def _synced(model) -> dict[str, int]:
    return {
        n.name: hw_op(n).get_nodeattr("frameReplays") for n in hw_nodes(model) if hw_op(n).PLUMBING
    }


def test_one_pass_sets_what_the_walk_finds(plumbed):
    sync_passthrough_replays(plumbed)
    assert _synced(plumbed) == _walked(plumbed)
    assert max(_synced(plumbed).values()) > 1  # some FIFO carries replayed frames


def test_nodes_listed_out_of_order(plumbed):
    for node in hw_nodes(plumbed):
        if hw_op(node).PLUMBING:
            hw_op(node).set_nodeattr("frameReplays", 1)
    nodes = list(plumbed.graph.node)
    del plumbed.graph.node[:]
    plumbed.graph.node.extend(reversed(nodes))  # every reader before its producer
    sync_passthrough_replays(plumbed)
    assert _synced(plumbed) == _walked(plumbed)
    assert max(_synced(plumbed).values()) > 1

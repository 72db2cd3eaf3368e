"""Slow, plain references the fast decode and NMS paths are compared with: Darknet's
do_nms_sort loop pair by pair, and the decode of a head through the whole-tensor
activations (`region_forward` + `region_detections`, `yolo_forward` + `yolo_detections`)."""

from __future__ import annotations

import numpy as np

from qnnflow.yolo import Detection, box_iou
from qnnflow.yolo.activations import region_forward, yolo_forward
from qnnflow.yolo.decode import region_detections, yolo_detections


def per_pair_nms(dets: list[Detection], classes: int, thresh: float) -> np.ndarray:
    """Darknet's do_nms_sort loop as written: every class sorted in turn, IoU box by box."""
    probs = np.array([d.prob[:classes] for d in dets], dtype=np.float32).reshape(-1, classes)
    boxes = np.array([d.box for d in dets], dtype=np.float32)
    order = np.arange(len(dets))
    for k in range(classes):
        order = order[np.argsort(-probs[order, k], kind="stable")]
        for pos, i in enumerate(order):
            if probs[i, k] == 0:
                continue
            for j in order[pos + 1 :]:
                if box_iou(boxes[i], boxes[j]) > np.float32(thresh):
                    probs[j, k] = 0
    return probs


def whole_tensor_decode(
    heads: list[dict], outputs: dict[str, np.ndarray], thresh: float, size: tuple
) -> list[Detection]:
    """Every head activated as a whole tensor, then decoded; only scoring boxes kept."""
    im_w, im_h, net_w, net_h = size
    box = {"im_w": im_w, "im_h": im_h, "net_w": net_w, "net_h": net_h, "scoring_only": True}
    dets: list[Detection] = []
    for head in heads:
        raw, classes, num = outputs[head["output"]], head["classes"], head["num"]
        if head["type"] == "region":
            act = region_forward(raw, num, classes, head["coords"], head["softmax"])
            dets += region_detections(
                act, head["anchors"], num, classes, head["coords"], thresh, **box
            )
        else:
            act = yolo_forward(raw, num, classes)
            scale_x_y = head.get("scale_x_y", 1.0)
            dets += yolo_detections(
                act, head["anchors"], classes, thresh, scale_x_y=scale_x_y, **box
            )
    return dets


def assert_same_detections(got: list[Detection], expected: list[Detection]) -> None:
    """Same boxes in the same order, bit for bit."""
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert (a.x, a.y, a.w, a.h, a.objectness) == (b.x, b.y, b.w, b.h, b.objectness)
        assert a.prob.dtype == b.prob.dtype == np.float32
        np.testing.assert_array_equal(a.prob, b.prob)

"""YOLOv2 [region] training loss with Darknet's semantics (forward_region_layer).

Per anchor the raw head holds [x, y, w, h, obj, classes]; x, y and obj go through a logistic,
classes through a softmax, w/h stay raw (box = anchor * exp(w) in grid units). Darknet's
deltas are `scale * (target - output)`; the equivalent loss is `0.5 * scale * (target -
output)^2` for x, y, w, h and obj (gradients flow through the logistic, as Darknet's backward
does) and `scale * cross_entropy` for the classes (Darknet's softmax delta is the logit
gradient). Terms are summed over the batch and divided by the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from qnnflow.errors import QnnflowError


@dataclass(frozen=True)
class RegionLossConfig:
    """Darknet's [region] training keys (defaults as in yolov2-voc)."""

    anchors: tuple[float, ...]
    classes: int
    object_scale: float = 5.0
    noobject_scale: float = 1.0
    class_scale: float = 1.0
    coord_scale: float = 1.0
    thresh: float = 0.6
    rescore: bool = True

    @property
    def num(self) -> int:
        return len(self.anchors) // 2


def _iou_cxcywh(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of boxes (..., 4) as (cx, cy, w, h), broadcasting."""
    lo = torch.maximum(a[..., :2] - a[..., 2:] / 2, b[..., :2] - b[..., 2:] / 2)
    hi = torch.minimum(a[..., :2] + a[..., 2:] / 2, b[..., :2] + b[..., 2:] / 2)
    inter = (hi - lo).clamp(min=0).prod(-1)
    union = a[..., 2:].prod(-1) + b[..., 2:].prod(-1) - inter
    return inter / union.clamp(min=1e-12)


def region_loss(
    raw: torch.Tensor, targets: list[torch.Tensor], cfg: RegionLossConfig
) -> dict[str, torch.Tensor]:
    """`raw` [N, num*(5+classes), H, W]; `targets[b]` [T, 5] rows (class, cx, cy, w, h) in
    [0, 1] image units. Returns the total and its coord/obj/noobj/cls parts."""
    n, c, h, w = raw.shape
    num, k = cfg.num, cfg.classes
    if c != num * (5 + k):
        raise QnnflowError(f"head has {c} channels, the region needs {num}*(5+{k})")
    if len(targets) != n:
        raise QnnflowError(f"{len(targets)} target lists for a batch of {n}")
    p = raw.view(n, num, 5 + k, h, w).permute(0, 1, 3, 4, 2)  # [n, a, h, w, 5+k]
    xy, wh = torch.sigmoid(p[..., 0:2]), p[..., 2:4]
    obj, logits = torch.sigmoid(p[..., 4]), p[..., 5:]
    anchors = torch.tensor(cfg.anchors, dtype=raw.dtype, device=raw.device).view(num, 2)
    gy, gx = torch.meshgrid(
        torch.arange(h, device=raw.device), torch.arange(w, device=raw.device), indexing="ij"
    )
    grid = torch.stack([gx, gy], -1).to(raw.dtype)  # [h, w, 2]
    with torch.no_grad():
        scale_hw = torch.tensor([w, h], dtype=raw.dtype, device=raw.device)
        boxes = torch.cat(
            [(xy + grid) / scale_hw, torch.exp(wh) * anchors[None, :, None, None] / scale_hw],
            -1,
        )  # predicted boxes in image units [n, a, h, w, 4]
    zero = raw.new_zeros(())
    coord, obj_loss, noobj, cls = zero, zero, zero, zero
    for b in range(n):
        truth = targets[b].to(raw.device, raw.dtype).reshape(-1, 5)
        noobj_mask = torch.ones(num, h, w, dtype=torch.bool, device=raw.device)
        if len(truth):
            ious = _iou_cxcywh(boxes[b][..., None, :], truth[:, 1:])  # [a, h, w, T]
            noobj_mask &= ious.max(-1).values <= cfg.thresh
        assigned: dict[tuple[int, int, int], torch.Tensor] = {}
        for t in truth:  # the last truth in a cell and anchor wins, as in Darknet
            i = min(int(t[1] * w), w - 1)
            j = min(int(t[2] * h), h - 1)
            shape_iou = _iou_cxcywh(
                torch.cat([torch.zeros(num, 2, device=raw.device), anchors / scale_hw], -1),
                torch.cat([torch.zeros(2, device=raw.device), t[3:5]]),
            )
            assigned[(int(shape_iou.argmax()), j, i)] = t
        for (a, j, i), t in assigned.items():
            noobj_mask[a, j, i] = False
            target_xy = torch.stack([t[1] * w - i, t[2] * h - j])
            target_wh = torch.log(t[3:5] * scale_hw / anchors[a])
            s = cfg.coord_scale * (2 - t[3] * t[4])
            coord = coord + 0.5 * s * ((xy[b, a, j, i] - target_xy) ** 2).sum()
            coord = coord + 0.5 * s * ((wh[b, a, j, i] - target_wh) ** 2).sum()
            goal = _iou_cxcywh(boxes[b, a, j, i], t[1:]).detach() if cfg.rescore else 1.0
            obj_loss = obj_loss + 0.5 * cfg.object_scale * (obj[b, a, j, i] - goal) ** 2
            label = t[0].long().clamp(0, k - 1).view(1)
            cls = cls + cfg.class_scale * F.cross_entropy(
                logits[b, a, j, i].view(1, k), label, reduction="sum"
            )
        noobj = noobj + 0.5 * cfg.noobject_scale * (obj[b][noobj_mask] ** 2).sum()
    parts = {"coord": coord / n, "obj": obj_loss / n, "noobj": noobj / n, "cls": cls / n}
    parts["total"] = sum(parts.values())
    return parts

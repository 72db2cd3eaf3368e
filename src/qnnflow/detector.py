"""Run a detector model end to end on images: Darknet letterbox -> graph execution ->
region/yolo decode -> NMS -> `name: NN%` lines or JSON boxes in image pixels. The heads'
parameters come from the model's metadata (written by the importers)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet.to_onnx import HEADS_KEY
from qnnflow.util.batch_exec import STANDARD_DOMAINS, BatchedRunner
from qnnflow.util.execute import run_onnxruntime, run_qonnx
from qnnflow.util.graph_exec import PreparedGraph
from qnnflow.yolo import (
    detections_to_json,
    do_nms_sort,
    format_detections,
    load_image,
    network_input,
    region_detections,
    region_forward,
    resolve_decoder,
    yolo_detections,
    yolo_forward,
)
from qnnflow.yolo.image import DECODER_KEY

__all__ = ["STANDARD_DOMAINS", "DetectionResult", "Detector", "default_decoder", "load_detector"]


@dataclass
class DetectionResult:
    image: str
    lines: list[str]
    boxes: list[dict]
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Detector:
    """A model plus how to read its heads; `thresh`/`nms` as in Darknet's test_detector."""

    model: ModelWrapper
    names: list[str]
    thresh: float = 0.3
    nms: float = 0.3
    decoder: str = "pillow"
    _batch: BatchedRunner | None = field(default=None, init=False, repr=False, compare=False)
    _prepared: PreparedGraph | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def heads(self) -> list[dict]:
        text = self.model.get_metadata_prop(HEADS_KEY)
        if not text or not json.loads(text):
            raise QnnflowError(
                "the model has no region/yolo head metadata (qnnflow.darknet.heads);"
                " import it with import-darknet or import-binparams"
            )
        return json.loads(text)

    def _execute(self, x: np.ndarray) -> dict[str, np.ndarray]:
        custom = any(n.domain not in STANDARD_DOMAINS for n in self.model.graph.node)
        if not custom:
            return run_onnxruntime(self.model, x)
        if self._prepared is None or self._prepared.model is not self.model:  # once per model
            self._prepared = PreparedGraph(self.model)
        return run_qonnx(self.model, x, self._prepared)

    def _decode(
        self, head: dict, raw: np.ndarray, im_w: int, im_h: int, net_w: int, net_h: int
    ) -> list:
        classes, num = head["classes"], head["num"]
        if head["type"] == "region":
            act = region_forward(raw, num, classes, head["coords"], head["softmax"])
            return region_detections(
                act,
                head["anchors"],
                num,
                classes,
                head["coords"],
                self.thresh,
                im_w=im_w,
                im_h=im_h,
                net_w=net_w,
                net_h=net_h,
            )
        act = yolo_forward(raw, num, classes)
        return yolo_detections(
            act,
            head["anchors"],
            classes,
            self.thresh,
            net_w=net_w,
            net_h=net_h,
            im_w=im_w,
            im_h=im_h,
            scale_x_y=head.get("scale_x_y", 1.0),
        )

    def net_size(self) -> tuple[int, int]:
        """(width, height) of the network input."""
        shape = self.model.get_tensor_shape(self.model.graph.input[0].name)
        return int(shape[3]), int(shape[2])

    def detections(self, image: np.ndarray, times: dict[str, float] | None = None) -> list:
        """Letterboxed inference on one HWC float image in [0, 1]: decoded detections of
        every head after NMS, boxes relative to the image (Darknet's `detection`)."""
        times = {} if times is None else times
        net_w, net_h = self.net_size()
        began = time.perf_counter()
        x = network_input(image, net_w, net_h)
        times["preprocess"] = time.perf_counter() - began
        began = time.perf_counter()
        outputs = self._execute(x)
        times["network"] = time.perf_counter() - began
        began = time.perf_counter()
        dets = self._decode_heads(outputs, image.shape[:2])
        times["postprocess"] = time.perf_counter() - began
        return dets

    def detections_many(self, images: list[np.ndarray]) -> list[list]:
        """`detections` of each image, equal bit for bit, with the network run over all of
        them at once (in chunks) where the graph batches (qnnflow.util.batch_exec)."""
        return self.detections_of_inputs(self.network_inputs(images), images)

    def network_inputs(self, images: list[np.ndarray]) -> np.ndarray:
        """The letterboxed network input of each HWC float image, [n, C, net_h, net_w]."""
        net_w, net_h = self.net_size()
        return np.concatenate([network_input(image, net_w, net_h) for image in images])

    def detections_of_inputs(self, x: np.ndarray, images: list[np.ndarray]) -> list[list]:
        """`detections_many` from inputs `network_inputs(images)` already made (another
        detector with the same input size made them)."""
        if self._batch is None:
            self._batch = BatchedRunner(self.model)
        if not self._batch.supported():  # image by image, as `detections` runs
            return [
                self._decode_heads(self._execute(x[i : i + 1]), image.shape[:2])
                for i, image in enumerate(images)
            ]
        found: list[list] = []
        for outputs in self._batch.chunks(x):
            for i in range(len(next(iter(outputs.values())))):
                one = {name: value[i : i + 1] for name, value in outputs.items()}
                found.append(self._decode_heads(one, images[len(found)].shape[:2]))
        return found

    def _decode_heads(self, outputs: dict[str, np.ndarray], image_hw: tuple[int, int]) -> list:
        """Every head's detections of one image's outputs, after NMS."""
        net_w, net_h = self.net_size()
        im_h, im_w = image_hw
        dets = []
        for head in self.heads:
            raw = outputs.get(head["output"])
            if raw is None:
                raise QnnflowError(f"head tensor '{head['output']}' is not a graph output")
            dets += self._decode(head, raw, im_w, im_h, net_w, net_h)
        return do_nms_sort(dets, self.heads[0]["classes"], self.nms)

    def detect(self, image_path: str | Path) -> DetectionResult:
        times: dict[str, float] = {}
        began = time.perf_counter()
        image = load_image(image_path, self.decoder)
        load_seconds = time.perf_counter() - began
        dets = self.detections(image, times)
        times["preprocess"] += load_seconds
        began = time.perf_counter()
        im_h, im_w = image.shape[:2]
        classes = self.heads[0]["classes"]
        names = self.names or [f"class{j}" for j in range(classes)]
        lines = format_detections(dets, names, self.thresh)
        boxes = detections_to_json(dets, names, self.thresh, im_w, im_h)
        times["postprocess"] += time.perf_counter() - began
        return DetectionResult(str(image_path), lines, boxes, times)


def default_decoder(model: ModelWrapper) -> str:
    """How the model's images are decoded unless asked otherwise: its recorded decoder, else
    Darknet's stb_image for Darknet-derived models (they carry region/yolo heads), else Pillow."""
    recorded = model.get_metadata_prop(DECODER_KEY)
    if recorded:
        return recorded
    return "darknet" if json.loads(model.get_metadata_prop(HEADS_KEY) or "[]") else "pillow"


def load_detector(
    path: str | Path,
    names_file: str | Path | None = None,
    thresh: float = 0.3,
    nms: float = 0.3,
    decoder: str | None = None,
) -> Detector:
    """A detector from an .onnx file, a build directory (its last saved step) or a .cfg;
    `decoder` None = the model's default (Pillow, with a warning, when stb_image is missing)."""
    path = Path(path)
    if path.is_dir():
        saved = sorted(path.glob("[0-9][0-9]_*.onnx"))
        if not saved:
            raise QnnflowError(f"{path}: no saved build steps (NN_<step>.onnx) found")
        path = saved[-1]
    if path.suffix == ".cfg":
        from qnnflow.frontend.darknet import import_darknet

        model = import_darknet(path, path.with_suffix(".weights"))
    elif path.is_file():
        model = ModelWrapper(str(path))
    else:
        raise QnnflowError(f"model not found: {path}")
    names: list[str] = []
    if names_file is not None:
        names = [n.strip() for n in Path(names_file).read_text().splitlines() if n.strip()]
    else:
        heads = json.loads(model.get_metadata_prop(HEADS_KEY) or "[]")
        names = list(heads[0].get("names", [])) if heads else []
    chosen = resolve_decoder(decoder, default_decoder(model))
    return Detector(model, names, thresh, nms, chosen)

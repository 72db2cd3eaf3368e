"""YOLO pre- and post-processing in numpy, reproducing Darknet's C arithmetic exactly."""

from qnnflow.yolo.activations import darknet_softmax, logistic, region_forward, yolo_forward
from qnnflow.yolo.decode import Detection, region_detections, yolo_detections
from qnnflow.yolo.image import DECODERS, load_image, resolve_decoder
from qnnflow.yolo.letterbox import (
    correct_boxes,
    letterbox_image,
    letterbox_size,
    network_input,
    to_nchw,
)
from qnnflow.yolo.nms import box_iou, do_nms_obj, do_nms_sort
from qnnflow.yolo.report import detections_to_json, format_detections, pixel_box
from qnnflow.yolo.resize import resize_image

__all__ = [
    "DECODERS",
    "Detection",
    "box_iou",
    "correct_boxes",
    "darknet_softmax",
    "detections_to_json",
    "do_nms_obj",
    "do_nms_sort",
    "format_detections",
    "letterbox_image",
    "letterbox_size",
    "load_image",
    "logistic",
    "network_input",
    "pixel_box",
    "region_detections",
    "region_forward",
    "resolve_decoder",
    "resize_image",
    "to_nchw",
    "yolo_detections",
    "yolo_forward",
]

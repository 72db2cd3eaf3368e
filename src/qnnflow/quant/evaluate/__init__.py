"""Accuracy of a quantized model against its float original: top-1 / top-5 for classifiers
(any batch function, ONNX, QONNX or a torch module) and, through the accuracy gate, mAP@0.5
for detectors."""

from qnnflow.quant.evaluate.classify import ClassifyComparison, compare_classifiers
from qnnflow.quant.evaluate.folder_dataset import ClassifySet, load_classify_folder
from qnnflow.quant.evaluate.runner import ClassifierRunner
from qnnflow.quant.evaluate.topk import TopK, TopKCounter, classify_accuracy, drop_points

__all__ = [
    "ClassifierRunner",
    "ClassifyComparison",
    "ClassifySet",
    "TopK",
    "TopKCounter",
    "classify_accuracy",
    "compare_classifiers",
    "drop_points",
    "load_classify_folder",
]

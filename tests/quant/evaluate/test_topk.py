"""classify_accuracy on hand-computed scores: top-1 / top-5 hits, ties, NaN, fewer than five
classes, batching, and the errors of a batch function that returns the wrong shape."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.errors import QnnflowError
from qnnflow.quant.evaluate.topk import TopK, TopKCounter, classify_accuracy, drop_points

# 7 classes; the label's rank in each row: 1st, 3rd, 5th, 6th, 7th
SCORES = np.array(
    [
        [9, 1, 2, 3, 4, 5, 6],  # label 0: rank 1
        [1, 2, 3, 9, 8, 0, 0],  # label 2: rank 3 (9, 8, 3)
        [7, 6, 5, 4, 3, 2, 1],  # label 4: rank 5
        [7, 6, 5, 4, 3, 2, 1],  # label 5: rank 6
        [0, 1, 2, 3, 4, 5, 6],  # label 0: rank 7
    ],
    dtype=np.float32,
)
LABELS = np.array([0, 2, 4, 5, 0])


def _lookup(scores: np.ndarray):
    """A batch function that returns the stored scores of the images (image i holds i)."""
    return lambda x: scores[x[:, 0, 0, 0].astype(int)]


def _images(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float32).reshape(n, 1, 1, 1)


@pytest.mark.parametrize("batch_size", [1, 2, 64])
def test_hand_counted_hits_any_batch(batch_size):
    result = classify_accuracy(_lookup(SCORES), _images(5), LABELS, batch_size=batch_size)
    assert result == TopK(images=5, top1_correct=1, top5_correct=3, top5_k=5)
    assert result.top1 == pytest.approx(0.2) and result.top5 == pytest.approx(0.6)
    assert result.to_dict() == {"images": 5, "top1": 0.2, "top5": 0.6, "top5_k": 5}


def test_ties_rank_the_lower_class_first_and_nan_last():
    scores = np.array([[1, 1, 1], [1, 1, 1], [np.nan, 0, -1]], dtype=np.float32)
    counter = TopKCounter()
    counter.update(scores, [0, 1, 2])
    counter.update(scores[2:], [1])
    # row 0: class 0 wins the tie; row 1: label 1 loses it; row 2: NaN class 0 ranks last
    assert counter.result() == TopK(images=4, top1_correct=2, top5_correct=4, top5_k=3)


def test_fewer_than_five_classes_is_top_all():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], dtype=np.float32)
    result = classify_accuracy(_lookup(scores), _images(3), [1, 1, 1])
    assert result.top5_k == 2 and result.top1_correct == 2 and result.top5 == 1.0


def test_scores_with_trailing_unit_axes_are_flattened():
    scores = SCORES[:, :, None, None]  # a conv head: (N, classes, 1, 1)
    assert classify_accuracy(_lookup(scores), _images(5), LABELS).top5_correct == 3


def test_drop_points():
    ref, other = TopK(10, 9, 10, 5), TopK(10, 7, 10, 5)
    assert drop_points(ref, other) == pytest.approx({"top1": 20.0, "top5": 0.0})
    assert drop_points(other, ref)["top1"] == pytest.approx(-20.0)


def test_a_torch_module_scores_without_onnx():
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(4, 3)
    with torch.no_grad():
        layer.weight.copy_(torch.eye(3, 4))
        layer.bias.zero_()
    x = np.eye(4, dtype=np.float32)[[0, 1, 2, 2]]

    def run(batch: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return layer(torch.from_numpy(batch)).numpy()

    assert classify_accuracy(run, x, [0, 1, 2, 0]).top1_correct == 3


@pytest.mark.parametrize(
    ("run", "labels", "message"),
    [
        (lambda x: np.zeros((len(x) + 1, 3)), [0, 1], r"scores of shape \[3, 3\] for 2 inputs"),
        (lambda x: np.zeros((len(x), 3)), [0, 3], "label \\(3\\) is outside the model's 3"),
        (lambda x: np.zeros((len(x), 3)), [0], "2 images but 1 labels"),
        (lambda x: np.float32(1), [0, 1], r"scores of shape \[\] for 2 inputs"),
    ],
)
def test_errors_are_one_line(run, labels, message):
    with pytest.raises(QnnflowError, match=message):
        classify_accuracy(run, _images(2), labels)


def test_no_images_and_bad_batch_size():
    with pytest.raises(QnnflowError, match="no images"):
        classify_accuracy(lambda x: x, _images(0), [])
    with pytest.raises(QnnflowError, match="batch size must be at least 1"):
        classify_accuracy(lambda x: x, _images(1), [0], batch_size=0)


def test_class_count_changing_between_batches_is_refused():
    counter = TopKCounter()
    counter.update(np.zeros((1, 3)), [0])
    with pytest.raises(QnnflowError, match="returned 4 scores, before 3"):
        counter.update(np.zeros((1, 4)), [0])

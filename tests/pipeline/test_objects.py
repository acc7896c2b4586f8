"""Object matching against ground truth and duplicate suppression in detection."""

from __future__ import annotations

import numpy as np
import torch

from screener_gui.core.pipeline.objects import Segmenter, match_objects


def _rect(y0, x0, y1, x1, shape=(60, 80)):
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


def test_match_objects_pairs_by_iou_and_counts_misses_as_zero():
    truth = np.zeros((60, 80), np.uint8)
    truth[10:30, 10:30] = 1
    truth[40:50, 50:70] = 2
    predicted = [_rect(40, 50, 50, 65), _rect(10, 10, 30, 30)]
    ious, pairs = match_objects(predicted, truth)
    assert ious[0] == 1.0 and abs(ious[1] - 0.75) < 1e-9
    assert sorted(pairs) == [(0, 1), (1, 0)]
    ious, pairs = match_objects([], truth)
    assert ious.tolist() == [0.0, 0.0] and pairs == []


class _FixedModel(torch.nn.Module):
    """Stands in for Mask R-CNN: the same item found twice (two classes) and one weak detection."""

    def forward(self, images):
        h, w = images[0].shape[1:]
        masks = torch.zeros(3, 1, h, w)
        masks[0, 0, 5:25, 5:40] = 0.9
        masks[1, 0, 6:25, 5:40] = 0.8
        masks[2, 0, 40:50, 50:60] = 0.9
        return [
            {
                "boxes": torch.zeros(3, 4),
                "labels": torch.tensor([1, 2, 3]),
                "scores": torch.tensor([0.95, 0.7, 0.3]),
                "masks": masks,
            }
        ]


def test_detect_keeps_one_item_found_as_two_classes_and_drops_weak_ones():
    seg = Segmenter(_FixedModel(), {"categories": ["laptop", "tablet", "phone"], "score_threshold": 0.5})
    found = seg.detect(np.zeros((60, 80, 3), np.uint8))
    assert [o.category for o in found] == ["laptop"]
    assert found[0].box == (5, 5, 40, 25) and found[0].area == 20 * 35

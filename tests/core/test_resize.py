from __future__ import annotations

import cv2
import numpy as np
import pytest

from clearsight.detect._resize import shrink_image


@pytest.mark.parametrize(("width", "height"), [(640, 360), (220, 220), (1000, 700), (1919, 1079)])
def test_shrink_image_gives_the_asked_size(width: int, height: int) -> None:
    image = np.random.default_rng(0).integers(0, 255, (1080, 1920, 3), np.uint8)
    small = shrink_image(image, width, height)
    assert small.shape == (height, width, 3) and small.dtype == np.uint8
    assert small.flags.c_contiguous


def test_shrinking_a_fine_pattern_averages_it_instead_of_aliasing() -> None:
    # One-pixel stripes alias under point sampling; a shrink without aliasing gives grey.
    stripes = np.zeros((600, 600), np.uint8)
    stripes[:, ::2] = 255
    small = shrink_image(stripes, 200, 200)
    nearest = cv2.resize(stripes, (200, 200), interpolation=cv2.INTER_NEAREST)
    assert abs(float(small.mean()) - 127.5) < 3 and float(small.std()) < 10
    assert float(nearest.std()) > 100  # the aliasing this avoids


def test_shrinking_a_smooth_image_matches_area_resampling() -> None:
    ramp = np.add.outer(np.arange(900) / 10, np.arange(1500) / 20).astype(np.uint8)  # 0-165
    small = shrink_image(ramp, 500, 300)
    area = cv2.resize(ramp, (500, 300), interpolation=cv2.INTER_AREA)
    assert np.abs(small.astype(int) - area.astype(int)).max() <= 2

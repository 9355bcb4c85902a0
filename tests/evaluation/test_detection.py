"""Detector evaluation on WIDER FACE: the ground-truth parser, the matcher, frame modes,
detector specs, and the real YuNet on a few WIDER images (skipped without the dataset)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from clearsight.cli import main
from clearsight.config import HogDetectorConfig, YunetDetectorConfig
from clearsight.detect import FaceDetector, YunetFaceDetector
from clearsight.errors import ConfigError, InputError
from clearsight.evaluation import (
    WiderImage,
    detector_config_from_spec,
    evaluate_detector,
    load_wider,
    match_detections,
    parse_wider_ground_truth,
    resize_to_1080p,
    select_evenly,
    time_detectors,
)
from clearsight.types import FaceDetections

GROUND_TRUTH = """\
0--Parade/0_Parade_1.jpg
3
10 20 40 50 0 0 0 0 0 0
100 100 90 60 2 0 0 0 1 0
300 40 35 35 0 0 0 1 0 0
1--Handshaking/1_Handshaking_2.jpg
0
0 0 0 0 0 0 0 0 0 0
2--Demonstration/2_Demonstration_3.jpg
1
5 5 12 20 1 1 1 0 2 1
"""


def test_parser_reads_boxes_attributes_and_empty_images() -> None:
    images = parse_wider_ground_truth(GROUND_TRUTH)
    assert [image.path for image in images] == [
        "0--Parade/0_Parade_1.jpg",
        "1--Handshaking/1_Handshaking_2.jpg",
        "2--Demonstration/2_Demonstration_3.jpg",
    ]
    assert [len(image.faces) for image in images] == [3, 0, 1]
    first, second, invalid = images[0].faces
    assert first.box == (10.0, 20.0, 50.0, 70.0)
    assert first.size == 50.0  # the longer side: height here
    assert second.size == 90.0 and second.blur == 2 and second.occlusion == 1
    assert invalid.invalid and not first.invalid
    assert first.clear and not second.clear  # the second is heavily blurred
    last = images[2].faces[0]
    assert (last.blur, last.expression, last.illumination, last.occlusion, last.pose) == (
        1,
        1,
        1,
        2,
        1,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.jpg\nthree\n", r"gt:2: expected a face count"),
        ("a.jpg\n2\n1 2 3 4 0 0 0 0 0 0\n", r"gt:2: a\.jpg promises 2 faces"),
        ("a.jpg\n1\n1 2 x 4 0 0 0 0 0 0\n", r"gt:3: not a number"),
        ("a.jpg\n1\n1 2 3\n", r"gt:3: expected 10 numbers, found 3"),
        ("not an image\n1\n", r"gt:1: expected an image path"),
    ],
)
def test_parser_names_the_bad_line(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_wider_ground_truth(text, "gt")


def _boxes(*rows: tuple[float, float, float, float]) -> npt.NDArray[np.float32]:
    return np.array(rows, np.float32).reshape(-1, 4)


def test_matcher_hits_misses_dont_care_and_false_positives() -> None:
    truth = _boxes((0, 0, 40, 40), (100, 0, 140, 40), (200, 0, 240, 40), (300, 0, 310, 10))
    scored = np.array([True, True, False, False])  # third invalid, fourth too small
    detections = _boxes(
        (2, 2, 42, 42),  # hits the first face
        (201, 1, 241, 41),  # only a don't-care face: ignored
        (302, 0, 310, 10),  # the too-small face: ignored too
        (500, 500, 540, 540),  # nothing there: a false positive
        (110, 20, 150, 60),  # IoU ~0.22 with the second face: not enough, so a false positive
    )
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5], np.float32)
    match = match_detections(detections, scores, truth, scored)
    assert match.found.tolist() == [True, False, False, False]
    assert match.false_positives == 2
    assert match.dont_care == 2


def test_matcher_is_greedy_by_score_and_a_duplicate_is_a_false_positive() -> None:
    truth = _boxes((0, 0, 40, 40), (10, 0, 50, 40))
    scored = np.array([True, True])
    # A overlaps face 0 (IoU 0.82) and face 1 (0.74); B overlaps face 0 only (0.74).
    detections = _boxes((4, 0, 44, 40), (-6, 0, 34, 40))
    a_first = match_detections(detections, np.array([0.9, 0.3], np.float32), truth, scored)
    assert a_first.found.tolist() == [True, False] and a_first.false_positives == 1
    b_first = match_detections(detections, np.array([0.3, 0.9], np.float32), truth, scored)
    assert b_first.found.tolist() == [True, True] and b_first.false_positives == 0
    twice = _boxes((0, 0, 40, 40), (1, 1, 41, 41))
    match = match_detections(twice, np.array([0.9, 0.8], np.float32), truth[:1], scored[:1])
    assert match.found.tolist() == [True] and match.false_positives == 1


def test_matcher_with_nothing_on_either_side() -> None:
    empty = match_detections(_boxes(), np.zeros(0, np.float32), _boxes(), np.zeros(0, bool))
    assert empty.found.size == 0 and empty.false_positives == 0
    lonely = match_detections(
        _boxes((0, 0, 10, 10)), np.ones(1, np.float32), _boxes(), np.zeros(0, bool)
    )
    assert lonely.false_positives == 1


class BrightSquareDetector(FaceDetector):
    """Finds white squares on black: a stand-in whose boxes follow the pixels shown to it."""

    def detect(self, image: npt.NDArray[np.uint8]) -> FaceDetections:
        mask = (image[:, :, 0] > 128).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        rows = [(x, y, x + w, y + h) for x, y, w, h, _area in stats[1:count] if w > 3 and h > 3]
        return FaceDetections(boxes=_boxes(*rows), scores=np.ones(len(rows), np.float32))


def _write_wider(folder: Path) -> Path:
    """A two-image WIDER folder of white squares: faces of 40, 60, 100 px (valid), 45 px
    (invalid) and 20 px (too small), plus one square with no ground truth."""
    (folder / "images" / "0--Test").mkdir(parents=True)
    first = np.zeros((400, 1024, 3), np.uint8)
    for x, y, side in ((50, 50, 40), (200, 50, 60), (400, 50, 100), (600, 50, 45), (800, 50, 20)):
        first[y : y + side, x : x + side] = 255
    first[300:340, 900:940] = 255  # no face here: a false positive
    second = np.zeros((300, 1024, 3), np.uint8)
    second[100:160, 100:160] = 255
    cv2.imwrite(str(folder / "images" / "0--Test" / "a.png"), first)
    cv2.imwrite(str(folder / "images" / "0--Test" / "b.png"), second)
    (folder / "wider_face_val_bbx_gt.txt").write_text(
        "0--Test/a.png\n5\n"
        "50 50 40 40 0 0 0 0 0 0\n200 50 60 60 0 0 0 0 0 0\n400 50 100 100 0 0 0 0 0 0\n"
        "600 50 45 45 0 0 0 1 0 0\n800 50 20 20 0 0 0 0 0 0\n"
        "0--Test/b.png\n2\n100 100 60 60 0 0 0 0 2 0\n700 100 60 60 0 0 0 0 0 0\n",
        encoding="utf-8",
    )
    return folder


@pytest.mark.parametrize("frame", ["native", "1080p-canvas", "1080p-upscaled"])
def test_evaluation_scores_bands_in_every_frame_mode(tmp_path: Path, frame: str) -> None:
    folder, images = load_wider(_write_wider(tmp_path))
    report = evaluate_detector(
        BrightSquareDetector(),
        images,
        folder,
        name="squares",
        frame=frame,  # type: ignore[arg-type]
    )
    assert [(b.label, b.faces, b.found) for b in report.bands] == [
        ("30-50", 1, 1),
        ("50-80", 3, 2),  # the 60 px face at (700, 100) in b.png has no square
        ("80-150", 1, 1),
    ]
    # b.png's found 60 px face is heavily occluded: scored, but not a clear face.
    assert [(b.faces, b.found) for b in report.clear_bands] == [(1, 1), (2, 1), (1, 1)]
    assert report.false_positives == 1
    assert report.dont_care_detections == 2  # the invalid 45 px and the 20 px squares
    assert report.false_positives_per_image == 0.5
    assert report.recall_between(50, 150).faces == 4
    assert report.frame_width_mean == (1024 if frame == "native" else 1920)
    recall = report.to_dict()["recall"]
    assert isinstance(recall, dict)
    assert recall["30-150"] == {"faces": 5, "found": 4, "recall": 0.8}
    assert recall["50-150"] == {"faces": 4, "found": 3, "recall": 0.75}
    assert report.to_dict()["recall_clear_faces"] == {
        "30-50": {"faces": 1, "found": 1, "recall": 1.0},
        "50-80": {"faces": 2, "found": 1, "recall": 0.5},
        "80-150": {"faces": 1, "found": 1, "recall": 1.0},
    }


def test_missing_ground_truth_or_images_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no wider_face_val_bbx_gt\.txt"):
        load_wider(tmp_path)
    folder, images = load_wider(_write_wider(tmp_path / "w"))
    (folder / "0--Test" / "b.png").unlink()
    with pytest.raises(InputError, match=r"b\.png: no such file"):
        evaluate_detector(BrightSquareDetector(), images, folder, name="squares")


def test_select_evenly_spreads_the_subset() -> None:
    images = [WiderImage(path=f"{i}.jpg", faces=()) for i in range(10)]
    assert [image.path for image in select_evenly(images, 3)] == ["0.jpg", "4.jpg", "9.jpg"]
    assert len(select_evenly(images, None)) == 10 and len(select_evenly(images, 50)) == 10


def test_detector_specs() -> None:
    assert detector_config_from_spec("yunet") == YunetDetectorConfig()
    assert detector_config_from_spec("yunet@640") == YunetDetectorConfig(max_width=640)
    assert detector_config_from_spec("yunet@1280,min_score=0.5") == YunetDetectorConfig(
        max_width=1280, min_score=0.5
    )
    assert detector_config_from_spec("hog-u1") == HogDetectorConfig(upsample=1)
    with pytest.raises(ConfigError, match="unknown detector 'sface'"):
        detector_config_from_spec("sface")
    with pytest.raises(ConfigError, match="has no field 'upsample'"):
        detector_config_from_spec("yunet,upsample=1")
    with pytest.raises(ConfigError, match="max_width"):
        detector_config_from_spec("yunet@10")


def test_detector_spec_from_toml(tmp_path: Path) -> None:
    bare = tmp_path / "hog.toml"
    bare.write_text('type = "hog"\nupsample = 1\nmin_face_size = 20\n', encoding="utf-8")
    assert detector_config_from_spec(str(bare)) == HogDetectorConfig(upsample=1, min_face_size=20)
    full = tmp_path / "clearsight.toml"
    full.write_text("[detector]\ntype = 'yunet'\nmax_width = 1920\n", encoding="utf-8")
    assert detector_config_from_spec(str(full)) == YunetDetectorConfig(max_width=1920)
    (tmp_path / "empty.toml").write_text("[match]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a \\[detector\\] table"):
        detector_config_from_spec(str(tmp_path / "empty.toml"))
    with pytest.raises(ConfigError, match="no such detector config file"):
        detector_config_from_spec(str(tmp_path / "absent.toml"))


def test_timing_reports_cpu_time_and_load() -> None:
    frame = resize_to_1080p(np.zeros((100, 200, 3), np.uint8))
    assert frame.shape == (1080, 1920, 3)
    frame[100:200, 100:200] = 255
    pair = [("one", BrightSquareDetector()), ("two", BrightSquareDetector())]
    timings = time_detectors(pair, frame, repeats=3)
    assert [timing.detector for timing in timings] == ["one", "two"]
    timing = timings[0]
    assert timing.repeats == 3 and (timing.width, timing.height) == (1920, 1080)
    assert 0 <= timing.cpu_ms_min <= timing.cpu_ms_median
    assert len(timing.load_average_before) == 3 and timing.faces == 1
    with pytest.raises(InputError, match="at least 1"):
        time_detectors(pair, frame, repeats=0)


def test_eval_detection_on_a_missing_folder_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "detection", str(tmp_path / "absent"), "--timing-repeats", "0"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err and "not a folder" in err


@pytest.fixture(scope="module")
def wider_dir(datasets_dir: Path) -> Path:
    path = datasets_dir / "widerface"
    if not (path / "wider_face_val_bbx_gt.txt").is_file():
        pytest.skip(
            f"WIDER FACE not found at {path} (set CLEARSIGHT_DATASETS to ../shared/datasets)"
        )
    return path


def test_the_wider_subset_has_its_documented_counts(wider_dir: Path) -> None:
    _, images = load_wider(wider_dir)
    faces = [face for image in images for face in image.faces]
    assert len(images) == 305 and len(faces) == 9543
    valid = [face for face in faces if not face.invalid and 30 <= face.size <= 150]
    assert len(valid) == 4235


@pytest.mark.slow
def test_yunet_finds_most_wider_faces_on_a_few_images(wider_dir: Path) -> None:
    folder, images = load_wider(wider_dir)
    subset = select_evenly(images, 4)
    report = evaluate_detector(YunetFaceDetector(), subset, folder, name="yunet")
    total = report.recall_between(30, 150)
    assert total.faces > 20
    assert total.recall > 0.6
    assert report.cpu_ms_per_image > 0


@pytest.mark.slow
def test_eval_detection_command_writes_json(
    wider_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one table row per line
    out = tmp_path / "detection.json"
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "eval",
                "detection",
                str(wider_dir),
                "--detector",
                "yunet@640",
                "--frame",
                "native",
                "--frame",
                "1080p-canvas",
                "--limit",
                "2",
                "--timing-repeats",
                "2",
                "--json",
                str(out),
            ]
        )
    assert exit_info.value.code == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if "yunet@640" in line]
    assert len(rows) == 4  # recall on all faces, then on clear faces
    assert ["native" in row for row in rows] == [True, False, True, False]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["images"] == 2 and data["face_size"] == "max(w, h)"
    assert [r["frame"] for r in data["reports"]] == ["native", "1080p-canvas"]
    assert data["timings"][0]["frame"] == "1920x1080"


def test_eval_detection_command_on_a_small_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    folder = _write_wider(tmp_path / "w")
    # Only b.png: no face of 30-50 px, so that band has nothing to find.
    truth = folder / "wider_face_val_bbx_gt.txt"
    truth.write_text(
        "0--Test/b.png\n2\n100 100 60 60 0 0 0 0 0 0\n700 100 90 90 0 0 0 0 0 0\n",
        encoding="utf-8",
    )
    out = tmp_path / "report.json"
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "eval",
                "detection",
                str(folder),
                "--detector",
                "hog",
                "--timing-repeats",
                "1",
                "--json",
                str(out),
            ]
        )
    assert exit_info.value.code == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if "│ hog" in line]
    assert len(rows) == 2 and all("n/a" in row for row in rows)
    data = json.loads(out.read_text(encoding="utf-8"))
    recall = data["reports"][0]["recall"]
    assert recall["30-50"] == {"faces": 0, "found": 0, "recall": None}
    assert recall["50-80"]["faces"] == 1 and recall["80-150"]["faces"] == 1
    assert data["timings"][0]["repeats"] == 1

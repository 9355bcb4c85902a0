"""The library API (``import clearsight``) with the real default models on real images:
what a newcomer types, what it answers, and the errors bad input gets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

import clearsight
from clearsight.config import ClearsightConfig, MatchConfig
from clearsight.demo import demo_portraits, write_demo_photos
from clearsight.errors import EnrollmentError, ImageError, InputError
from clearsight.pipeline import create_models

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"


def _save(path: Path, pixels: np.ndarray) -> Path:
    Image.fromarray(np.ascontiguousarray(pixels)).save(path)
    return path


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("library-photos")
    astronaut = data.astronaut()
    collins, hopper = write_demo_photos(folder)
    return {
        "crop_a": _save(folder / "crop_a.png", astronaut[0:330, 60:400]),
        "crop_b": _save(folder / "crop_b.jpg", astronaut[20:420, 100:460]),
        "collins": collins,
        "hopper": hopper,
        "wall": _save(folder / "wall.png", np.full((300, 300, 3), 128, np.uint8)),
        "two": _save(folder / "two.png", np.concatenate([astronaut, astronaut[:, ::-1]], axis=1)),
    }


def test_import_loads_nothing_heavy() -> None:
    """``import clearsight`` imports none of the library's modules or their dependencies."""
    code = (
        "import sys, clearsight\n"
        "heavy = ('numpy', 'cv2', 'onnxruntime', 'pydantic', 'clearsight._library')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'comapre'"):
        clearsight.comapre  # noqa: B018


def test_same_person_and_different_people(photos: dict[str, Path]) -> None:
    same = clearsight.compare(photos["crop_a"], photos["crop_b"])
    point = create_models(ClearsightConfig()).point
    assert same.same and same.score >= point.threshold
    assert same.operating_point == point and point.rule == "every-group"
    different = clearsight.compare(photos["collins"], photos["hopper"])
    assert not different.same and different.score < point.threshold
    # The worst judged group's rate at the score, inside its interval, at least the pooled one.
    estimate = different.estimate
    assert estimate.group in point.groups
    assert estimate.low <= different.estimated_fmr <= estimate.high
    assert estimate.pooled_fmr <= different.estimated_fmr
    # A lower score is a more common score among strangers.
    assert different.estimated_fmr > same.estimated_fmr


def test_obama_and_biden_are_different_people(clips_dir: Path) -> None:
    result = clearsight.compare(clips_dir / "obama.jpg", str(clips_dir / "biden.jpg"))
    assert not result.same and result.estimated_fmr > 1e-3


def test_pixels_and_faces_compare_like_paths(photos: dict[str, Path]) -> None:
    by_path = clearsight.compare(photos["crop_a"], photos["crop_b"])
    pixels = clearsight.load_image(photos["crop_a"])
    assert pixels.dtype == np.uint8 and pixels.shape == (330, 340, 3)
    (face,) = clearsight.faces(pixels)
    assert clearsight.compare(pixels, photos["crop_b"]).score == pytest.approx(by_path.score)
    assert clearsight.compare(face, photos["crop_b"]).score == pytest.approx(by_path.score)


def test_faces_lists_each_face_with_box_landmarks_and_quality(photos: dict[str, Path]) -> None:
    found = clearsight.faces(photos["two"])
    assert len(found) == 2 and found[0].width >= found[1].width  # largest first
    for face in found:
        x1, y1, x2, y2 = face.box
        assert x2 - x1 > 60 and y2 - y1 > 60 and face.width == x2 - x1
        assert face.landmarks.shape == (5, 2)
        inside = (face.landmarks[:, 0] >= x1) & (face.landmarks[:, 0] <= x2)
        assert bool(inside.all())
        assert face.quality.usable and face.detection_score > 0.5
    # The left face is the right one mirrored: the same person.
    left, right = sorted(found, key=lambda f: f.box[0])
    assert left.box[2] <= right.box[0]
    assert clearsight.compare(left, right).same
    assert clearsight.faces(photos["wall"]) == []


def test_no_face_and_several_faces_say_which_image(photos: dict[str, Path]) -> None:
    with pytest.raises(EnrollmentError, match=r"wall\.png: no face found"):
        clearsight.compare(photos["crop_a"], photos["wall"])
    with pytest.raises(EnrollmentError, match=r"two\.png: 2 faces found"):
        clearsight.compare(photos["two"], photos["crop_a"])
    wall = np.full((200, 200, 3), 90, np.uint8)
    with pytest.raises(EnrollmentError, match="second image: no face found"):
        clearsight.compare(photos["crop_a"], wall)


def test_bad_images_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"missing\.jpg: no such file"):
        clearsight.load_image(tmp_path / "missing.jpg")
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))
    with pytest.raises(ImageError, match=r"corrupt\.jpg"):
        clearsight.faces(corrupt)
    with pytest.raises(ImageError, match=r"first image: expected RGB uint8 pixels"):
        clearsight.compare(np.zeros((10, 10), np.float32), corrupt)
    with pytest.raises(InputError, match="expected an image file's path or RGB pixels"):
        clearsight.faces(42)  # type: ignore[arg-type]


def test_watchlist_enrol_list_and_remove(photos: dict[str, Path], tmp_path: Path) -> None:
    watchlist = clearsight.Watchlist(tmp_path / "w.db")
    assert len(watchlist) == 0 and watchlist.names() == []
    assert not watchlist.path.exists()  # reading a watchlist that does not exist creates none
    subject = watchlist.enroll("Eileen Collins", photos["collins"])
    assert subject.name == "Eileen Collins" and subject.templates == 1
    # The same photo again adds no template; another photo (as pixels) does.
    again = watchlist.enroll("Eileen Collins", [photos["collins"], demo_portraits()[0].image])
    assert again.subject_id == subject.subject_id and again.templates == 2
    watchlist.enroll("Grace Hopper", [photos["hopper"]])
    assert watchlist.names() == ["Eileen Collins", "Grace Hopper"] and len(watchlist) == 2
    assert "Grace Hopper" in watchlist and "Nobody" not in watchlist
    assert watchlist.remove("Grace Hopper") and not watchlist.remove("Grace Hopper")
    assert watchlist.names() == ["Eileen Collins"]


def test_enrolment_writes_nothing_unless_every_photo_is_usable(
    photos: dict[str, Path], tmp_path: Path
) -> None:
    watchlist = clearsight.Watchlist(tmp_path / "w.db")
    with pytest.raises(EnrollmentError, match=r"wall\.png: no face found"):
        watchlist.enroll("Eileen Collins", [photos["collins"], photos["wall"]])
    assert len(watchlist) == 0
    with pytest.raises(InputError, match="no reference photo"):
        watchlist.enroll("Eileen Collins", [])
    with pytest.raises(InputError, match="needs a name"):
        watchlist.enroll("  ", [photos["collins"]])


def test_enrol_then_watch_alerts_for_the_enrolled_person_only(
    demo_clip: Path, tmp_path: Path
) -> None:
    collins = demo_portraits()[0]  # Grace Hopper, also in the clip, is not enrolled
    watchlist = clearsight.Watchlist(tmp_path / "w.db")
    watchlist.enroll(collins.name, [collins.image])
    frames = []
    with clearsight.watch(demo_clip, watchlist, on_frame=frames.append) as run:
        alerts = list(run)
    assert [a.subject_name for a in alerts] == [collins.name]
    alert = alerts[0]
    assert alert.operating_point == run.point and alert.score >= run.point.threshold
    summary = run.summary
    assert summary.alerts == 1 and summary.tracks == 2 and summary.frames == len(frames) > 0


def test_watch_uses_the_watchlists_config(
    photos: dict[str, Path], demo_clip: Path, tmp_path: Path
) -> None:
    pooled = ClearsightConfig(match=MatchConfig(rule="pooled"))
    watchlist = clearsight.Watchlist(tmp_path / "w.db", pooled)
    watchlist.enroll("Eileen Collins", photos["collins"])
    with clearsight.watch(demo_clip, watchlist) as run:
        assert run.point.rule == "pooled"
    with clearsight.watch(demo_clip, watchlist.path) as run:
        assert run.point.rule == "every-group"
    with clearsight.watch(str(demo_clip), watchlist, ClearsightConfig()) as run:
        assert run.point.rule == "every-group"


def test_watch_refuses_a_missing_watchlist(demo_clip: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.db: no such watchlist file"):
        clearsight.watch(demo_clip, tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()


def _readme_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Use it as a library\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def _run_example(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_readme_has_the_two_library_examples() -> None:
    compare_example, watch_example = _readme_examples()
    assert len(compare_example.strip().splitlines()) == 3
    assert "clearsight.watch(" in watch_example


def test_readme_compare_example_runs(datasets_dir: Path, tmp_path: Path) -> None:
    """The README's three lines, verbatim, on Obama's and Biden's photos; without the data
    sets the demo's two portraits stand in under those names (also two different people)."""
    compare_example = _readme_examples()[0]
    clips = datasets_dir / "clips"
    if (clips / "obama.jpg").is_file() and (clips / "biden.jpg").is_file():
        for name in ("obama.jpg", "biden.jpg"):
            (tmp_path / name).write_bytes((clips / name).read_bytes())
    else:
        for portrait, name in zip(demo_portraits(), ("obama.jpg", "biden.jpg"), strict=True):
            Image.fromarray(portrait.image).save(tmp_path / name)
    result = _run_example(compare_example, tmp_path)
    assert result.returncode == 0, result.stderr
    same, score, fmr = re.fullmatch(
        r"(True|False) score (\S+) estimated FMR (\S+)\n", result.stdout
    ).groups()  # type: ignore[union-attr]
    assert same == "False" and float(score) < create_models(ClearsightConfig()).point.threshold
    assert float(fmr) > 0


def test_readme_watch_example_runs(demo_clip: Path, tmp_path: Path) -> None:
    """The README's watchlist example, verbatim, on the files the demo commands write."""
    write_demo_photos(tmp_path / "photos")
    (tmp_path / "demo-camera.mp4").write_bytes(demo_clip.read_bytes())
    result = _run_example(_readme_examples()[1], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Eileen Collins score ")

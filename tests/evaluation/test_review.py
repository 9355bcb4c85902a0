"""Reviewing a calibration set's top "impostor" pairs: two reviewers, not a model, decide."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from clearsight.cli import main
from clearsight.errors import InputError
from clearsight.evaluation import (
    ImageSet,
    every_group_threshold,
    load_verdicts,
    merge_confirmed,
    top_impostor_pairs,
    write_review_csv,
    write_review_sheet,
)


def _verdicts(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["group", "image_a", "image_b", "verdict", "reviewer"])
        for a, b, verdict, reviewer in rows:
            writer.writerow(["g", a, b, verdict, reviewer])
    return path


def _images(base: Path, count: int, groups: tuple[str, ...] = ("a",)) -> ImageSet:
    return ImageSet(
        paths=tuple(base / f"{i}.jpg" for i in range(count)),
        subjects=tuple(f"s{i}" for i in range(count)),
        labels={"cell": tuple(groups[i % len(groups)] for i in range(count))},
    )


def test_a_pair_is_one_person_only_when_two_reviewers_say_so_and_nobody_disagrees(
    tmp_path: Path,
) -> None:
    one = _verdicts(
        tmp_path / "ana.csv",
        [
            ("0.jpg", "1.jpg", "same", "Ana"),
            ("2.jpg", "3.jpg", "same", "Ana"),
            ("4.jpg", "5.jpg", "same", "Ana"),
            ("6.jpg", "7.jpg", "", ""),  # not reviewed yet: skipped
        ],
    )
    two = _verdicts(
        tmp_path / "ben.csv",
        [
            ("1.jpg", "0.jpg", "SAME", "Ben"),  # either order, any case
            ("2.jpg", "3.jpg", "unsure", "Ben"),
        ],
    )
    also_ana = _verdicts(tmp_path / "ana2.csv", [("4.jpg", "5.jpg", "same", "ana")])
    verdicts = load_verdicts([one, two, also_ana])
    # 0/1: two reviewers agree. 2/3: one is unsure, so it stays an impostor pair.
    # 4/5: the same reviewer twice (name in another case) is one reviewer.
    assert verdicts.confirmed_same() == [("0.jpg", "1.jpg")]
    assert [name for name, _ in verdicts.files] == ["ana.csv", "ben.csv", "ana2.csv"]
    assert all(len(digest) == 64 for _, digest in verdicts.files)
    assert "1 pair(s) judged the same person" in verdicts.describe()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("0.jpg", "1.jpg", "maybe", "Ana")], "not one of same, different, unsure"),
        ([("0.jpg", "1.jpg", "same", "")], "needs the reviewer's name"),
        ([("0.jpg", "0.jpg", "same", "Ana")], "two different images"),
        (
            [("0.jpg", "1.jpg", "same", "Ana"), ("1.jpg", "0.jpg", "different", "Ana")],
            "judged 1.jpg / 0.jpg 'different' here and 'same' at",
        ),
    ],
)
def test_bad_verdict_files_are_refused_naming_the_line(
    tmp_path: Path, rows: list[tuple[str, str, str, str]], message: str
) -> None:
    path = _verdicts(tmp_path / "v.csv", rows)
    with pytest.raises(InputError, match=r"v\.csv:\d") as error:
        load_verdicts([path])
    assert message in str(error.value)


def test_verdict_files_that_are_missing_or_lack_columns_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such verdict file"):
        load_verdicts([tmp_path / "none.csv"])
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("image_a,image_b,verdict\nx,y,same\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"lacks column.*reviewer"):
        load_verdicts([wrong])


def test_confirmed_pairs_merge_transitively_and_unknown_images_are_refused(
    tmp_path: Path,
) -> None:
    images = _images(tmp_path, 6)
    rows = [("0.jpg", "1.jpg"), ("1.jpg", "2.jpg")]
    files = [
        _verdicts(tmp_path / f"{who}.csv", [(a, b, "same", who) for a, b in rows])
        for who in ("Ana", "Ben")
    ]
    merged, summary = merge_confirmed(images, load_verdicts(files), tmp_path)
    assert merged.subjects[:3] == ("s0", "s0", "s0")
    assert merged.subjects[3:] == images.subjects[3:]
    assert (summary.pairs, summary.images) == (2, 2)
    stranger = [
        _verdicts(tmp_path / f"x{who}.csv", [("0.jpg", "9.jpg", "same", who)])
        for who in ("Ana", "Ben")
    ]
    with pytest.raises(InputError, match=r"9\.jpg is not an image of the manifest"):
        merge_confirmed(images, load_verdicts(stranger), tmp_path)


def _planted(count: int = 40, seed: int = 3) -> npt.NDArray[np.float32]:
    """Random unit vectors (impostor-like scores near 0) with 0 and 1 near-identical."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(count, 64)).astype(np.float32)
    vectors[1] = vectors[0] + 0.05 * rng.normal(size=64).astype(np.float32)
    unit: npt.NDArray[np.float32] = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit


def test_top_pairs_lists_each_groups_highest_cross_subject_pairs_and_skips_settled_ones(
    tmp_path: Path,
) -> None:
    vectors = _planted()
    images = _images(tmp_path, len(vectors))
    found = top_impostor_pairs(images, vectors, "cell", 3)
    assert [c.rank for c in found] == [1, 2, 3]
    scores = [c.score for c in found]
    assert scores == sorted(scores, reverse=True)
    assert {found[0].image_a.name, found[0].image_b.name} == {"0.jpg", "1.jpg"}
    scores_all = vectors @ vectors.T
    third = np.sort(scores_all[np.triu_indices(len(vectors), 1)])[-3]
    assert scores[2] == pytest.approx(third, abs=1e-4)
    # Two images of one subject are never listed.
    same_subject = ImageSet(images.paths, ("s0", "s0", *images.subjects[2:]), images.labels)
    assert all(
        {c.image_a.name, c.image_b.name} != {"0.jpg", "1.jpg"}
        for c in top_impostor_pairs(same_subject, vectors, "cell", 3)
    )
    # Settled by two reviewers (either way): the next pairs move up.
    files = [
        _verdicts(tmp_path / f"{who}.csv", [("0.jpg", "1.jpg", "different", who)])
        for who in ("Ana", "Ben")
    ]
    later = top_impostor_pairs(images, vectors, "cell", 3, load_verdicts(files), tmp_path)
    pairs = [(c.image_a, c.image_b) for c in later]
    assert pairs[:2] == [(c.image_a, c.image_b) for c in found[1:]]
    assert (found[0].image_a, found[0].image_b) not in pairs and len(pairs) == 3
    # One reviewer so far: still listed, with the verdict shown.
    single = top_impostor_pairs(images, vectors, "cell", 1, load_verdicts(files[:1]), tmp_path)
    assert single[0].reviews == ("Ana: different",)


def test_a_confirmed_pair_no_longer_raises_the_every_group_threshold(tmp_path: Path) -> None:
    # 200 people, 19,900 pairs: with no pair at or above a score the upper bound stays
    # under 5e-4 there; with the one planted pair (0.999) above it, it does not.
    vectors = _planted(count=200)
    images = _images(tmp_path, len(vectors))
    before, _ = every_group_threshold(images, vectors, "cell", 5e-4, 1, 20, 0)
    files = [
        _verdicts(tmp_path / f"{who}.csv", [("0.jpg", "1.jpg", "same", who)])
        for who in ("Ana", "Ben")
    ]
    merged, _ = merge_confirmed(images, load_verdicts(files), tmp_path)
    after, _ = every_group_threshold(merged, vectors, "cell", 5e-4, 1, 20, 0)
    assert before > 0.9  # the near-identical pair sets it
    assert after < before - 0.3


def test_review_files_name_images_as_the_manifest_does(tmp_path: Path) -> None:
    vectors = _planted(count=8)
    images = _images(tmp_path / "set", len(vectors))
    (tmp_path / "set").mkdir()
    found = top_impostor_pairs(images, vectors, "cell", 2)
    with pytest.raises(InputError, match=r"0\.jpg: cannot read the image"):
        write_review_sheet(tmp_path / "sheet.html", found, tmp_path / "set", "pairs")
    for path in images.paths:
        path.write_bytes(b"\xff\xd8\xff\xe0 jpeg-ish bytes")
    write_review_sheet(tmp_path / "sheet.html", found, tmp_path / "set", "pairs <review>")
    page = (tmp_path / "sheet.html").read_text(encoding="utf-8")
    assert page.count("data:image/jpeg;base64,") == 4 and "<script" not in page
    assert "pairs &lt;review&gt;" in page and f"{found[0].score:.4f}" not in page
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"a-file/pairs\.csv: cannot write"):
        write_review_csv(blocked / "pairs.csv", found, tmp_path / "set")
    write_review_csv(tmp_path / "pairs.csv", found, tmp_path / "set")
    rows = list(csv.DictReader((tmp_path / "pairs.csv").open(encoding="utf-8")))
    assert [r["image_a"] for r in rows] == [c.image_a.name for c in found]
    assert all(r["verdict"] == "" and r["reviewer"] == "" for r in rows)


def _run(arguments: list[str]) -> int | str | None:
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    return exit_info.value.code


def test_top_pairs_and_calibrate_read_reviewers_files_from_the_command_line(
    datasets_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = datasets_dir / "calibration"
    if not (source / "manifest.csv").is_file():
        pytest.skip(f"calibration set not found at {source}")
    with (source / "manifest.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["race"] == "asian"][:6]
    rows += [r for r in csv.DictReader((source / "manifest.csv").open()) if r["race"] == "black"][
        :6
    ]
    folder = tmp_path / "set"
    for row in rows:
        (folder / row["path"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / row["path"], folder / row["path"])
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    common = ["--manifest", str(folder / "manifest.csv"), "--cache", str(tmp_path / "cache")]
    first = ["--out", str(tmp_path / "pairs.csv"), "--html", str(tmp_path / "pairs.html")]
    code = _run(["eval", "top-pairs", *common, "--attribute", "race", "--per-group", "2", *first])
    assert code == 0
    listed = list(csv.DictReader((tmp_path / "pairs.csv").open(encoding="utf-8")))
    assert [(r["group"], r["rank"]) for r in listed] == [
        ("asian", "1"),
        ("asian", "2"),
        ("black", "1"),
        ("black", "2"),
    ]
    assert "wrote" in capsys.readouterr().out
    # Both reviewers call the top Asian pair one person: it is skipped next round.
    for who in ("Ana", "Ben"):
        filled = [
            dict(r, verdict="same" if i == 0 else "", reviewer=who) for i, r in enumerate(listed)
        ]
        with (tmp_path / f"{who}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(filled[0]))
            writer.writeheader()
            writer.writerows(filled)
    reviewed = [
        "--same-person",
        str(tmp_path / "Ana.csv"),
        "--same-person",
        str(tmp_path / "Ben.csv"),
    ]
    second = ["--out", str(tmp_path / "next.csv"), *reviewed]
    code = _run(["eval", "top-pairs", *common, "--attribute", "race", "--per-group", "1", *second])
    assert code == 0
    assert "1 pair(s) judged the same person" in capsys.readouterr().out
    again = list(csv.DictReader((tmp_path / "next.csv").open(encoding="utf-8")))
    assert (again[0]["image_a"], again[0]["image_b"]) == (
        listed[1]["image_a"],
        listed[1]["image_b"],
    )
    # A verdict file without a manifest is refused in one line.
    code = _run(["calibrate", str(tmp_path), "--same-person", str(tmp_path / "Ana.csv")])
    assert code == 2
    assert "--same-person applies to a --manifest" in capsys.readouterr().err

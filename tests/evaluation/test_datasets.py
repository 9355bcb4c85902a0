"""pairs.txt parsing, CSV manifests and the LFW label adapter, on tiny files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from clearsight.errors import InputError
from clearsight.evaluation import group_images, lfw_labelled_images, load_manifest, parse_pairs


def _write_pairs(path: Path) -> None:
    path.write_text(
        "2\t1\nAnn_A\t1\t2\nAnn_A\t1\tBob_B\t1\nBob_B\t1\t3\nCy_C\t2\tAnn_A\t2\n",
        encoding="utf-8",
    )


def test_parse_pairs_folds_and_unique_images(tmp_path: Path) -> None:
    _write_pairs(tmp_path / "pairs.txt")
    protocol = parse_pairs(tmp_path / "pairs.txt")
    assert protocol.folds == 2
    assert protocol.same.tolist() == [True, False, True, False]
    assert protocol.fold.tolist() == [0, 0, 1, 1]
    names = [p.name for p in protocol.images]
    assert names == [
        "Ann_A_0001.jpg",
        "Ann_A_0002.jpg",
        "Bob_B_0001.jpg",
        "Bob_B_0003.jpg",
        "Cy_C_0002.jpg",
    ]
    assert protocol.images[0] == tmp_path / "images" / "Ann_A" / "Ann_A_0001.jpg"
    # Pair 2 is Ann_A_0001 vs Bob_B_0001; pair 4 is Cy_C_0002 vs Ann_A_0002.
    assert (int(protocol.left[1]), int(protocol.right[1])) == (0, 2)
    assert (int(protocol.left[3]), int(protocol.right[3])) == (4, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2 1\nAnn_A 1 2\n", "header promises"),
        ("x y\nAnn_A 1 2\nAnn_A 1 Bob 1\n", "header"),
        ("1 1\nAnn_A 1 two\nAnn_A 1 Bob 1\n", "NAME i j"),
        ("1 1\nAnn_A 1 Bob 1\nAnn_A 1 2\n", "out of order"),
        ("", "empty"),
    ],
)
def test_parse_pairs_rejects_bad_files_with_line_numbers(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "pairs.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as error:
        parse_pairs(path)
    assert str(path) in str(error.value)


def test_parse_pairs_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no pairs file"):
        parse_pairs(tmp_path / "pairs.txt")


def test_manifest_relative_paths_and_labels(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(
        "path,subject,sex\na.jpg,s1,female\n/abs/b.jpg,s2,male\n", encoding="utf-8"
    )
    images = load_manifest(tmp_path / "m.csv")
    assert images.paths == (tmp_path / "a.jpg", Path("/abs/b.jpg"))
    assert images.subjects == ("s1", "s2")
    assert images.labels == {"sex": ("female", "male")}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("file,subject\na.jpg,s1\n", "lacks column"),
        ("path,subject\n", "no rows"),
        ("path,subject\n,s1\n", ":2: empty path"),
    ],
)
def test_manifest_errors(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "m.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_manifest(tmp_path / "m.csv")


def _tiny_lfw(root: Path) -> None:
    for name, count in (("Ann_A", 2), ("Bob_B", 1), ("Cy_C", 1), ("Di_D", 1)):
        folder = root / "images" / name
        folder.mkdir(parents=True)
        for i in range(1, count + 1):
            (folder / f"{name}_{i:04d}.jpg").write_bytes(b"x")
    labels = root / "labels"
    labels.mkdir()
    # CRLF endings, one line without the .jpg suffix, Cy_C in both lists, Di_D in neither.
    (labels / "female_names.txt").write_bytes(b"Ann_A_0001.jpg\r\nAnn_A_0002\r\nCy_C_0001.jpg\r\n")
    (labels / "male_names.txt").write_bytes(b"Bob_B_0001.jpg\r\nCy_C_0001.jpg\r\n")
    (labels / "race_by_person.json").write_text(
        json.dumps({"Ann_A": "eastasian", "Bob_B": "african,caucasian"}), encoding="utf-8"
    )


def test_lfw_label_adapter(tmp_path: Path) -> None:
    _tiny_lfw(tmp_path)
    images, notes = lfw_labelled_images(tmp_path)
    assert images.subjects == ("Ann_A", "Ann_A", "Bob_B", "Cy_C", "Di_D")
    assert images.labels["sex"] == ("female", "female", "male", "", "")
    assert notes.sex_in_both_lists == 1
    assert notes.sex_unlabelled_images == 1
    assert images.labels["race"] == ("eastasian", "eastasian", "african,caucasian", "", "")


def test_multi_valued_labels_separate_or_each(tmp_path: Path) -> None:
    _tiny_lfw(tmp_path)
    images, _ = lfw_labelled_images(tmp_path)
    separate, note = group_images(images, "race", "separate")
    assert sorted(separate) == ["eastasian", "multiple"]
    assert separate["multiple"].tolist() == [False, False, True, False, False]
    assert "2 images without a race label" in note and "own group" in note
    each, _ = group_images(images, "race", "each")
    assert sorted(each) == ["african", "caucasian", "eastasian"]
    assert each["african"].tolist() == each["caucasian"].tolist()
    with pytest.raises(InputError, match="no label column 'age'"):
        group_images(images, "age", "each")
    assert np.sum(separate["eastasian"]) == 2

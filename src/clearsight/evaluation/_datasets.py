"""Datasets for evaluation: LFW's layout and protocol files, and CSV manifests.

LFW keeps one folder per person, ``images/NAME/NAME_NNNN.jpg``, and its View 2 protocol in
``pairs.txt``: a header ``10 300`` then, per fold, 300 same-person lines ``NAME i j`` and 300
different-person lines ``NAME1 i NAME2 j``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clearsight.errors import InputError

__all__ = [
    "ImageSet",
    "PairProtocol",
    "lfw_image_path",
    "list_lfw_images",
    "load_manifest",
    "parse_pairs",
]


def lfw_image_path(root: Path, name: str, number: int) -> Path:
    return root / "images" / name / f"{name}_{number:04d}.jpg"


@dataclass(frozen=True, eq=False)
class PairProtocol:
    """Verification pairs as parallel arrays over a list of unique image paths."""

    images: tuple[Path, ...]
    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    same: npt.NDArray[np.bool_]
    fold: npt.NDArray[np.int64]
    folds: int

    def __len__(self) -> int:
        return len(self.same)


def _pair_line(fields: list[str], where: str) -> tuple[str, int, str, int, bool]:
    try:
        if len(fields) == 3:
            return fields[0], int(fields[1]), fields[0], int(fields[2]), True
        if len(fields) == 4:
            return fields[0], int(fields[1]), fields[2], int(fields[3]), False
    except ValueError:
        pass
    raise InputError(f"{where}: expected 'NAME i j' or 'NAME1 i NAME2 j', got {' '.join(fields)!r}")


def parse_pairs(path: Path, root: Path | None = None) -> PairProtocol:
    """LFW ``pairs.txt`` (View 2, or View 1's single-set files with a one-number header)."""
    root = path.parent if root is None else root
    try:
        lines = [line.split() for line in path.read_text(encoding="utf-8").splitlines()]
    except FileNotFoundError as error:
        raise InputError(f"{path}: no pairs file (expected LFW's pairs.txt)") from error
    lines = [fields for fields in lines if fields]
    if not lines:
        raise InputError(f"{path}: empty pairs file")
    header = lines[0]
    try:
        if len(header) == 2:
            folds, per_half = int(header[0]), int(header[1])
        else:
            folds, per_half = 1, int(header[0])
    except (ValueError, IndexError) as error:
        raise InputError(
            f"{path}:1: header must be 'FOLDS PAIRS_PER_HALF', got {header}"
        ) from error
    body = lines[1:]
    if len(body) != folds * per_half * 2:
        raise InputError(
            f"{path}: header promises {folds} folds of {2 * per_half} pairs "
            f"({folds * per_half * 2} lines), found {len(body)}"
        )
    index: dict[Path, int] = {}
    left: list[int] = []
    right: list[int] = []
    same: list[bool] = []
    fold: list[int] = []
    for number, fields in enumerate(body):
        name_a, i, name_b, j, is_same = _pair_line(fields, f"{path}:{number + 2}")
        expected_same = (number % (2 * per_half)) < per_half
        if is_same != expected_same:
            raise InputError(f"{path}:{number + 2}: pair kind out of order for fold layout")
        for name, image, target in ((name_a, i, left), (name_b, j, right)):
            image_path = lfw_image_path(root, name, image)
            target.append(index.setdefault(image_path, len(index)))
        same.append(is_same)
        fold.append(number // (2 * per_half))
    return PairProtocol(
        images=tuple(index),
        left=np.asarray(left, np.int64),
        right=np.asarray(right, np.int64),
        same=np.asarray(same, np.bool_),
        fold=np.asarray(fold, np.int64),
        folds=folds,
    )


@dataclass(frozen=True, eq=False)
class ImageSet:
    """Images with the subject each shows and optional per-image labels (e.g. sex, race)."""

    paths: tuple[Path, ...]
    subjects: tuple[str, ...]
    labels: dict[str, tuple[str, ...]]
    """Column name -> one label per image ('' when unknown)."""

    def __post_init__(self) -> None:
        if len(self.paths) != len(self.subjects):
            raise ValueError("ImageSet.paths and subjects must have equal length")
        for column, values in self.labels.items():
            if len(values) != len(self.paths):
                raise ValueError(f"ImageSet.labels[{column!r}] has the wrong length")

    def __len__(self) -> int:
        return len(self.paths)

    def subset(self, keep: npt.NDArray[np.bool_]) -> ImageSet:
        rows = np.flatnonzero(keep)
        return ImageSet(
            paths=tuple(self.paths[i] for i in rows),
            subjects=tuple(self.subjects[i] for i in rows),
            labels={key: tuple(values[i] for i in rows) for key, values in self.labels.items()},
        )


def list_lfw_images(root: Path) -> ImageSet:
    """Every image of an LFW folder, sorted by person then number."""
    folder = root / "images"
    if not folder.is_dir():
        raise InputError(f"{root}: not an LFW folder (no images/ subfolder)")
    paths = sorted(folder.glob("*/*.jpg"))
    if not paths:
        raise InputError(f"{folder}: no NAME/NAME_NNNN.jpg images found")
    return ImageSet(paths=tuple(paths), subjects=tuple(p.parent.name for p in paths), labels={})


def load_manifest(path: Path) -> ImageSet:
    """A CSV with columns ``path`` and ``subject`` and any label columns; paths are relative
    to the CSV's folder unless absolute."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = list(reader.fieldnames or [])
            rows = list(reader)
    except FileNotFoundError as error:
        raise InputError(f"{path}: no such manifest") from error
    except (UnicodeDecodeError, csv.Error) as error:
        raise InputError(f"{path}: not a readable CSV ({error})") from error
    missing = [name for name in ("path", "subject") if name not in columns]
    if missing:
        raise InputError(f"{path}: manifest lacks column(s) {', '.join(missing)}; has {columns}")
    if not rows:
        raise InputError(f"{path}: manifest has no rows")
    paths, subjects = [], []
    for number, row in enumerate(rows, start=2):
        image, subject = (row.get("path") or "").strip(), (row.get("subject") or "").strip()
        if not image or not subject:
            raise InputError(f"{path}:{number}: empty path or subject")
        image_path = Path(image)
        paths.append(image_path if image_path.is_absolute() else path.parent / image_path)
        subjects.append(subject)
    label_columns = [c for c in columns if c not in ("path", "subject")]
    labels = {c: tuple((row.get(c) or "").strip() for row in rows) for c in label_columns}
    return ImageSet(paths=tuple(paths), subjects=tuple(subjects), labels=labels)

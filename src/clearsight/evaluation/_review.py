"""Human review of a calibration set's highest-scoring "impostor" pairs.

A demographically labelled set without identity labels (UTKFace has none) treats every image
as a different person. Where two images in fact show one person, their pair counts as a
false match, and the highest-scoring pairs, which set a group's threshold at a low target,
are where such pairs gather: a good model scores them like the mated pairs they are. The
every-group threshold then rises for the data's sake, not the model's, and listed people are
missed for nothing.

No model may decide which of those pairs are one person: the model being calibrated would
remove exactly its own false matches, and another model's errors are correlated with its
own (both fail most on the same groups). People decide, two of them, as for an alert:

1. ``top_impostor_pairs`` lists each group's highest-scoring cross-subject pairs, which
   ``write_review_sheet`` lays out side by side in one self-contained HTML page and
   ``write_review_csv`` in a CSV with empty ``verdict`` and ``reviewer`` columns.
2. Each reviewer fills in their own copy: ``same``, ``different`` or ``unsure``.
3. ``load_verdicts`` reads every reviewer's file; ``merge_confirmed`` gives the images of a
   pair the same subject only where at least two different reviewers said ``same`` and
   nobody said otherwise. Anything less leaves the pair an impostor pair, so a doubtful
   case keeps the threshold strict rather than lenient.

The card records how many pairs were merged and the SHA-256 of each verdict file.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from clearsight.errors import InputError
from clearsight.evaluation._datasets import ImageSet
from clearsight.evaluation._fairness import group_images
from clearsight.evaluation._report import write_text_file

__all__ = [
    "MIN_REVIEWERS",
    "MergeSummary",
    "PairVerdict",
    "ReviewCandidate",
    "Verdicts",
    "load_verdicts",
    "merge_confirmed",
    "top_impostor_pairs",
    "write_review_csv",
    "write_review_sheet",
]

MIN_REVIEWERS = 2
"""Different people who must each judge a pair ``same`` before it stops counting as impostor."""

Verdict = Literal["same", "different", "unsure"]
_VERDICTS: tuple[Verdict, ...] = ("same", "different", "unsure")
REVIEW_COLUMNS = ("group", "rank", "score", "image_a", "image_b", "verdict", "reviewer")
_BLOCK = 512


def _image_path(name: str, base: Path | None) -> Path:
    """A verdict file's image name as the manifest's paths are: relative to ``base``."""
    path = Path(name)
    return path if path.is_absolute() or base is None else base / path


def _pair_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class PairVerdict:
    image_a: str
    image_b: str
    verdict: Verdict
    reviewer: str
    where: str
    """File and line it was read from, for error messages."""


@dataclass(frozen=True)
class Verdicts:
    """Every reviewer's verdicts, and the files they came from (name, SHA-256)."""

    items: tuple[PairVerdict, ...]
    files: tuple[tuple[str, str], ...]

    def by_pair(self) -> dict[tuple[str, str], list[PairVerdict]]:
        found: dict[tuple[str, str], list[PairVerdict]] = defaultdict(list)
        for item in self.items:
            found[_pair_key(item.image_a, item.image_b)].append(item)
        return dict(found)

    def confirmed_same(self) -> list[tuple[str, str]]:
        """Pairs that ``MIN_REVIEWERS`` different reviewers judged ``same``, none otherwise."""
        confirmed = []
        for pair, items in sorted(self.by_pair().items()):
            if any(item.verdict != "same" for item in items):
                continue
            if len({item.reviewer.casefold() for item in items}) >= MIN_REVIEWERS:
                confirmed.append(pair)
        return confirmed

    def describe(self) -> str:
        files = ", ".join(f"{name} (sha256 {digest[:12]})" for name, digest in self.files)
        return (
            f"{len(self.confirmed_same())} pair(s) judged the same person by at least "
            f"{MIN_REVIEWERS} reviewers (of {len(self.by_pair())} reviewed) were taken as one "
            f"person, not as an impostor pair; verdicts from {files}"
        )


def load_verdicts(files: Sequence[Path]) -> Verdicts:
    """Read reviewers' CSV files (columns ``image_a``, ``image_b``, ``verdict``,
    ``reviewer``; others, such as the sheet's ``group`` and ``score``, are ignored). Rows
    with an empty verdict are pairs not yet reviewed and are skipped."""
    items: list[PairVerdict] = []
    digests: list[tuple[str, str]] = []
    for path in files:
        try:
            data = path.read_bytes()
        except FileNotFoundError as error:
            raise InputError(f"{path}: no such verdict file") from error
        except OSError as error:
            raise InputError(f"{path}: cannot read the verdict file ({error})") from error
        digests.append((path.name, hashlib.sha256(data).hexdigest()))
        try:
            reader = csv.DictReader(data.decode("utf-8-sig").splitlines())
            columns = list(reader.fieldnames or [])
            rows = list(reader)
        except (UnicodeDecodeError, csv.Error) as error:
            raise InputError(f"{path}: not a readable CSV ({error})") from error
        missing = [c for c in ("image_a", "image_b", "verdict", "reviewer") if c not in columns]
        if missing:
            raise InputError(f"{path}: verdict file lacks column(s) {', '.join(missing)}")
        for number, row in enumerate(rows, start=2):
            where = f"{path}:{number}"
            verdict = (row.get("verdict") or "").strip().lower()
            if not verdict:
                continue
            if verdict not in _VERDICTS:
                raise InputError(
                    f"{where}: verdict {verdict!r} is not one of {', '.join(_VERDICTS)}"
                )
            a, b = (row.get("image_a") or "").strip(), (row.get("image_b") or "").strip()
            reviewer = (row.get("reviewer") or "").strip()
            if not a or not b or a == b:
                raise InputError(f"{where}: needs two different images in image_a and image_b")
            if not reviewer:
                raise InputError(f"{where}: a verdict needs the reviewer's name")
            items.append(PairVerdict(a, b, verdict, reviewer, where))
    _refuse_contradictions(items)
    return Verdicts(tuple(items), tuple(digests))


def _refuse_contradictions(items: list[PairVerdict]) -> None:
    seen: dict[tuple[tuple[str, str], str], PairVerdict] = {}
    for item in items:
        key = (_pair_key(item.image_a, item.image_b), item.reviewer.casefold())
        earlier = seen.setdefault(key, item)
        if earlier.verdict != item.verdict:
            raise InputError(
                f"{item.where}: {item.reviewer} judged {item.image_a} / {item.image_b} "
                f"{item.verdict!r} here and {earlier.verdict!r} at {earlier.where}"
            )


@dataclass(frozen=True)
class MergeSummary:
    pairs: int
    """Confirmed same-person pairs applied."""
    images: int
    """Images whose subject changed."""


def merge_confirmed(
    images: ImageSet, verdicts: Verdicts, base: Path
) -> tuple[ImageSet, MergeSummary]:
    """``images`` with the two images of every confirmed pair (and so, transitively, every
    image linked to them) given one subject. Verdict paths are as the manifest writes them:
    relative to ``base`` (the manifest's folder) unless absolute."""
    index = {path: row for row, path in enumerate(images.paths)}
    parent = list(range(len(images)))

    def root(row: int) -> int:
        while parent[row] != row:
            parent[row] = parent[parent[row]]
            row = parent[row]
        return row

    confirmed = verdicts.confirmed_same()
    where = {_pair_key(i.image_a, i.image_b): i.where for i in verdicts.items}
    for a, b in confirmed:
        rows = []
        for name in (a, b):
            path = _image_path(name, base)
            if path not in index:
                raise InputError(f"{where[(a, b)]}: {name} is not an image of the manifest")
            rows.append(index[path])
        parent[root(rows[0])] = root(rows[1])
    members: dict[int, list[int]] = defaultdict(list)
    for row in range(len(images)):
        members[root(row)].append(row)
    subjects = list(images.subjects)
    for rows in members.values():
        if len(rows) > 1:
            merged = min(images.subjects[row] for row in rows)
            for row in rows:
                subjects[row] = merged
    changed = sum(a != b for a, b in zip(subjects, images.subjects, strict=True))
    merged_set = ImageSet(paths=images.paths, subjects=tuple(subjects), labels=images.labels)
    return merged_set, MergeSummary(pairs=len(confirmed), images=changed)


@dataclass(frozen=True)
class ReviewCandidate:
    group: str
    rank: int
    score: float
    image_a: Path
    image_b: Path
    reviews: tuple[str, ...]
    """Verdicts already given for this pair (``reviewer: verdict``)."""


def top_impostor_pairs(
    images: ImageSet,
    vectors: npt.NDArray[np.float32],
    attribute: str,
    per_group: int,
    verdicts: Verdicts | None = None,
    base: Path | None = None,
) -> list[ReviewCandidate]:
    """Each group's ``per_group`` highest-scoring pairs of two different subjects (after any
    confirmed merges), best first; pairs already confirmed either way by enough reviewers are
    skipped, so a second round of review shows the next ones."""
    masks, _ = group_images(images, attribute, "separate")
    usable = ~np.isnan(vectors).any(axis=1)
    _, subject_ids = np.unique(np.asarray(images.subjects), return_inverse=True)
    reviews = _reviews_by_path(verdicts, base)
    settled = {pair for pair, items in reviews.items() if _settled(items)}
    found: list[ReviewCandidate] = []
    for group, mask in masks.items():
        rows = np.flatnonzero(mask & usable)
        best: list[tuple[float, int, int]] = []
        want = per_group + len(settled)
        group_vectors = vectors[rows]
        for start in range(0, len(rows), _BLOCK):
            scores = group_vectors[start : start + _BLOCK] @ group_vectors.T
            local = np.arange(start, min(start + _BLOCK, len(rows)))
            # Each pair once (upper triangle), never two images of one subject.
            scores[np.arange(len(rows))[None, :] <= local[:, None]] = -np.inf
            scores[subject_ids[rows[local]][:, None] == subject_ids[rows][None, :]] = -np.inf
            flat = scores.ravel()
            take = min(want, int(np.isfinite(flat).sum()))
            if take == 0:
                continue
            top = np.argpartition(-flat, take - 1)[:take]
            width = scores.shape[1]
            best.extend((float(flat[i]), int(local[i // width]), int(i % width)) for i in top)
        best.sort(key=lambda item: -item[0])
        rank = 0
        for score, i, j in best:
            a, b = images.paths[rows[i]], images.paths[rows[j]]
            pair = (a, b) if str(a) <= str(b) else (b, a)
            if pair in settled:
                continue
            rank += 1
            given = tuple(f"{v.reviewer}: {v.verdict}" for v in reviews.get(pair, []))
            found.append(ReviewCandidate(group, rank, round(score, 4), a, b, given))
            if rank == per_group:
                break
    return found


def _reviews_by_path(
    verdicts: Verdicts | None, base: Path | None
) -> dict[tuple[Path, Path], list[PairVerdict]]:
    if verdicts is None:
        return {}
    found: dict[tuple[Path, Path], list[PairVerdict]] = {}
    for (a, b), items in verdicts.by_pair().items():
        paths = [_image_path(n, base) for n in (a, b)]
        key = (paths[0], paths[1]) if str(paths[0]) <= str(paths[1]) else (paths[1], paths[0])
        found[key] = items
    return found


def _settled(items: list[PairVerdict]) -> bool:
    """Enough reviewers agree, either way: no need to show the pair again."""
    for verdict in _VERDICTS:
        agreeing = {i.reviewer.casefold() for i in items if i.verdict == verdict}
        if len(agreeing) >= MIN_REVIEWERS and all(i.verdict == verdict for i in items):
            return True
    return False


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def write_review_csv(path: Path, candidates: Sequence[ReviewCandidate], base: Path) -> None:
    """The pairs with empty ``verdict`` and ``reviewer`` columns, one copy per reviewer."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(REVIEW_COLUMNS)
    for item in candidates:
        writer.writerow(
            [
                item.group,
                item.rank,
                f"{item.score:.4f}",
                _relative(item.image_a, base),
                _relative(item.image_b, base),
                "",
                "",
            ]
        )
    write_text_file(path, text.getvalue())


def _image_tag(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read the image ({error})") from error
    kind = "png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "jpeg"
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img alt="" width="200" src="data:image/{kind};base64,{encoded}">'


def write_review_sheet(
    path: Path, candidates: Sequence[ReviewCandidate], base: Path, title: str
) -> None:
    """One self-contained HTML page (images embedded, no scripts, nothing fetched) showing
    each pair side by side with its group, rank and any earlier verdicts (not the score)."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:1em}td{padding:4px;vertical-align:top}"
        "tr{border-bottom:1px solid #ccc}table{border-collapse:collapse}</style>",
        f"</head><body><h1>{html.escape(title)}</h1>",
        "<p>Each row is a pair the data counts as two different people, scored highest by the "
        "model within its group. Judge, on your own, whether the two photos show the same "
        "person: write <b>same</b>, <b>different</b> or <b>unsure</b> in the "
        "<code>verdict</code> column of your own copy of the CSV, with your name in "
        "<code>reviewer</code>. A pair stops counting as a false match only when "
        f"{MIN_REVIEWERS} different reviewers say <b>same</b> and nobody says otherwise. "
        "The model's scores are left off this page so that they sway no one.</p>",
    ]
    current = None
    for item in candidates:
        if item.group != current:
            if current is not None:
                parts.append("</table>")
            current = item.group
            parts.append(f"<h2>{html.escape(item.group)}</h2><table>")
        a, b = _relative(item.image_a, base), _relative(item.image_b, base)
        earlier = "<br>".join(html.escape(r) for r in item.reviews) or "not yet reviewed"
        parts.append(
            f"<tr><td>#{item.rank}</td>"
            f"<td>{_image_tag(item.image_a)}<br><small>{html.escape(a)}</small></td>"
            f"<td>{_image_tag(item.image_b)}<br><small>{html.escape(b)}</small></td>"
            f"<td><small>{earlier}</small></td></tr>"
        )
    if current is not None:
        parts.append("</table>")
    parts.append("</body></html>")
    write_text_file(path, "\n".join(parts))

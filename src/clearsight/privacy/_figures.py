"""Measured figures read from the evaluation toolkit's JSON outputs.

Anything absent, null or not a finite number becomes None and is shown as "not measured":
a figure is never filled in or estimated here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearsight.errors import InputError

NOT_MEASURED = "not measured"


def number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def interval(value: object) -> tuple[float, float] | None:
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    low, high = number(value[0]), number(value[1])
    return None if low is None or high is None else (low, high)


@dataclass(frozen=True)
class LfwFigures:
    source: str
    accuracy_mean: float | None
    accuracy_std: float | None
    auc: float | None
    eer: float | None
    tar_at_far: tuple[tuple[str, float | None], ...]
    pairs: float | None


@dataclass(frozen=True)
class GroupFigures:
    name: str
    fmr: float | None
    fmr_ci: tuple[float, float] | None
    fnmr: float | None
    fnmr_ci: tuple[float, float] | None
    fmr_ratio_to_best: float | None
    subjects: float | None
    note: str | None


@dataclass(frozen=True)
class FairnessFigures:
    source: str
    attribute: str
    threshold: float | None
    target_fmr: float | None
    threshold_for_target_fmr: float | None
    groups: tuple[GroupFigures, ...]


@dataclass(frozen=True)
class PlanGroupFigures:
    name: str
    judged: bool
    fmr: float | None
    fmr_high: float | None
    false_alerts_per_day: float | None
    false_alerts_per_day_high: float | None
    fnmr: float | None


@dataclass(frozen=True)
class PlanFigures:
    source: str
    watchlist_size: float | None
    faces_per_day: float | None
    target_fmr: float | None
    threshold: float | None
    false_alerts_per_day: float | None
    expected_miss_rate: float | None
    beyond_measured: bool
    rule: str | None = None
    groups: tuple[PlanGroupFigures, ...] = ()
    warning: str = ""


@dataclass(frozen=True)
class EvaluationFigures:
    lfw: tuple[LfwFigures, ...] = ()
    fairness: tuple[FairnessFigures, ...] = ()
    plans: tuple[PlanFigures, ...] = ()


def _lfw(raw: Mapping[str, Any], source: str) -> LfwFigures:
    tar = raw.get("tar_at_far")
    rows: list[tuple[str, float | None]] = []
    if isinstance(tar, Mapping):
        for far, value in tar.items():
            rows.append(
                (str(far), number(value.get("tar") if isinstance(value, Mapping) else value))
            )
    pairs = raw.get("pairs")
    scored = number(pairs.get("scored")) if isinstance(pairs, Mapping) else number(pairs)
    return LfwFigures(
        source,
        number(raw.get("accuracy_mean")),
        number(raw.get("accuracy_std")),
        number(raw.get("auc")),
        number(raw.get("eer")),
        tuple(rows),
        scored,
    )


def _group(name: str, raw: object) -> GroupFigures:
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    note = data.get("note")
    if data.get("too_small") and not note:
        note = "too few people to measure"
    return GroupFigures(
        str(name),
        number(data.get("fmr")),
        interval(data.get("fmr_ci")),
        number(data.get("fnmr")),
        interval(data.get("fnmr_ci")),
        number(data.get("fmr_ratio_to_best")),
        number(data.get("subjects")),
        str(note) if note else None,
    )


def _fairness(raw: Mapping[str, Any], source: str) -> FairnessFigures:
    groups = raw.get("groups")
    if not isinstance(groups, Mapping):
        raise InputError(f"{source}: 'groups' must be a table of group name to figures")
    return FairnessFigures(
        source,
        str(raw.get("attribute") or Path(source).stem),
        number(raw.get("threshold")),
        number(raw.get("target_fmr")),
        number(raw.get("threshold_for_target_fmr")),
        tuple(_group(name, value) for name, value in groups.items()),
    )


def _plan(raw: Mapping[str, Any], source: str) -> PlanFigures:
    point, groups = raw.get("operating_point"), raw.get("groups")
    return PlanFigures(
        source,
        number(raw.get("watchlist_size")),
        number(raw.get("faces_per_day")),
        number(raw.get("target_fmr")),
        number(raw.get("threshold")),
        number(raw.get("false_alerts_per_day")),
        number(raw.get("expected_miss_rate", raw.get("miss_rate"))),
        raw.get("beyond_measured") is True,
        str(point.get("rule")) if isinstance(point, Mapping) and point.get("rule") else None,
        tuple(
            PlanGroupFigures(
                str(name),
                bool(value.get("judged")),
                number(value.get("fmr")),
                number(value.get("fmr_high")),
                number(value.get("false_alerts_per_day")),
                number(value.get("false_alerts_per_day_high")),
                number(value.get("fnmr")),
            )
            for name, value in (groups.items() if isinstance(groups, Mapping) else ())
            if isinstance(value, Mapping)
        ),
        str(raw.get("warning") or ""),
    )


def read_evaluation_outputs(paths: Iterable[Path]) -> EvaluationFigures:
    """Sort the JSON files by what they hold (LFW accuracy, fairness, operating plan)."""
    lfw: list[LfwFigures] = []
    fairness: list[FairnessFigures] = []
    plans: list[PlanFigures] = []
    for path in paths:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise InputError(f"{path}: no such file") from error
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"{path}: cannot read ({error})") from error
        except json.JSONDecodeError as error:
            raise InputError(
                f"{path}: not valid JSON ({error.msg}, line {error.lineno})"
            ) from error
        if isinstance(raw, Mapping) and isinstance(raw.get("plan"), Mapping):
            raw = raw["plan"]
        if not isinstance(raw, Mapping):
            raise InputError(f"{path}: expected a JSON object")
        if "accuracy_mean" in raw:
            lfw.append(_lfw(raw, str(path)))
        elif "false_alerts_per_day" in raw:  # a plan (its "groups" are per-group plans)
            plans.append(_plan(raw, str(path)))
        elif "groups" in raw:
            fairness.append(_fairness(raw, str(path)))
        else:
            raise InputError(
                f"{path}: not an evaluation output clearsight knows (expected the keys of "
                "`clearsight eval lfw`, `eval fairness` or `plan` JSON)"
            )
    return EvaluationFigures(tuple(lfw), tuple(fairness), tuple(plans))

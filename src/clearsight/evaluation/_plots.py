"""Report figures as base64 PNG (no network, no external files), deterministic bytes."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from clearsight.evaluation._pairs import BIN_EDGES

__all__ = ["fmr_by_group_png", "roc_det_png", "score_distributions_png"]


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def _encode(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def roc_det_png(far: npt.NDArray[np.float64], tar: npt.NDArray[np.float64], title: str) -> str:
    """ROC (TAR against log FAR) and DET (FNMR against FMR, both log)."""
    figure = _figure(10, 4)
    roc, det = figure.subplots(1, 2)
    floor = 1e-5
    roc.plot(np.maximum(far, floor), tar, color="tab:blue")
    roc.set_xscale("log")
    roc.set_xlim(floor, 1)
    roc.set_xlabel("false accept rate (FAR)")
    roc.set_ylabel("true accept rate (TAR)")
    roc.set_title(f"ROC: {title}")
    roc.grid(True, which="both", alpha=0.3)
    det.plot(np.maximum(far, floor), np.maximum(1 - tar, floor), color="tab:red")
    det.set_xscale("log")
    det.set_yscale("log")
    det.set_xlabel("false match rate (FMR)")
    det.set_ylabel("false non-match rate (FNMR)")
    det.set_title("DET")
    det.grid(True, which="both", alpha=0.3)
    return _encode(figure)


def score_distributions_png(
    groups: Mapping[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]],
    threshold: float,
    title: str,
) -> str:
    """Impostor (histogram counts on BIN_EDGES) and mated score densities per group."""
    figure = _figure(10, 4)
    axes = figure.subplots(1, 1)
    coarse = 50  # 100 bins of 0.01 from the 1e-4 histogram
    centres = BIN_EDGES[:-1:coarse] + coarse / 2 * (BIN_EDGES[1] - BIN_EDGES[0])
    colours = [f"C{i}" for i in range(10)]
    for (name, (impostor, mated)), colour in zip(groups.items(), colours * 10, strict=False):
        counts = impostor.reshape(-1, coarse).sum(axis=1).astype(np.float64)
        if counts.sum():
            axes.plot(centres, counts / counts.sum(), color=colour, label=f"{name} impostor")
        if mated.size:
            mated_counts = np.histogram(mated, BIN_EDGES[::coarse])[0].astype(np.float64)
            axes.plot(
                centres,
                mated_counts / mated_counts.sum(),
                color=colour,
                linestyle="--",
                label=f"{name} mated",
            )
    axes.axvline(threshold, color="black", linewidth=1, label="threshold")
    occupied = [np.flatnonzero(h) for h, _ in groups.values() if h.any()]
    lowest = min((BIN_EDGES[o[0]] for o in occupied), default=-0.2)
    axes.set_xlim(max(-1.0, float(lowest) - 0.02), 1.0)
    axes.set_xlabel("cosine similarity")
    axes.set_ylabel("share of pairs per 0.01")
    axes.set_title(title)
    axes.legend(fontsize=7, ncol=2)
    return _encode(figure)


def fmr_by_group_png(
    names: Sequence[str],
    rates: Sequence[float],
    intervals: Sequence[tuple[float, float]],
    ylabel: str,
    title: str,
) -> str:
    """One point per group with its 95% interval, log scale."""
    figure = _figure(8, 3.5)
    axes = figure.subplots(1, 1)
    x = np.arange(len(names))
    values = np.asarray(rates, np.float64)
    low = np.asarray([i[0] for i in intervals], np.float64)
    high = np.asarray([i[1] for i in intervals], np.float64)
    floor = 1e-6
    shown = np.maximum(values, floor)
    errors = np.vstack([shown - np.maximum(low, floor), np.maximum(high, floor) - shown])
    axes.errorbar(x, shown, yerr=np.maximum(errors, 0), fmt="o", capsize=4)
    axes.set_yscale("log")
    axes.set_xticks(x, list(names), rotation=20)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    return _encode(figure)

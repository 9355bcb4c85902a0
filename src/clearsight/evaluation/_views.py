"""Turn evaluation results into JSON-ready dicts and HTML reports (tables and figures)."""

from __future__ import annotations

from collections.abc import Sequence

from clearsight.evaluation._fairness import FairnessReport
from clearsight.evaluation._identify import GallerySizeResult
from clearsight.evaluation._plots import fmr_by_group_png, roc_det_png, score_distributions_png
from clearsight.evaluation._report import Figure, Report, Table
from clearsight.evaluation._verification import VerificationResult

__all__ = ["fairness_report", "identify_report", "identify_summary", "lfw_report"]


def _pct(value: object, digits: int = 2) -> str:
    if not isinstance(value, float) or value != value:
        return "n/a"
    return f"{100 * value:.{digits}f}%"


def _ci(interval: object) -> str:
    if not isinstance(interval, (list, tuple)) or len(interval) != 2:
        return "n/a"
    return f"{_pct(interval[0], 3)} to {_pct(interval[1], 3)}"


def lfw_report(result: VerificationResult) -> Report:
    summary = result.summary()
    tar = summary["tar_at_far"]
    tar_table = tar if isinstance(tar, dict) else {}
    rows = [
        ["mean accuracy", f"{_pct(result.accuracy_mean)} ± {_pct(result.accuracy_std)}"],
        ["ROC AUC", f"{summary['auc']:.5f}"],
        ["equal error rate", _pct(summary["eer"])],
        *[[f"TAR at FAR {far}", _pct(entry["tar"])] for far, entry in tar_table.items()],
    ]
    folds = [[str(f.fold + 1), f"{f.threshold:.4f}", _pct(f.accuracy)] for f in result.folds]
    far, tar_curve = result.roc()
    undetected = summary["undetected_images"]
    notes = [
        f"{summary['protocol']}; {summary['score']}; views averaged: {', '.join(result.views)}.",
    ]
    if isinstance(undetected, dict):
        notes.append(
            f"{undetected['count']} of {undetected['images_total']} images had no HOG "
            f"detection (by fallback: {undetected['by_fallback'] or 'none'}). "
            f"{undetected['handling']}"
        )
    return Report(
        title="clearsight: LFW verification",
        data=summary,
        notes=notes,
        tables=[
            Table("Summary", ["measure", "value"], rows),
            Table("Folds", ["fold", "threshold (from other folds)", "accuracy"], folds),
        ],
        figures=[Figure("ROC and DET over all 6,000 pairs", roc_det_png(far, tar_curve, "LFW"))],
    )


def fairness_report(report: FairnessReport, source: str, label_notes: str) -> Report:
    summary = report.summary()
    summary["dataset"] = source
    if label_notes:
        summary["label_notes"] = label_notes
    groups = summary["groups"]
    rows = []
    plotted = []
    for name, entry in groups.items() if isinstance(groups, dict) else []:
        if entry.get("too_small"):
            rows.append(
                [
                    name,
                    str(entry["subjects"]),
                    str(entry["impostor_pairs"]),
                    str(entry["mated_pairs"]),
                    "too few subjects",
                    "",
                    "",
                    "",
                    "",
                ]
            )
            continue
        ratio = entry.get("fmr_ratio_to_best")
        rows.append(
            [
                name,
                str(entry["subjects"]),
                f"{entry['impostor_pairs']:,}",
                f"{entry['mated_pairs']:,}",
                _pct(entry["fmr"], 3),
                _ci(entry["fmr_ci"]),
                f"{ratio:.2f}" if isinstance(ratio, float) else "n/a",
                _pct(entry["fnmr"]),
                _ci(entry["fnmr_ci"]),
            ]
        )
        plotted.append(next(g for g in report.groups if g.name == name))
    figures = []
    if plotted:
        figures.append(
            Figure(
                f"False match rate per {report.attribute} group at threshold "
                f"{report.threshold:.4f}, with 95% bootstrap intervals",
                fmr_by_group_png(
                    [g.name for g in plotted],
                    [g.fmr for g in plotted],
                    [g.fmr_ci for g in plotted],
                    "FMR (within group)",
                    "FMR by group",
                ),
            )
        )
        figures.append(
            Figure(
                "Score distributions per group (solid impostor, dashed mated)",
                score_distributions_png(
                    {
                        g.name: (g.statistics.impostor_histogram, g.statistics.mated_scores)
                        for g in plotted
                    },
                    report.threshold,
                    f"scores by {report.attribute}",
                ),
            )
        )
    notes = [
        f"Data: {source}. {label_notes}",
        f"One global threshold {report.threshold:.4f} ({report.threshold_source}). Threshold "
        f"keeping every group's FMR at or under {report.options.target_fmr:g}: "
        f"{summary['threshold_for_target_fmr']}.",
        report.label_handling,
    ]
    header = [
        "group",
        "subjects",
        "impostor pairs",
        "mated pairs",
        "FMR",
        "FMR 95% CI",
        "FMR / best",
        "FNMR",
        "FNMR 95% CI",
    ]
    return Report(
        f"clearsight: demographic differentials by {report.attribute}",
        summary,
        notes,
        [Table("Per group, at the global threshold", header, rows)],
        figures,
    )


def identify_summary(results: Sequence[GallerySizeResult], source: str) -> dict[str, object]:
    return {
        "dataset": source,
        "protocol": "open-set 1:N; first photo enrolled; other photos mated probes (<=10 per "
        "person); people with one photo split into enrolled distractors and non-mated probes",
        "gallery_sizes": [r.summary() for r in results],
    }


def identify_report(results: Sequence[GallerySizeResult], source: str) -> Report:
    rows = [
        [
            str(r.gallery_size),
            str(r.mated_probes),
            str(r.non_mated_probes),
            _pct(r.rank1),
            *[_pct(v) for v in r.fnir_at_fpir.values()],
        ]
        for r in results
    ]
    header = (
        [
            "gallery size",
            "mated probes",
            "non-mated probes",
            "rank-1",
            *[f"FNIR at FPIR {k}" for k in results[0].fnir_at_fpir],
        ]
        if results
        else []
    )
    return Report(
        "clearsight: open-set identification",
        identify_summary(results, source),
        [],
        [Table("By gallery size", header, rows)],
    )

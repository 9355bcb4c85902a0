"""The sign and the assessment: A4 PDFs and HTML with the configured words and the measured
figures, and 'not measured' wherever a figure is missing."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from clearsight.policy import RetentionPolicy
from clearsight.privacy import (
    EvaluationFigures,
    Paragraph,
    PrivacyConfig,
    Table,
    build_assessment,
    read_evaluation_outputs,
)

A4_POINTS = (595.28, 841.89)
CONFIG = """
[detector]
type = "hog"

[embed]
type = "dlib"

[privacy.deployment]
operator = "Kai Market & Sons Ltd"
site = "Kai Market, Tāmaki Makaurau"
contact = "privacy@kaimarket.example"
assessment_url = "https://kaimarket.example/pia"
alternatives_considered = ["More staff at the door: not enough at peak times."]

[privacy.retention]
rejected_evidence_hours = 12
confirmed_evidence_days = 45
"""
LFW = {
    "accuracy_mean": 0.9905,
    "accuracy_std": 0.0036,
    "auc": 0.99853,
    "eer": 0.0097,
    "tar_at_far": {"0.01": {"tar": 0.991, "threshold": 0.9}, "0.001": {"tar": 0.953}},
}
FAIRNESS = {
    "attribute": "race",
    "threshold": 0.93,
    "target_fmr": 0.001,
    "threshold_for_target_fmr": 0.951,
    "groups": {
        "Caucasian": {
            "fmr": 0.0034,
            "fmr_ci": [0.002, 0.005],
            "fnmr": 0.021,
            "fnmr_ci": [0.015, 0.03],
            "fmr_ratio_to_best": 1.0,
        },
        "African": {
            "fmr": 0.055,
            "fmr_ci": [0.029, 0.086],
            "fnmr": 0.03,
            "fnmr_ci": [0.01, 0.05],
            "fmr_ratio_to_best": 16.2,
        },
        "Indian": {"too_small": True, "note": "fewer than 5 subjects: no rate is reported"},
    },
}
PLAN = {
    "watchlist_size": 200,
    "faces_per_day": 20000,
    "target_fmr": 0.0001,
    "false_alerts_per_day": 371.33,
    "expected_miss_rate": 0.163,
    "beyond_measured": False,
}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from clearsight.cli import main; main(sys.argv[1:])"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


def _pdf_text(path: Path) -> tuple[int, str]:
    reader = PdfReader(path)
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width, 2), round(height, 2)) == A4_POINTS
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


@pytest.fixture()
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "clearsight.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_notice_is_one_a4_page_with_the_configured_words(tmp_path: Path, config_file: Path) -> None:
    out = tmp_path / "signs"
    result = _cli("notice", "--config", str(config_file), "--out-dir", str(out))
    assert result.returncode == 0, result.stderr
    pages, text = _pdf_text(out / "notice.pdf")
    assert pages == 1
    for expected in (
        "Face recognition in use",
        "Cameras at Kai Market, Tāmaki Makaurau use face recognition to detect when people on "
        "this site's watchlist enter",
        "Operated by Kai Market & Sons Ltd.",
        "not a match: deleted within 12 hours",
        "kept 45 days, then deleted",
        "privacy@kaimarket.example",
        "https://kaimarket.example/pia",
        "does not estimate anyone's age, sex, ethnicity, emotions or health",
    ):
        assert expected in text
    html = (out / "notice.html").read_text(encoding="utf-8")
    assert "size: A4" in html
    assert "Kai Market &amp; Sons Ltd" in html and "Tāmaki Makaurau" in html


def test_notice_refuses_to_leave_out_the_operator(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[privacy.deployment]\ncontact = "x@example.org"\n', encoding="utf-8")
    result = _cli("notice", "--config", str(config), "--out-dir", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "privacy.deployment.operator is not set" in result.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_privacy_key_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[privacy.retention]\nrejected_hours = 3\n", encoding="utf-8")
    result = _cli("notice", "--config", str(config), "--out-dir", str(tmp_path))
    assert result.returncode == 2
    assert f"{config}: privacy.retention.rejected_hours: Extra inputs" in result.stderr


def test_assessment_shows_the_measured_figures(tmp_path: Path, config_file: Path) -> None:
    paths = []
    for name, data in (("lfw", LFW), ("fairness", FAIRNESS), ("plan", PLAN)):
        paths += ["--eval-json", str(tmp_path / f"{name}.json")]
        (tmp_path / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "pia"
    result = _cli("assessment", "--config", str(config_file), *paths, "--out-dir", str(out))
    assert result.returncode == 0, result.stderr
    pages, text = _pdf_text(out / "assessment.pdf")
    assert pages >= 2
    for expected in (
        "1. Purpose and necessity",
        "2. Alternatives considered",
        "3. Benefits and risks",
        "4. Safeguards",
        "5. Effects on Māori and other groups",
        "6. Retention",
        "7. Review",
        "99.05% ± 0.36%",
        "0.99853",
        "0.97%",
        "99.1%",
        "95.3%",
        "5.5% (2.9% to 8.6%)",
        "Highest false match rate: African, 16.2 times",
        "Threshold that keeps every measured group under a false match rate of 0.001: 0.9510",
        "371.33",
        "16.3%",
        "20,000",
        "More staff at the door",
        "Effects on Māori: not measured",
        "deleted within 12 hours",
        "deleted after 45 days",
    ):
        assert expected in text, expected
    assert "not measured (fewer than 5 subjects" in text
    html = (out / "assessment.html").read_text(encoding="utf-8")
    assert "5.5% (2.9% to 8.6%)" in html and "Effects on Māori: not measured" in html


def _tables(figures: EvaluationFigures) -> list[Table]:
    document = build_assessment(PrivacyConfig(), RetentionPolicy(), figures, dt.date(2026, 11, 30))
    return [block for block in document.blocks if isinstance(block, Table)]


def test_missing_figures_are_not_measured_never_invented() -> None:
    tables = _tables(EvaluationFigures())
    accuracy, plan = tables[1], tables[2]
    assert {row[1] for row in accuracy.rows} == {"not measured"}
    assert {row[1] for row in plan.rows} == {"not measured"}
    text = build_assessment(
        PrivacyConfig(), RetentionPolicy(), EvaluationFigures(), dt.date(2026, 11, 30)
    ).text()
    assert "False match rate per group: not measured." in text
    # the only percentages are the two operating points named in the row labels
    assert re.findall(r"[\d.]+%", text) == ["1%", "0.1%"]


def test_nan_and_null_figures_are_not_measured(tmp_path: Path) -> None:
    path = tmp_path / "lfw.json"
    path.write_text('{"accuracy_mean": NaN, "accuracy_std": null, "auc": 0.99, "eer": "x"}')
    figures = read_evaluation_outputs([path])
    rows = dict(_tables(figures)[1].rows)
    assert rows["verification accuracy"] == "not measured"
    assert rows["ROC AUC"] == "0.99000"
    assert rows["equal error rate"] == "not measured"


def test_maori_group_measured_is_reported_not_flagged_missing(tmp_path: Path) -> None:
    report = dict(
        FAIRNESS,
        groups={
            "Māori": {"fmr": 0.01, "fmr_ratio_to_best": 2.0},
            "European": {"fmr": 0.005, "fmr_ratio_to_best": 1.0},
        },
    )
    path = tmp_path / "f.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    document = build_assessment(
        PrivacyConfig(), RetentionPolicy(), read_evaluation_outputs([path]), dt.date(2026, 1, 31)
    )
    text = document.text()
    assert "Effects on Māori: not measured" not in text
    assert "Highest false match rate: Māori, 2 times" in text
    assert "next review by 2026-07-28" in text


def test_unknown_evaluation_json_is_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"hello": 1}')
    result = _cli("assessment", "--eval-json", str(path), "--out-dir", str(tmp_path / "o"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert f"{path}: not an evaluation output" in result.stderr


def test_assessment_gives_each_groups_false_alerts_and_the_pooled_rules_warning(
    tmp_path: Path,
) -> None:
    warning = (
        "The pooled rule leaves 1 group(s) above the target FMR 0.0001: female/asian "
        "(calibration) 7.5e-02 (750x target)."
    )
    plan = {
        **PLAN,
        "operating_point": {"rule": "pooled", "threshold": 0.9436},
        "groups": {
            "female/asian (calibration)": {
                "judged": True,
                "fmr": 0.075,
                "fmr_high": 0.104,
                "false_alerts_per_day": 20000.0,
                "false_alerts_per_day_high": 20000.0,
                "fnmr": None,
            },
            "male (LFW)": {
                "judged": True,
                "fmr": 4e-5,
                "fmr_high": 6e-5,
                "false_alerts_per_day": 158.4,
                "false_alerts_per_day_high": 235.0,
                "fnmr": 0.19,
            },
        },
        "warning": warning,
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    document = build_assessment(
        PrivacyConfig(), RetentionPolicy(), read_evaluation_outputs([path]), dt.date(2026, 12, 6)
    )
    texts = [b.text for b in document.blocks if isinstance(b, Paragraph)]
    assert warning in texts
    assert any("pooled rule" in t and "By group" in t for t in texts)
    rows = {
        row[0]: row for block in document.blocks if isinstance(block, Table) for row in block.rows
    }
    assert rows["male (LFW)"][2] == "158.40 [235.00]" and rows["male (LFW)"][3] == "19%"
    assert rows["female/asian (calibration)"][3] == "not measured"

"""`clearsight audit verify` and `clearsight audit export` on a real data directory."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import update

from clearsight.audit import AuditAction, AuditEvent
from clearsight.cli import main
from clearsight.store import AuditRecord, Database, audit_log


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err


def data_dir_with_log(tmp_path: Path, entries: int) -> Path:
    db = Database.for_data_dir(tmp_path)
    db.migrate()
    for i in range(entries):
        with db.session() as s:
            audit_log.append(
                s,
                AuditEvent(
                    f"u{i % 2}", AuditAction.FACE_IMAGE_VIEWED, "alert", f"a{i}", reason="review"
                ),
            )
    db.dispose()
    return tmp_path


def test_verify_reports_intact_then_the_first_broken_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = data_dir_with_log(tmp_path, 5)
    code, out, _ = run(["audit", "verify", "--data-dir", str(data)], capsys)
    assert code == 0 and "5 entries verified" in out
    db = Database.for_data_dir(data)
    with db.session() as s:
        s.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(record_id="other"))
    db.dispose()
    code, _, err = run(["audit", "verify", "--data-dir", str(data)], capsys)
    assert code == 2
    assert "broken at entry 2" in err and len(err.strip().splitlines()) == 1


def test_verify_without_a_database_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["audit", "verify", "--data-dir", str(tmp_path / "none")], capsys)
    assert code == 2 and "no clearsight database" in err and "Traceback" not in err


def test_export_writes_filtered_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = data_dir_with_log(tmp_path, 6)
    out_file = tmp_path / "audit.csv"
    code, _, _ = run(
        ["audit", "export", "--data-dir", str(data), "--out", str(out_file), "--actor", "u1"],
        capsys,
    )
    assert code == 0
    rows = list(csv.DictReader(out_file.open(encoding="utf-8")))
    assert [r["seq"] for r in rows] == ["2", "4", "6"]
    assert all(r["actor"] == "u1" and len(r["hash"]) == 64 for r in rows)
    code, _, err = run(["audit", "export", "--data-dir", str(data), "--since", "yesterday"], capsys)
    assert code == 2 and "not an ISO date-time" in err


def test_export_neutralises_spreadsheet_formulas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = Database.for_data_dir(tmp_path)
    db.migrate()
    with db.session() as s:
        audit_log.append(
            s,
            AuditEvent(
                "eve", AuditAction.ALERT_DECIDED, "alert", "a1", reason='=HYPERLINK("http://x","y")'
            ),
        )
    db.dispose()
    code, out, _ = run(["audit", "export", "--data-dir", str(tmp_path)], capsys)
    assert code == 0
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row["reason"] == '\'=HYPERLINK("http://x","y")'

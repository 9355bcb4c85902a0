"""`clearsight serve` camera options: a bad pipeline config is one line, exit 2; the demo
camera is registered once, on the clip built into the data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearsight.cli import main
from clearsight.store import Database, audit_log, cameras
from clearsight.workers import DEMO_CAMERA_NAME, ensure_demo_camera


def test_a_bad_pipeline_config_stops_serve_before_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "cams.toml"
    bad.write_text("[ingest]\nmax_fps = -1\n", encoding="utf-8")
    data = tmp_path / "data"
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--data-dir", str(data), "--pipeline-config", str(bad)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "cams.toml: ingest.max_fps" in err and "Traceback" not in err
    assert not data.exists()  # nothing was created


def test_the_demo_camera_is_registered_once(tmp_path: Path) -> None:
    db = Database.for_data_dir(tmp_path)
    db.migrate()
    try:
        first = ensure_demo_camera(db, tmp_path)
        again = ensure_demo_camera(db, tmp_path)
        assert first.id == again.id and first.name == DEMO_CAMERA_NAME and first.enabled
        assert Path(first.source).is_file() and Path(first.source).stat().st_size > 10_000
        with db.read_session() as session:
            assert [c.name for c in cameras.list_cameras(session)] == [DEMO_CAMERA_NAME]
            assert audit_log.verify(session).ok
    finally:
        db.dispose()

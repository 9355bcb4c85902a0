from __future__ import annotations

import stat
from pathlib import Path

from typer.testing import CliRunner

import clearsight.cli.privacy_commands  # noqa: F401  (registers the commands)
from clearsight.cli._app import app
from clearsight.crypto import read_key_file

runner = CliRunner()


def test_generate_add_list(tmp_path: Path) -> None:
    path = tmp_path / "clearsight.key"
    result = runner.invoke(app, ["keys", "generate", "--out", str(path)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = read_key_file(path)

    result = runner.invoke(app, ["keys", "generate", "--out", str(path)])
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert read_key_file(path) == first

    result = runner.invoke(app, ["keys", "add", str(path)])
    assert result.exit_code == 0, result.output
    ring = read_key_file(path)
    assert ring.keys[1:] == first.keys and ring.active != first.active
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    result = runner.invoke(app, ["keys", "list", str(path)])
    assert result.output.splitlines() == [
        f"{ring.active.key_id}\tactive",
        f"{first.active.key_id}\tdecrypt only",
    ]


def test_bad_key_file_is_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.write_text("a:zzzz\n")
    path.chmod(0o600)
    result = runner.invoke(app, ["keys", "list", str(path)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert f"{path}:1: the key decodes to 3 bytes" in result.output

"""scripts/run.sh says what it does, and a second run with nothing to install skips pip."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _tree(tmp_path: Path) -> Path:
    """A copy of the script and pyproject.toml with a stand-in for the installed command,
    which records what it was run with instead of serving."""
    root = tmp_path / "clone"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "run.sh", root / "scripts" / "run.sh")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    command = bin_dir / "clearsight"
    command.write_text('#!/bin/sh\necho "clearsight ran with: $*" > "$(dirname "$0")/../ran"\n')
    command.chmod(command.stat().st_mode | stat.S_IXUSR)
    return root


def _run(root: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    key = tmp_path / "data.key"
    key.write_text("stand-in")
    env = {**os.environ, "CLEARSIGHT_KEY_FILE": str(key), "CLEARSIGHT_DATA_DIR": "d"}
    return subprocess.run(
        ["bash", str(root / "scripts" / "run.sh"), "--port", "9999"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_a_second_run_with_nothing_to_install_starts_without_pip(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    python = subprocess.run(["python3", "--version"], capture_output=True, text=True).stdout
    digest = hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest()
    (root / ".venv" / ".clearsight-installed").write_text(f"{python.strip()} {digest}\n")
    done = _run(root, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "already installed" in done.stderr and "starting the service" in done.stderr
    assert not (root / ".venv" / "install.log").exists()  # pip never ran
    ran = (root / ".venv" / "ran").read_text()
    assert "serve --data-dir d" in ran and "--demo-camera --port 9999" in ran

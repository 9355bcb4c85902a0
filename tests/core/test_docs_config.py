"""Every TOML and JSON config block in the README and docs/*.md loads through the loaders a
user's file goes through, so the documentation cannot drift from what the code accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clearsight.config import load_config
from clearsight.service import load_deployment_config

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```(toml|json)\n(.*?)```", re.S)
# Documentation writes what a reader must fill in as <...>; a digest placeholder is filled
# with a well-formed one so that the rest of the block is still checked.
DIGEST = re.compile(r'"<[^"]*(?:hex|sha|SHA)[^"]*>"')


def _blocks() -> list[tuple[str, str, str]]:
    found = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for number, match in enumerate(BLOCK.finditer(doc.read_text(encoding="utf-8"))):
            found.append((f"{doc.name}#{number}", match.group(1), match.group(2)))
    return found


BLOCKS = _blocks()


def test_the_docs_hold_config_blocks() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize(("where", "kind", "text"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_each_documented_config_loads(where: str, kind: str, text: str, tmp_path: Path) -> None:
    path = tmp_path / f"config.{kind}"
    path.write_text(DIGEST.sub('"' + "0" * 64 + '"', text), encoding="utf-8")
    load_config(path)  # a ConfigError names the block's problem
    load_deployment_config(path)  # every section, the pipeline's and the service's

"""Missing and corrupt files, the embedding cache, and the commands' error handling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clearsight.cli import main
from clearsight.errors import ImageError
from clearsight.evaluation import EmbeddingCache, ExtractOptions, embed_images
from clearsight.evaluation._cache import CachedFace


def _options(tmp_path: Path, skip_bad: bool = False) -> ExtractOptions:
    return ExtractOptions(
        cache_dir=tmp_path / "cache", workers=1, skip_bad=skip_bad, progress=False
    )


def test_missing_and_corrupt_files_are_listed(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff not really a jpeg")
    missing = tmp_path / "missing.jpg"
    with pytest.raises(ImageError, match=r"missing\.jpg: no such file") as error:
        embed_images([missing, corrupt], _options(tmp_path))
    assert "--skip-bad" in str(error.value)
    with pytest.raises(ImageError, match=r"corrupt\.jpg") as error:
        embed_images([corrupt], _options(tmp_path))
    assert "1 of 1 images" in str(error.value)


def test_skip_bad_counts_and_reports(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"GIF89a broken")
    missing = tmp_path / "missing.jpg"
    result = embed_images([missing, corrupt], _options(tmp_path, skip_bad=True))
    assert result.methods == ("bad", "bad")
    assert set(result.bad) == {str(missing), str(corrupt)}
    assert not result.usable.any()
    assert np.isnan(result.vectors).all()


def test_cache_round_trip(tmp_path: Path) -> None:
    face = CachedFace("cnn", np.arange(4, dtype=np.float32), np.ones((5, 2), np.float32))
    vector = np.linspace(0, 1, 128, dtype=np.float32)
    with EmbeddingCache(tmp_path) as cache:
        cache.put("abc", "recipe", face, "model", {"p25": vector})
        cache.commit()
    with EmbeddingCache(tmp_path) as cache:
        found = cache.faces(["abc", "zzz"], "recipe")
        assert set(found) == {"abc"} and found["abc"].method == "cnn"
        assert found["abc"].box.tolist() == [0, 1, 2, 3]
        assert cache.vectors(["abc"], "recipe", "model", "p25")["abc"] == pytest.approx(vector)
        assert cache.vectors(["abc"], "recipe", "other-model", "p25") == {}
        assert cache.faces(["abc"], "other-recipe") == {}


def test_eval_lfw_on_a_folder_with_missing_images_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pairs.txt").write_text("1 1\nAnn_A 1 2\nAnn_A 1 Bob_B 1\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "lfw", str(tmp_path), "--cache", str(tmp_path / "cache"), "--workers", "1"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert "3 of 3 images are missing or corrupt" in err and "Ann_A_0001.jpg" in err


def test_eval_fairness_needs_an_lfw_folder_or_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "fairness", str(tmp_path), "--attribute", "sex"])
    assert exit_info.value.code == 2
    assert "not an LFW folder" in capsys.readouterr().err


def test_plan_prints_false_alerts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "plan",
                "--watchlist-size",
                "1000",
                "--faces-per-day",
                "100000",
                "--target-fmr",
                "0.001",
            ]
        )
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "FPIR per face" in out and "false alerts per day" in out
    assert "every-group rule" in out and "Per group" in out and "WARNING" not in out
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", "--watchlist-size", "1000", "--faces-per-day", "100000", "--rule", "pooled"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    # The pooled rule: a warning naming the groups it leaves above target, by how much.
    assert "pooled rule" in out and "WARNING" in out and "x target" in out


def test_plan_rejects_a_bad_target(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", "--watchlist-size", "10", "--faces-per-day", "10", "--target-fmr", "2"])
    assert exit_info.value.code == 2
    assert "target FMR" in capsys.readouterr().err


def test_eval_lfw_skip_bad_with_nothing_left_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pairs.txt").write_text("1 1\nAnn_A 1 2\nAnn_A 1 Bob_B 1\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "eval",
                "lfw",
                str(tmp_path),
                "--cache",
                str(tmp_path / "cache"),
                "--workers",
                "1",
                "--skip-bad",
            ]
        )
    assert exit_info.value.code == 2
    assert "only 0 of 2 pairs have both images usable" in capsys.readouterr().err

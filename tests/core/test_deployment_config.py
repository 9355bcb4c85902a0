"""The one deployment config: a pipeline file loads as it is, flags only override, every
setting says where it came from, the example file loads back, and docs/configuration.md is
what the model generates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from clearsight.cli import main
from clearsight.config import DEPLOYMENT_SECTIONS, ClearsightConfig, load_config
from clearsight.errors import ConfigError
from clearsight.service import (
    DeploymentConfig,
    FlagValue,
    config_reference,
    example_config,
    explain_config,
    load_deployment_config,
)

ROOT = Path(__file__).resolve().parents[2]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err


def _untitled(model: type[BaseModel], path: str = "") -> list[str]:
    missing = []
    for name, field in model.model_fields.items():
        key = f"{path}{name}"
        if not field.title or not field.description:
            missing.append(key)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            missing += _untitled(annotation, f"{key}.")
    return missing


def test_every_setting_is_titled_and_described_and_unknown_keys_are_refused() -> None:
    assert _untitled(DeploymentConfig) == []
    assert DeploymentConfig.model_config.get("extra") == "forbid"


def test_the_pipeline_commands_leave_exactly_the_service_sections_to_the_service() -> None:
    assert set(DeploymentConfig.model_fields) - set(ClearsightConfig.model_fields) == set(
        DEPLOYMENT_SECTIONS
    )


def test_a_pipeline_config_file_is_a_deployment_config(tmp_path: Path) -> None:
    path = tmp_path / "cameras.toml"
    path.write_text('[detector]\ntype = "hog"\n\n[embed]\ntype = "dlib"\n', encoding="utf-8")
    config = load_deployment_config(path)
    assert config.detector.type == "hog" and config.embed.type == "dlib"
    assert config.service.port == 8080  # every other section at its default
    assert load_config(path).detector.type == "hog"


def test_flags_override_the_file_and_a_bad_flag_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[service]\nport = 9000\nhost = "0.0.0.0"\n', encoding="utf-8")
    config = load_deployment_config(path, {"service.port": FlagValue("--port", 9100)})
    assert (config.service.port, config.service.host) == (9100, "0.0.0.0")
    with pytest.raises(ConfigError, match=r"^--port: Input should be less than or equal"):
        load_deployment_config(path, {"service.port": FlagValue("--port", 70000)})
    path.write_text("[service]\nport = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c\.toml: service\.port: Input should be greater"):
        load_deployment_config(path)
    path.write_text("[servce]\nport = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"servce: Extra inputs are not permitted"):
        load_deployment_config(path)


def test_each_setting_says_where_it_came_from(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[service]\nport = 9000\n\n[retention]\nrejected_evidence_hours = 2\n")
    sources = {
        s.key: (s.value, s.source, s.detail)
        for s in explain_config(path, {"service.host": FlagValue("--host", "0.0.0.0")})
    }
    assert sources["service.port"] == (9000, "file", str(path))
    assert sources["retention.rejected_evidence_hours"] == (2.0, "file", str(path))
    assert sources["service.host"] == ("0.0.0.0", "flag", "--host")
    assert sources["retention.pending_expiry_hours"] == (24.0, "default", "")
    assert sources["match.target_fmr"][1] == "default"


def test_config_check_prints_values_and_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[review]\nrequired_confirmations = 3\n", encoding="utf-8")
    code, out, _ = run(["config", "check", str(path), "--set", "service.port=8443"], capsys)
    assert code == 0
    assert re.search(
        rf"review\.required_confirmations\s+3\s+\[file \({re.escape(str(path))}\)\]", out
    )
    assert re.search(r"service\.port\s+8443\s+\[flag \(--set service\.port\)\]", out)
    assert re.search(r"service\.host\s+\"127\.0\.0\.1\"\s+\[default\]", out)
    path.write_text("[review]\nrequired_confirmations = 0\n", encoding="utf-8")
    code, _, err = run(["config", "check", str(path)], capsys)
    assert code == 2 and "review.required_confirmations" in err and "Traceback" not in err


def test_the_example_file_holds_every_default_and_loads_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "example.toml"
    code, _, _ = run(["config", "example", "--out", str(out)], capsys)
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert text == example_config()
    assert "# Encryption key file:" in text and "[retention]" in text
    loaded = load_deployment_config(out)
    beside = {"service": {"data_dir"}}  # a relative path in a file is read from its folder
    assert loaded.model_dump(exclude=beside) == DeploymentConfig().model_dump(exclude=beside)
    assert loaded.service.data_dir == tmp_path / "clearsight-data"
    sources = {s.source for s in explain_config(out) if s.value is not None}
    assert sources == {"file"}  # every value that can be written is written
    code, _, err = run(["config", "example", "--out", str(out)], capsys)
    assert code == 2 and "already exists" in err


def test_older_privacy_files_keep_their_retention_and_setting_it_twice_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "privacy.toml"
    path.write_text("[privacy.retention]\nrejected_evidence_hours = 6\n", encoding="utf-8")
    assert load_deployment_config(path).retention.rejected_evidence_hours == 6
    path.write_text(
        "[retention]\nrejected_evidence_hours = 6\n\n[privacy.retention]\n"
        "rejected_evidence_hours = 7\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="retention is set twice"):
        load_deployment_config(path)


def test_the_review_window_is_the_retention_policys_pending_expiry() -> None:
    config = DeploymentConfig.model_validate({"retention": {"pending_expiry_hours": 5}})
    assert config.review_window.total_seconds() == 5 * 3600


def test_the_configuration_page_is_what_the_model_generates() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    start = page.index("<!-- generated by `clearsight config reference`")
    start = page.index("\n", start) + 1
    end = page.index("<!-- end of generated reference -->")
    # Regenerate with: clearsight config reference, pasted between the two markers.
    assert page[start:end] == config_reference()


def test_worker_reads_the_cluster_section_and_its_flags_override(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Checked before the worker reaches for NATS: the file's key, or the flag, is named."""
    path = tmp_path / "c.toml"
    path.write_text('[cluster]\nnamespace = "no spaces"\n', encoding="utf-8")
    code, _, err = run(["worker", "--config", str(path)], capsys)
    assert code == 2 and f"{path}: cluster.namespace:" in err
    path.write_text('[cluster]\nnamespace = "north"\n', encoding="utf-8")
    code, _, err = run(["worker", "--config", str(path), "--dead-after", "-1"], capsys)
    assert code == 2 and "--dead-after: Input should be greater than 0" in err


@pytest.mark.parametrize(
    "command",
    [["cluster", "status"], ["cluster", "consume", "--dsn", "postgresql:///x"],
     ["cluster", "add-cameras", "cams.jsonl"], ["cluster", "watchlist", "north", "w.db"]],
)  # fmt: skip
def test_cluster_commands_read_the_cluster_section_and_their_flags_override(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Like the worker, each admin command reaches NATS where the file says."""
    path = tmp_path / "c.toml"
    path.write_text('[cluster]\nnamespace = "no spaces"\n', encoding="utf-8")
    code, _, err = run([*command, "--config", str(path)], capsys)
    assert code == 2 and f"{path}: cluster.namespace:" in err
    code, _, err = run([*command, "--config", str(path), "--namespace", "also bad"], capsys)
    assert code == 2 and "--namespace:" in err


def test_camera_processes_get_the_pipeline_sections_without_the_services_secrets() -> None:
    config = DeploymentConfig.model_validate(
        {
            "detector": {"type": "hog"},
            "embed": {"type": "dlib"},
            "notify": {"mqtt_password": "hunter2-secret"},
        }
    )
    pipeline = config.pipeline
    assert type(pipeline) is ClearsightConfig and pipeline.detector.type == "hog"
    assert "hunter2-secret" not in pipeline.model_dump_json()
    assert "hunter2-secret" in config.model_dump_json()  # the whole config holds it

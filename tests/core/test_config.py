from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from clearsight.config import ClearsightConfig, load_config
from clearsight.errors import ConfigError


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    if model in seen:
        return seen
    seen.add(model)
    for field in model.model_fields.values():
        annotation = field.annotation
        candidates = getattr(annotation, "__args__", (annotation,))
        for candidate in candidates:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                _models(candidate, seen)
    return seen


def test_every_config_field_has_a_title_and_description() -> None:
    undocumented = [
        f"{model.__name__}.{name}"
        for model in _models(ClearsightConfig, set())
        for name, field in model.model_fields.items()
        if not field.title or not field.description
    ]
    assert undocumented == []


def test_every_config_model_forbids_unknown_keys() -> None:
    lax = [
        m.__name__
        for m in _models(ClearsightConfig, set())
        if m.model_config.get("extra") != "forbid"
    ]
    assert lax == []


def test_detector_is_chosen_by_type(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[detector]\ntype = "cnn"\nupsample = 1\n[embed]\ntype = "dlib"\n')
    config = load_config(path)
    assert config.detector.type == "cnn"
    assert config.detector.upsample == 1
    assert config.embed.type == "dlib"
    assert load_config(None).detector.type == "yunet"  # the default
    # dlib's landmarks cannot cut the default embedder's chips: refused, naming both fixes.
    path.write_text('[detector]\ntype = "hog"\n')
    with pytest.raises(ConfigError, match=r'detector\.type = "yunet".*embed\.type = "dlib"'):
        load_config(path)


def test_unknown_key_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[match]\ntarget_fmr = 0.001\nthreshhold = 3\n")
    with pytest.raises(ConfigError, match=r"c\.toml: match\.threshhold"):
        load_config(path)


def test_invalid_value_and_bad_syntax_are_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[match]\ntarget_fmr = 2\n")
    with pytest.raises(ConfigError, match="target_fmr"):
        load_config(path)
    path.write_text("[match\n")
    with pytest.raises(ConfigError, match="not valid"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")

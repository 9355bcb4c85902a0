"""Moving the service's watchlist to another embedder: the kept reference photos are
re-embedded with the configured model, each change audited, and a photo the new model
cannot use keeps its old template."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from tests.service.conftest import NOW, make_user

from clearsight.cli import main
from clearsight.embed import SFACE_MODEL_ID, OnnxResNetEmbedder
from clearsight.enrollment import enroll_face
from clearsight.ingest import decode_image
from clearsight.store import (
    AuditRecord,
    Database,
    IdentityCipher,
    ReasonCategory,
    ReferencePhoto,
    Role,
    encode_png,
    watchlist,
)
from clearsight.store._watchlist import EnrolledPhoto, EntryDraft, ExpiryRule
from clearsight.types import Embedding


@pytest.mark.slow
def test_reembed_moves_reference_photos_to_the_configured_model(
    tmp_path: Path, clips_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = Database.for_data_dir(tmp_path)
    db.migrate()
    enroller = make_user(db, "enroller", Role.ENROLLER)
    image = decode_image((clips_dir / "obama.jpg").read_bytes(), "obama.jpg")
    face = enroll_face(image, "obama.jpg", embedder=OnnxResNetEmbedder())
    assert face.embedding.model_id == "dlib-resnet-v1"
    usable = EnrolledPhoto(encode_png(face.crop), face.embedding)
    blank = EnrolledPhoto(
        encode_png(np.full((120, 120, 3), 128, np.uint8)),
        Embedding(np.eye(128, dtype=np.float32)[0], "dlib-resnet-v1"),
    )
    draft = EntryDraft("Barack", ReasonCategory.VIOLENCE, "INC-1", "n", True)
    rule = ExpiryRule()
    with db.session() as s:
        entry = watchlist.create_entry(
            s, IdentityCipher(), draft, [usable, blank], enroller, NOW, rule
        )
        entry_id = entry.id
    db.dispose()

    config = tmp_path / "pipeline.toml"
    config.write_text('[detector]\ntype = "yunet"\n[embed]\ntype = "sface"\n')
    command = [
        "watchlist",
        "reembed",
        "--data-dir",
        str(tmp_path),
        "--pipeline-config",
        str(config),
    ]
    with pytest.raises(SystemExit) as ended:
        main(command)
    out = capsys.readouterr()
    assert ended.value.code == 1  # one photo could not be moved
    assert f"{SFACE_MODEL_ID}: 2 reference photos, 1 re-embedded" in out.out
    assert "no face found" in out.err

    db = Database.for_data_dir(tmp_path)
    with db.session() as s:
        photos = s.scalars(select(ReferencePhoto).where(ReferencePhoto.entry_id == entry_id)).all()
        models = sorted(p.model_id for p in photos)
        audited = s.scalars(
            select(AuditRecord).where(AuditRecord.action == "watchlist.reembedded")
        ).all()
        moved = next(p for p in photos if p.model_id == SFACE_MODEL_ID)
        template = np.frombuffer(moved.template, np.float32)
    db.dispose()
    assert models == ["dlib-resnet-v1", SFACE_MODEL_ID]
    assert len(audited) == 1 and audited[0].record_id == entry_id
    assert template.shape == (128,) and abs(float(np.linalg.norm(template)) - 1) < 1e-5

    # A second run does only what is left: the blank photo, which still fails.
    with pytest.raises(SystemExit):
        main(command)
    assert "1 already of this model" in capsys.readouterr().out

"""Key rotation over the store's sealed blobs with clearsight.crypto.rotate, on both backends."""

from __future__ import annotations

import numpy as np
from tests.points import ESTIMATE, POINT
from tests.service.conftest import NOW, fake_photo, make_user
from tests.service.test_store import draft

from clearsight.crypto import BlobCipher, KeyRing, check_readable, new_key, rotate
from clearsight.store import (
    AesGcmCipher,
    Database,
    Role,
    alerts,
    approved_gallery,
    blob_replacer,
    sealed_records,
    watchlist,
)
from clearsight.store._watchlist import ExpiryRule
from clearsight.types import Alert


def test_rotation_reseals_every_blob_and_everything_stays_readable(db: Database) -> None:
    old_ring = KeyRing((new_key(),))
    old = AesGcmCipher(BlobCipher(old_ring))
    enroller, approver = make_user(db, "enr", Role.ENROLLER), make_user(db, "adm", Role.ADMIN)
    with db.session() as s:
        entry = watchlist.create_entry(
            s, old, draft(), [fake_photo(1), fake_photo(2)], enroller, NOW, ExpiryRule()
        )
    with db.session() as s:
        watchlist.approve_entry(s, entry.id, approver, NOW)
        crop = np.full((20, 20, 3), 7, np.uint8)
        alerts.ingest_alert(
            s, old, Alert("k", entry.id, "", 1, 0.9, ESTIMATE, NOW, "c", crop, 2, 2, POINT), NOW
        )
    records = list(sealed_records(db))
    assert len(records) == 2 * 2 + 1
    new_ring = old_ring.with_new_active(new_key())
    crypto = BlobCipher(new_ring)
    report = rotate(sealed_records(db), crypto, blob_replacer(db))
    assert report.reencrypted == 5 and report.complete
    again = rotate(sealed_records(db), crypto, blob_replacer(db))
    assert again.reencrypted == 0 and again.already_current == 5
    only_new = BlobCipher(KeyRing((new_ring.active,)))  # the old key can now be retired
    assert check_readable(sealed_records(db), only_new) == 5
    with db.session() as s:
        gallery = approved_gallery(s, NOW, AesGcmCipher(only_new))
    assert gallery.template_count == 2
    stale = records[0]
    assert blob_replacer(db)(stale, b"x") is False  # compare-and-swap: row changed meanwhile

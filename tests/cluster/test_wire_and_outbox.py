"""Alerts on the wire and in the disk buffer: encrypted, validated, bounded, counted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.points import CLUSTER_FIELDS

from clearsight.cluster import CameraSpec, ClusterAlert, Outbox, open_alert, seal_alert
from clearsight.crypto import BlobCipher, KeyRing, new_key
from clearsight.errors import CryptoError, InputError


def _alert(alert_id: str = "a1", name: str = "Ada Lovelace") -> ClusterAlert:
    now = datetime.now(UTC)
    return ClusterAlert(
        alert_id=alert_id,
        site="north",
        camera_id="cam-1",
        worker_id="w1",
        subject_id="s1",
        subject_name=name,
        track_id=3,
        score=0.97,
        estimated_fmr=1e-5,
        samples_used=4,
        agreeing_samples=3,
        capture_time=now,
        decided_at=now,
        model_id="dlib-resnet-v1",
        **CLUSTER_FIELDS,
        crop_jpeg=b"\xff\xd8jpeg-bytes",
    )


def test_sealed_alert_round_trips_and_hides_its_content(cipher: BlobCipher) -> None:
    alert = _alert()
    sealed = seal_alert(alert, cipher, "ns")
    assert b"Ada Lovelace" not in sealed
    opened = open_alert(sealed, "a1", cipher, "ns")
    assert opened == alert


def test_alert_under_another_id_or_key_is_refused(cipher: BlobCipher) -> None:
    sealed = seal_alert(_alert(), cipher, "ns")
    with pytest.raises(CryptoError, match="alert a2"):
        open_alert(sealed, "a2", cipher, "ns")  # copied onto another message id
    with pytest.raises(CryptoError):
        open_alert(sealed, "a1", BlobCipher(KeyRing((new_key(),))), "ns")
    with pytest.raises(CryptoError):
        open_alert(sealed, "a1", cipher, "other-namespace")


def test_malformed_alert_names_the_field(cipher: BlobCipher) -> None:
    blob = cipher.encrypt(b'{"alert_id": "a1"}', b"ns/alert/a1")
    with pytest.raises(InputError, match="alert a1: site"):
        open_alert(blob, "a1", cipher, "ns")


@pytest.mark.parametrize("field", ["camera_id", "site"])
@pytest.mark.parametrize("value", ["a.b", "", "with space", "x" * 65, "star*"])
def test_camera_names_must_be_keys_and_subject_tokens(field: str, value: str) -> None:
    values = {"camera_id": "cam-1", "site": "north", "source": "rtsp://x", field: value}
    with pytest.raises(ValueError, match="letters, digits"):
        CameraSpec(**values)  # type: ignore[arg-type]


def test_outbox_keeps_alerts_until_removed_across_restarts(
    tmp_path: Path, cipher: BlobCipher
) -> None:
    path = tmp_path / "outbox.sqlite3"
    box = Outbox(path, max_alerts=10)
    for i in range(3):
        assert box.add(f"a{i}", "ns.alerts.north", seal_alert(_alert(f"a{i}"), cipher, "ns"))
    assert box.add("a0", "ns.alerts.north", b"again")  # same id twice: stored once
    assert box.pending == 3
    first = box.oldest(2)
    box.remove([first[0].seq])
    box.close()
    reopened = Outbox(path, max_alerts=10)
    assert reopened.pending == 2
    assert [e.alert_id for e in reopened.oldest(10)] == ["a1", "a2"]
    assert open_alert(reopened.oldest(1)[0].sealed, "a1", cipher, "ns").alert_id == "a1"


def test_outbox_is_encrypted_on_disk(tmp_path: Path, cipher: BlobCipher) -> None:
    path = tmp_path / "outbox.sqlite3"
    box = Outbox(path, max_alerts=10)
    box.add("a1", "ns.alerts.north", seal_alert(_alert(name="Grace Hopper"), cipher, "ns"))
    box.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"Grace Hopper" not in raw and b"jpeg-bytes" not in raw


def test_full_outbox_refuses_counts_and_remembers(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    box = Outbox(path, max_alerts=2)
    results = [box.add(f"a{i}", "s", b"x") for i in range(5)]
    assert results == [True, True, False, False, False]
    assert (box.pending, box.overflow) == (2, 3)
    box.remove([e.seq for e in box.oldest(1)])
    assert box.add("a9", "s", b"x")  # room again
    box.close()
    assert Outbox(path, max_alerts=2).overflow == 3  # the count survives a restart

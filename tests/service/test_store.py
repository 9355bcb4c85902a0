"""The store on SQLite and PostgreSQL: migrations, accounts, watchlist governance, alerts."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from tests.points import ESTIMATE, POINT
from tests.service.conftest import NOW, fake_photo, make_user

from clearsight.errors import InputError, NotFoundError, PolicyError
from clearsight.review import AlertStatus, Decision, ReviewPolicy
from clearsight.store import (
    Base,
    Database,
    IdentityCipher,
    ReasonCategory,
    ReferencePhoto,
    Role,
    accounts,
    alerts,
    approved_gallery,
    watchlist,
)
from clearsight.store._watchlist import EntryDraft, ExpiryRule
from clearsight.types import Alert

CIPHER = IdentityCipher()
RULE = ExpiryRule(default=timedelta(days=730), maximum=timedelta(days=730))


def draft(**changes: object) -> EntryDraft:
    values: dict[str, object] = {
        "name": "Subject A",
        "reason_category": ReasonCategory.VIOLENCE,
        "incident_ref": "INC-1",
        "notes": "assaulted staff",
        "attested_not_minor": True,
    }
    values.update(changes)
    return EntryDraft(**values)  # type: ignore[arg-type]


def approved_entry(db: Database, seed: int = 1) -> str:
    enroller = make_user(db, f"enroller{seed}", Role.ENROLLER)
    approver = make_user(db, f"approver{seed}", Role.ADMIN)
    with db.session() as s:
        entry = watchlist.create_entry(s, CIPHER, draft(), [fake_photo(seed)], enroller, NOW, RULE)
    with db.session() as s:
        watchlist.approve_entry(s, entry.id, approver, NOW)
    return entry.id


def alert_for(subject_id: str, key: str = "k1") -> Alert:
    crop = np.full((40, 30, 3), 128, np.uint8)
    return Alert(key, subject_id, "Subject A", 7, 0.91, ESTIMATE, NOW, "cam-1", crop, 5, 4, POINT)


def test_migrations_match_the_models(db: Database) -> None:
    db.migrate()  # a second run is a no-op
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        tables = set(inspect(connection).get_table_names())
    assert diff == []
    assert {"users", "alerts", "audit_log", "review_decisions", "reference_photos"} <= tables


def test_passwords_are_argon2id_and_checked(db: Database) -> None:
    user = make_user(db, "alice", Role.ADMIN)
    assert user.password_hash.startswith("$argon2id$")
    with db.session() as s:
        assert accounts.authenticate(s, "alice", "correct horse battery") is not None
        assert accounts.authenticate(s, "alice", "wrong password!!") is None
        assert accounts.authenticate(s, "nobody", "correct horse battery") is None
    with pytest.raises(PolicyError, match="already exists"), db.session() as s:
        accounts.create_user(s, "alice", "another long password", Role.REVIEWER, "t")
    with pytest.raises(InputError, match="at least 12"), db.session() as s:
        accounts.create_user(s, "bob", "short", Role.REVIEWER, "t")


def test_setup_token_is_one_time_and_only_before_any_user(db: Database) -> None:
    with db.session() as s:
        secret = accounts.issue_setup_token(s, NOW, timedelta(hours=1))
    assert secret
    with db.session() as s:
        assert accounts.setup_token_valid(s, secret, NOW)
        assert not accounts.setup_token_valid(s, secret, NOW + timedelta(hours=2))
        admin = accounts.complete_setup(s, secret, "root", "a long admin password", NOW)
    assert admin.role == Role.ADMIN.value
    with pytest.raises(PolicyError, match="already used"), db.session() as s:
        accounts.complete_setup(s, secret, "root2", "a long admin password", NOW)
    with db.session() as s:
        assert accounts.issue_setup_token(s, NOW, timedelta(hours=1)) is None


def test_api_tokens_are_hashed_scoped_and_revocable(db: Database) -> None:
    user = make_user(db, "svc", Role.ADMIN)
    with db.session() as s:
        token, secret = accounts.create_api_token(
            s, user, "worker", frozenset({"alerts:ingest"}), None
        )
        assert secret not in token.token_hash
    with db.session() as s:
        found = accounts.find_api_token(s, secret, NOW)
        assert found is not None and found[1] == frozenset({"alerts:ingest"})
        accounts.revoke_api_token(s, user, token.id, NOW)
    with db.session() as s:
        assert accounts.find_api_token(s, secret, NOW) is None
        assert accounts.find_api_token(s, secret + "x", NOW) is None


def test_watchlist_entry_rules(db: Database) -> None:
    enroller = make_user(db, "enr", Role.ENROLLER)
    with pytest.raises(PolicyError, match="under 18"), db.session() as s:
        watchlist.create_entry(
            s, CIPHER, draft(attested_not_minor=False), [fake_photo(1)], enroller, NOW, RULE
        )
    with pytest.raises(InputError, match="reference photo"), db.session() as s:
        watchlist.create_entry(s, CIPHER, draft(), [], enroller, NOW, RULE)
    with pytest.raises(InputError, match="incident"), db.session() as s:
        watchlist.create_entry(
            s, CIPHER, draft(incident_ref=" "), [fake_photo(1)], enroller, NOW, RULE
        )
    with pytest.raises(PolicyError, match="at most 730 days"), db.session() as s:
        watchlist.create_entry(
            s,
            CIPHER,
            draft(expires_at=NOW + timedelta(days=731)),
            [fake_photo(1)],
            enroller,
            NOW,
            RULE,
        )
    with db.session() as s:
        entry = watchlist.create_entry(s, CIPHER, draft(), [fake_photo(1)], enroller, NOW, RULE)
    assert entry.expires_at == NOW + timedelta(days=730)
    with pytest.raises(PolicyError, match="different person"), db.session() as s:
        watchlist.approve_entry(s, entry.id, enroller, NOW)


def test_only_approved_unexpired_entries_match_and_expiry_purges(db: Database) -> None:
    enroller = make_user(db, "enr", Role.ENROLLER)
    approver = make_user(db, "apr", Role.ADMIN)
    with db.session() as s:
        entry = watchlist.create_entry(
            s,
            CIPHER,
            draft(expires_at=NOW + timedelta(days=10)),
            [fake_photo(1), fake_photo(2)],
            enroller,
            NOW,
            RULE,
        )
        other = watchlist.create_entry(
            s, CIPHER, draft(name="B"), [fake_photo(3)], enroller, NOW, RULE
        )
    with db.session() as s:
        assert len(approved_gallery(s, NOW)) == 0  # pending entries never match
        watchlist.approve_entry(s, entry.id, approver, NOW)
    with db.session() as s:
        gallery = approved_gallery(s, NOW)
    assert gallery.subject_ids == (entry.id,) and gallery.template_count == 2
    probe = fake_photo(2).embedding.vector
    assert gallery.subject_scores(probe[None, :])[0, 0] == pytest.approx(1.0, abs=1e-5)
    later = NOW + timedelta(days=10, seconds=1)
    with db.session() as s:
        assert len(approved_gallery(s, later)) == 0  # stops matching at once, before a purge
        assert watchlist.purge_expired(s, later) == [entry.id]
    with db.session() as s:
        purged = watchlist.get_entry(s, entry.id)
        assert purged.status == "expired" and purged.photos == [] and purged.name == "[purged]"
        remaining = s.scalars(select(ReferencePhoto.entry_id)).all()
        assert remaining == [other.id]


def test_alert_ingest_is_idempotent_and_refuses_unmatchable_subjects(db: Database) -> None:
    subject = approved_entry(db)
    with db.session() as s:
        first = alerts.ingest_alert(s, CIPHER, alert_for(subject), NOW)
    with db.session() as s:
        again = alerts.ingest_alert(s, CIPHER, alert_for(subject), NOW)
        assert len(alerts.list_alerts(s, None)) == 1
    assert first.created and not again.created and again.alert.id == first.alert.id
    enroller = make_user(db, "late", Role.ENROLLER)
    with db.session() as s:
        pending = watchlist.create_entry(s, CIPHER, draft(), [fake_photo(9)], enroller, NOW, RULE)
    with pytest.raises(PolicyError, match="not matchable"), db.session() as s:
        alerts.ingest_alert(s, CIPHER, alert_for(pending.id, "k2"), NOW)
    with pytest.raises(NotFoundError), db.session() as s:
        alerts.ingest_alert(s, CIPHER, alert_for("nope", "k3"), NOW)


def test_two_distinct_reviewers_confirm(db: Database) -> None:
    subject = approved_entry(db)
    r1, r2 = make_user(db, "rev1", Role.REVIEWER), make_user(db, "rev2", Role.REVIEWER)
    policy = ReviewPolicy(required_confirmations=2)
    with db.session() as s:
        alert_id = alerts.ingest_alert(s, CIPHER, alert_for(subject), NOW).alert.id
    with db.session() as s:
        out = alerts.decide(s, alert_id, r1, Decision.CONFIRM, "same face", policy, NOW)
        assert out.status is AlertStatus.PENDING
        assert alerts.confirmed_unnotified(s) == []  # never notify a pending alert
    with pytest.raises(PolicyError, match="already decided"), db.session() as s:
        alerts.decide(s, alert_id, r1, Decision.CONFIRM, "again", policy, NOW)
    with db.session() as s:
        out = alerts.decide(s, alert_id, r2, Decision.CONFIRM, "agree", policy, NOW)
    assert out.status is AlertStatus.CONFIRMED and out.settled_now
    with db.session() as s:
        assert [a.id for a in alerts.confirmed_unnotified(s)] == [alert_id]
        alerts.mark_notified(s, alert_id, ["webhook"], NOW)
    with db.session() as s:
        assert alerts.confirmed_unnotified(s) == []


def test_reject_and_unsure_and_expiry(db: Database) -> None:
    subject = approved_entry(db)
    r1, r2 = make_user(db, "rev1", Role.REVIEWER), make_user(db, "rev2", Role.REVIEWER)
    policy = ReviewPolicy(required_confirmations=2, review_window=timedelta(hours=1))
    with db.session() as s:
        a = alerts.ingest_alert(s, CIPHER, alert_for(subject, "a"), NOW).alert.id
        b = alerts.ingest_alert(s, CIPHER, alert_for(subject, "b"), NOW).alert.id
    with db.session() as s:
        assert alerts.decide(s, a, r1, Decision.UNSURE, "blurry", policy, NOW).status == "pending"
        assert alerts.decide(s, a, r2, Decision.REJECT, "different", policy, NOW).status == (
            "rejected"
        )
    with pytest.raises(InputError, match="comment"), db.session() as s:
        alerts.decide(s, b, r1, Decision.CONFIRM, "  ", policy, NOW)
    with pytest.raises(PolicyError, match="expired"), db.session() as s:
        alerts.decide(s, b, r1, Decision.CONFIRM, "late", policy, NOW + timedelta(hours=2))
    with db.session() as s:
        assert alerts.get_alert(s, b).status == "pending"
        assert alerts.expire_stale(s, policy, NOW + timedelta(hours=2)) == [b]
    with db.session() as s:
        assert alerts.get_alert(s, b).status == "expired"
        assert alerts.get_alert(s, a).status == "rejected"


def test_disabled_users_lose_sessions_and_tokens(db: Database) -> None:
    admin = make_user(db, "adm", Role.ADMIN)
    user = make_user(db, "rev", Role.REVIEWER)
    with db.session() as s:
        session_secret = accounts.open_session(s, user, NOW, timedelta(hours=1)).secret
        _, token = accounts.create_api_token(s, user, "t", frozenset({"alerts:review"}), None)
    with pytest.raises(PolicyError, match="own account"), db.session() as s:
        accounts.disable_user(s, admin.id, admin, NOW, "oops")
    with db.session() as s:
        accounts.disable_user(s, user.id, admin, NOW, "left the company")
    with db.session() as s:
        kept = accounts.open_session(s, admin, NOW, timedelta(hours=1)).secret
        assert accounts.purge_expired_sessions(s, NOW + timedelta(hours=2)) == 1
    with db.session() as s:
        assert accounts.find_session(s, kept, NOW) is None  # purged once expired
    with db.session() as s:
        assert accounts.find_session(s, session_secret, NOW) is None
        assert accounts.find_api_token(s, token, NOW) is None
        assert accounts.authenticate(s, "rev", "correct horse battery") is None


def test_only_the_newest_setup_link_works(db: Database) -> None:
    with db.session() as s:
        first = accounts.issue_setup_token(s, NOW, timedelta(hours=1))
    with db.session() as s:
        second = accounts.issue_setup_token(s, NOW + timedelta(seconds=1), timedelta(hours=1))
    with db.session() as s:
        assert first and second
        assert not accounts.setup_token_valid(s, first, NOW + timedelta(seconds=2))
        assert accounts.setup_token_valid(s, second, NOW + timedelta(seconds=2))


def test_read_sessions_see_committed_data_and_refuse_writes_on_sqlite(db: Database) -> None:
    from sqlalchemy.exc import OperationalError

    make_user(db, "alice", Role.ADMIN)
    with db.read_session() as s:
        assert accounts.user_count(s) == 1
    if db.dialect == "sqlite":
        with pytest.raises(OperationalError, match="readonly"), db.read_session() as s:
            accounts.create_user(s, "bob", "correct horse battery", Role.REVIEWER, "t")
    with db.session() as s:  # the write connection is writable again afterwards
        accounts.create_user(s, "carol", "correct horse battery", Role.REVIEWER, "t")

"""Everything a request handler needs, built once per app from the settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from clearsight.notify import Notifier
from clearsight.review import ReviewPolicy
from clearsight.store import BlobCipher, Database, IdentityCipher, configured_cipher
from clearsight.store._types import utcnow
from clearsight.store._watchlist import ExpiryRule
from clearsight.types import Embedding
from clearsight.web._limits import LoginLimiter
from clearsight.web._settings import ServiceSettings

log = logging.getLogger(__name__)


class EnrolledFaceLike(Protocol):
    """What enrolment returns (``clearsight.enrollment.EnrolledFace``)."""

    @property
    def embedding(self) -> Embedding: ...

    @property
    def crop(self) -> npt.NDArray[np.uint8]: ...


EnrollFunction = Callable[[npt.NDArray[np.uint8], str], EnrolledFaceLike]


def _real_enroll(image: npt.NDArray[np.uint8], name: str) -> EnrolledFaceLike:
    # Imported when first used: enrolment loads dlib models, the web package does not.
    from clearsight.enrollment import enroll_face

    return enroll_face(image, name)


@dataclass(frozen=True)
class Hooks:
    """Seams a test or an embedding application may replace."""

    enroll: EnrollFunction = _real_enroll
    clock: Callable[[], datetime] = utcnow
    notifier: Notifier | None = None


def make_cipher(settings: ServiceSettings) -> BlobCipher:
    """AES-GCM when a key is configured (key file or environment), else no encryption."""
    cipher = configured_cipher(settings.key_file)
    if isinstance(cipher, IdentityCipher):
        log.warning(
            "no encryption key configured: face images and templates are stored unencrypted "
            "(set --key-file, $CLEARSIGHT_KEY or $CLEARSIGHT_KEY_FILE)"
        )
    return cipher


@dataclass
class ServiceContext:
    settings: ServiceSettings
    db: Database
    cipher: BlobCipher
    hooks: Hooks
    notifier: Notifier
    limiter: LoginLimiter
    policy: ReviewPolicy
    expiry: ExpiryRule
    state: dict[str, Any] = field(default_factory=dict)
    # Called after a change that may alter a site's approved watchlist (approval, expiry);
    # ``clearsight serve --nats`` sets it to publish the lists to the cluster's workers.
    on_watchlist_change: Callable[[], None] = lambda: None

    @classmethod
    def build(cls, settings: ServiceSettings, hooks: Hooks) -> ServiceContext:
        from clearsight.web._startup import open_database

        db = open_database(settings)
        return cls(
            settings=settings,
            db=db,
            cipher=make_cipher(settings),
            hooks=hooks,
            notifier=hooks.notifier or Notifier(settings.notify),
            limiter=LoginLimiter(settings.login_max_failures, settings.login_window_s),
            policy=ReviewPolicy(
                settings.required_confirmations, timedelta(hours=settings.review_window_hours)
            ),
            expiry=ExpiryRule(
                timedelta(days=settings.watchlist_default_expiry_days),
                timedelta(days=settings.watchlist_max_expiry_days),
            ),
        )

    def now(self) -> datetime:
        return self.hooks.clock()

"""Everything a use case needs, built once per service from the deployment config."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from clearsight.notify import Notifier
from clearsight.review import ReviewPolicy
from clearsight.service._limits import LoginLimiter
from clearsight.service._settings import DeploymentConfig, ServiceSettings
from clearsight.store import (
    BlobCipher,
    Database,
    ExpiryRule,
    IdentityCipher,
    configured_cipher,
    utcnow,
)
from clearsight.types import Embedding

if TYPE_CHECKING:
    from clearsight.privacy import RedactionDetector
    from clearsight.service.subject_access import SubjectCase

log = logging.getLogger(__name__)


class EnrolledFaceLike(Protocol):
    """What enrolment returns (``clearsight.enrollment.EnrolledFace``)."""

    @property
    def embedding(self) -> Embedding: ...

    @property
    def crop(self) -> npt.NDArray[np.uint8]: ...


EnrollFunction = Callable[[npt.NDArray[np.uint8], str], EnrolledFaceLike]


def _real_enroll(image: npt.NDArray[np.uint8], name: str) -> EnrolledFaceLike:
    # Imported when first used: enrolment loads the face models, the service does not.
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
class ServiceState:
    """What the running service remembers between requests (lost on restart, by design)."""

    anchored_head: tuple[int, str] | None = None
    """The audit chain head last appended to the anchor file."""
    subject_cases: dict[str, SubjectCase] = field(default_factory=dict)
    """Open subject-access cases by id (kept for ``CASE_TTL``)."""
    redaction_detector: RedactionDetector | None = None
    """Loaded on the first subject-access export, then reused."""


@dataclass
class ServiceContext:
    config: DeploymentConfig
    db: Database
    cipher: BlobCipher
    hooks: Hooks
    notifier: Notifier
    limiter: LoginLimiter
    policy: ReviewPolicy
    expiry: ExpiryRule
    camera_model_id: str | None = None
    """Embedding model the pipeline sections name (the settings page shows its operating
    point); None when the service runs without cameras' models known."""
    state: ServiceState = field(default_factory=ServiceState)
    # Called after a change that may alter a site's approved watchlist (approval, expiry);
    # a service that joined the cluster sets it to publish the lists to the workers.
    on_watchlist_change: Callable[[], None] = lambda: None

    @property
    def settings(self) -> ServiceSettings:
        return self.config.service

    @classmethod
    def build(
        cls, config: DeploymentConfig, hooks: Hooks, camera_model_id: str | None = None
    ) -> ServiceContext:
        from clearsight.service._startup import open_database

        settings = config.service
        return cls(
            config=config,
            db=open_database(settings),
            cipher=make_cipher(settings),
            hooks=hooks,
            notifier=hooks.notifier or Notifier(config.notify),
            limiter=LoginLimiter(settings.login_max_failures, settings.login_window_s),
            policy=ReviewPolicy(config.review.required_confirmations, config.review_window),
            expiry=ExpiryRule(
                timedelta(days=config.review.watchlist_default_expiry_days),
                timedelta(days=config.review.watchlist_max_expiry_days),
            ),
            camera_model_id=camera_model_id,
        )

    def now(self) -> datetime:
        return self.hooks.clock()

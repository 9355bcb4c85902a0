"""``build_service(config)``: the running service's parts, composed in one place.

The CLI's ``serve`` parses flags into a ``DeploymentConfig`` and hands it here; the web
package turns the context into routes. Everything that can refuse to start (no encryption
key, a cluster without its key) is checked before anything is created.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from clearsight.config import ClearsightConfig
from clearsight.errors import ConfigError, CryptoError
from clearsight.service._context import EnrolledFaceLike, EnrollFunction, Hooks, ServiceContext
from clearsight.service._settings import DeploymentConfig
from clearsight.service.usecases import ingest
from clearsight.store import Camera, IdentityCipher, configured_cipher

if TYPE_CHECKING:
    from clearsight.crypto import BlobCipher as ClusterCipher
    from clearsight.service.cluster_link import ClusterLink
    from clearsight.workers import CameraRuntime

log = logging.getLogger(__name__)


def configured_model_id(config: ClearsightConfig) -> str:
    """The model id of the embedder the pipeline sections name (nothing is loaded)."""
    from clearsight.embed import create_embedder

    return create_embedder(config.embed).model_id


def configured_enrolment(config: ClearsightConfig) -> EnrollFunction:
    """Enrolment with the pipeline's detector and embedder, so the service's templates are of
    the model the cameras run (an ONNX embedder file included); models load on first use."""
    from clearsight.detect import create_enrollment_detector
    from clearsight.embed import create_embedder
    from clearsight.enrollment import enroll_face

    embedder = create_embedder(config.embed)
    detector = create_enrollment_detector(config.detector)

    def enroll(image: npt.NDArray[np.uint8], name: str) -> EnrolledFaceLike:
        return enroll_face(image, name, detector=detector, embedder=embedder)

    return enroll


def require_encryption(config: DeploymentConfig) -> None:
    """Refuse to serve without an encryption key unless told to; a bad key file stops here."""
    settings = config.service
    if isinstance(configured_cipher(settings.key_file), IdentityCipher) and not (
        settings.allow_unencrypted
    ):
        raise ConfigError(
            "no encryption key: face images and templates would be stored unencrypted; pass "
            "--key-file FILE (make one with `clearsight keys generate --out FILE`), set "
            "$CLEARSIGHT_KEY or $CLEARSIGHT_KEY_FILE, or pass --allow-unencrypted to accept it"
        )


def cluster_cipher(config: DeploymentConfig) -> ClusterCipher:
    """The key ring the cluster's workers share; the service cannot join without it."""
    from clearsight.crypto import BlobCipher, load_key_ring

    try:
        return BlobCipher(load_key_ring(config.service.key_file))
    except CryptoError as error:
        raise ConfigError(
            f"--nats needs the cluster's encryption key (--key-file or $CLEARSIGHT_KEY): {error}"
        ) from error


@dataclass
class Service:
    """The service's context and its background parts: the camera workers and the link to
    the cluster, started by ``with service:`` and stopped at its end."""

    context: ServiceContext
    cameras: CameraRuntime | None = None
    link: ClusterLink | None = None
    _running: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def config(self) -> DeploymentConfig:
        return self.context.config

    def add_demo_camera(self) -> Camera:
        """The camera replaying the synthetic demo clip (made in the data dir once)."""
        from clearsight.workers import ensure_demo_camera

        return ensure_demo_camera(self.context.db, self.config.service.data_dir)

    def __enter__(self) -> Service:
        with contextlib.ExitStack() as stack:
            if self.cameras is not None:
                stack.enter_context(self.cameras)
            if self.link is not None:
                stack.enter_context(self.link)
            self._running = stack.pop_all()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._running.close()


def build_service(config: DeploymentConfig, hooks: Hooks | None = None) -> Service:
    """The service ``config`` describes: checked (encryption key, cluster key), then built;
    nothing runs until ``with service:``. ``hooks`` replace seams (tests); by default
    enrolment uses the pipeline's detector and embedder."""
    require_encryption(config)
    cipher_for_cluster = cluster_cipher(config) if config.service.join_cluster else None
    model_id = configured_model_id(config)
    context = ServiceContext.build(
        config, hooks or Hooks(enroll=configured_enrolment(config)), model_id
    )
    service = Service(context)
    if config.service.cameras:
        from clearsight.workers import CameraRuntime

        service.cameras = CameraRuntime(
            context.db,
            lambda camera_id, alert: ingest(context, alert, (), camera_id),
            config.pipeline,
            cipher=context.cipher,
        )
    if cipher_for_cluster is not None:
        from clearsight.service.cluster_link import ClusterLink

        link = ClusterLink(
            context.db,
            context.cipher,
            context.now,
            config.cluster,
            cipher_for_cluster,
            config.service.cluster_model_id or model_id,
        )
        context.on_watchlist_change = link.publish_watchlists
        service.link = link
    return service

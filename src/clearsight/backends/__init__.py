"""Optional model backends run by ONNX Runtime: models the user supplies, checked by SHA-256.

Nothing here is used unless configured (``detector.type = "scrfd"``, ``embed.runtime =
"model"``), and nothing is downloaded: the user points at a file and its expected digest.
``create_models`` builds what a config names, dlib's models included, for every command,
camera worker and the service. See docs/performance.md for where such models come from and
their licences (InsightFace's pretrained weights are for non-commercial research only).
"""

from clearsight.backends._arcface import OnnxEmbedder
from clearsight.backends._config import OnnxEmbedderConfig, OnnxModelFile, ScrfdDetectorConfig
from clearsight.backends._factory import (
    ConfiguredModels,
    create_detector_from_config,
    create_embedder_from_config,
    create_enrollment_detector,
    create_models,
    embedder_card,
)
from clearsight.backends._scrfd import ScrfdDetector, anchor_centres, letterbox
from clearsight.backends._session import open_session
from clearsight.embed import ARCFACE_POINTS, arcface_chips

__all__ = [
    "ARCFACE_POINTS",
    "ConfiguredModels",
    "OnnxEmbedder",
    "OnnxEmbedderConfig",
    "OnnxModelFile",
    "ScrfdDetector",
    "ScrfdDetectorConfig",
    "anchor_centres",
    "arcface_chips",
    "create_detector_from_config",
    "create_embedder_from_config",
    "create_enrollment_detector",
    "create_models",
    "embedder_card",
    "letterbox",
    "open_session",
]

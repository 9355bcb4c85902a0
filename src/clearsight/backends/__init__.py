"""Optional model backends run by ONNX Runtime: models the user supplies, checked by SHA-256.

Nothing here is used unless configured, and nothing is downloaded: the user points at a
file and its expected digest. See docs/performance.md for where such models come from and
their licences (InsightFace's pretrained weights are for non-commercial research only).
"""

from clearsight.backends._arcface import ARCFACE_POINTS, OnnxEmbedder, arcface_chips
from clearsight.backends._config import OnnxEmbedderConfig, OnnxModelFile, ScrfdDetectorConfig
from clearsight.backends._scrfd import ScrfdDetector, anchor_centres, letterbox
from clearsight.backends._session import open_session

__all__ = [
    "ARCFACE_POINTS",
    "OnnxEmbedder",
    "OnnxEmbedderConfig",
    "OnnxModelFile",
    "ScrfdDetector",
    "ScrfdDetectorConfig",
    "anchor_centres",
    "arcface_chips",
    "letterbox",
    "open_session",
]

"""The backends' settings, defined in ``clearsight.config`` (so the main config can name
them) and re-exported here, where they were first defined."""

from clearsight.config import OnnxEmbedderConfig, OnnxModelFile, ScrfdDetectorConfig

__all__ = ["OnnxEmbedderConfig", "OnnxModelFile", "ScrfdDetectorConfig"]

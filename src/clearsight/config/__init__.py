"""Pipeline configuration: pydantic models that forbid unknown keys and document every field.

Loading a file (``load_config``) is separate from validating values (the models themselves).
"""

from clearsight.config._backends import (
    CONFIG_DIR,
    OnnxEmbedderConfig,
    OnnxModelFile,
    ScrfdDetectorConfig,
)
from clearsight.config._load import DEPLOYMENT_SECTIONS, load_config, read_config_file
from clearsight.config._models import (
    AlertConfig,
    ClearsightConfig,
    CnnDetectorConfig,
    DetectorConfig,
    EmbedConfig,
    HogDetectorConfig,
    IngestConfig,
    MatchConfig,
    QualityConfig,
    ScheduleConfig,
    TrackConfig,
    YunetDetectorConfig,
)

__all__ = [
    "CONFIG_DIR",
    "DEPLOYMENT_SECTIONS",
    "AlertConfig",
    "ClearsightConfig",
    "CnnDetectorConfig",
    "DetectorConfig",
    "EmbedConfig",
    "HogDetectorConfig",
    "IngestConfig",
    "MatchConfig",
    "OnnxEmbedderConfig",
    "OnnxModelFile",
    "QualityConfig",
    "ScheduleConfig",
    "ScrfdDetectorConfig",
    "TrackConfig",
    "YunetDetectorConfig",
    "load_config",
    "read_config_file",
]

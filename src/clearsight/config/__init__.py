"""Pipeline configuration: pydantic models that forbid unknown keys and document every field.

Loading a file (``load_config``) is separate from validating values (the models themselves).
The ``detector`` and ``embed`` sections are unions of the plugins registered in
``clearsight.detect`` and ``clearsight.embed``, whose settings classes live with their
implementations and are re-exported here.
"""

from clearsight.config._load import DEPLOYMENT_SECTIONS, load_config, read_config_file
from clearsight.config._models import (
    AlertConfig,
    ClearsightConfig,
    DetectorConfig,
    EmbedConfig,
    IngestConfig,
    MatchConfig,
    QualityConfig,
    ScheduleConfig,
    TrackConfig,
)
from clearsight.detect import (
    CnnDetectorConfig,
    HogDetectorConfig,
    RetinafaceDetectorConfig,
    ScrfdDetectorConfig,
    YunetDetectorConfig,
)
from clearsight.embed import (
    DlibResNetEmbedConfig,
    OnnxEmbedderConfig,
    OnnxFileEmbedConfig,
    SFaceEmbedConfig,
)
from clearsight.models import OnnxModelFile

__all__ = [
    "DEPLOYMENT_SECTIONS",
    "AlertConfig",
    "ClearsightConfig",
    "CnnDetectorConfig",
    "DetectorConfig",
    "DlibResNetEmbedConfig",
    "EmbedConfig",
    "HogDetectorConfig",
    "IngestConfig",
    "MatchConfig",
    "OnnxEmbedderConfig",
    "OnnxFileEmbedConfig",
    "OnnxModelFile",
    "QualityConfig",
    "RetinafaceDetectorConfig",
    "SFaceEmbedConfig",
    "ScheduleConfig",
    "ScrfdDetectorConfig",
    "TrackConfig",
    "YunetDetectorConfig",
    "load_config",
    "read_config_file",
]

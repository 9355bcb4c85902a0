"""The pipeline for one camera: detect -> track -> quality -> embed -> match -> alert."""

from clearsight.pipeline._models import ConfiguredModels, create_models, embedder_card
from clearsight.pipeline._pipeline import Pipeline, PipelineStats
from clearsight.pipeline._run import RunSummary, run_source, stream_alerts

__all__ = [
    "ConfiguredModels",
    "Pipeline",
    "PipelineStats",
    "RunSummary",
    "create_models",
    "embedder_card",
    "run_source",
    "stream_alerts",
]

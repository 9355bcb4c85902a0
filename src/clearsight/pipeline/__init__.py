"""The pipeline for one camera: detect -> track -> quality -> embed -> match -> alert."""

from clearsight.pipeline._pipeline import Pipeline, PipelineStats
from clearsight.pipeline._run import RunSummary, run_source, stream_alerts

__all__ = ["Pipeline", "PipelineStats", "RunSummary", "run_source", "stream_alerts"]

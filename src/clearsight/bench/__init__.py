"""Benchmarks that print figures, never pass/fail: gallery search, pipeline, alert latency."""

from clearsight.bench._cameras_bench import CameraFigures, CamerasFigures, run_cameras
from clearsight.bench._clip import ClipSummary, upscale_clip
from clearsight.bench._pipeline_bench import (
    LatencyFigures,
    Models,
    ThroughputFigures,
    run_latency,
    run_naive,
    run_pipeline,
    warm_up,
)
from clearsight.bench._resources import (
    Percentiles,
    cpu_seconds,
    load_average,
    peak_resident_mb,
    resident_mb,
    thread_limit,
)
from clearsight.bench._search_bench import (
    PRESETS,
    IndexPreset,
    SearchFigures,
    SearchPlan,
    ivf_lists,
    run_search_bench,
)
from clearsight.bench._seed import SeedSummary, embed_people_folder
from clearsight.bench._synthetic import (
    EmbeddingModel,
    ScoreProfile,
    SyntheticSet,
    fit_embedding_model,
    load_seed,
    random_set,
    score_profile,
    synthetic_set,
)

__all__ = [
    "PRESETS",
    "CameraFigures",
    "CamerasFigures",
    "ClipSummary",
    "EmbeddingModel",
    "IndexPreset",
    "LatencyFigures",
    "Models",
    "Percentiles",
    "ScoreProfile",
    "SearchFigures",
    "SearchPlan",
    "SeedSummary",
    "SyntheticSet",
    "ThroughputFigures",
    "cpu_seconds",
    "embed_people_folder",
    "fit_embedding_model",
    "ivf_lists",
    "load_average",
    "load_seed",
    "peak_resident_mb",
    "random_set",
    "resident_mb",
    "run_cameras",
    "run_latency",
    "run_naive",
    "run_pipeline",
    "run_search_bench",
    "score_profile",
    "synthetic_set",
    "thread_limit",
    "upscale_clip",
    "warm_up",
]

"""Evaluation: datasets, metrics, fairness, identification, calibration, planning, reports,
and face detection on WIDER FACE.

Nothing here loads a model or touches a file on import; the work runs when asked.
"""

from clearsight.evaluation._bootstrap import bootstrap_impostor_rate, bootstrap_mated_rate
from clearsight.evaluation._cache import EmbeddingCache, default_cache_dir
from clearsight.evaluation._calibrate import card_from_statistics
from clearsight.evaluation._configured import embed_with_config
from clearsight.evaluation._datasets import (
    ImageSet,
    PairProtocol,
    list_lfw_images,
    load_manifest,
    parse_pairs,
)
from clearsight.evaluation._detection import (
    DETECTOR_PRESETS,
    FRAME_MODES,
    SIZE_BANDS,
    BandRecall,
    DetectionReport,
    FrameMatch,
    FrameMode,
    FrameTiming,
    WiderFace,
    WiderImage,
    detector_config_from_spec,
    evaluate_detector,
    load_wider,
    match_detections,
    parse_wider_ground_truth,
    resize_to_1080p,
    select_evenly,
    time_detectors,
)
from clearsight.evaluation._extract import (
    DEFAULT_VIEWS,
    EmbeddedImages,
    ExtractOptions,
    embed_images,
)
from clearsight.evaluation._faces import FaceRecipe
from clearsight.evaluation._fairness import (
    FairnessOptions,
    FairnessReport,
    evaluate_fairness,
    group_images,
)
from clearsight.evaluation._groups import every_group_threshold, group_distributions
from clearsight.evaluation._identify import (
    GallerySizeResult,
    IdentifyOptions,
    evaluate_identification,
)
from clearsight.evaluation._lfw_labels import is_lfw_folder, lfw_labelled_images
from clearsight.evaluation._metrics import (
    auc,
    best_accuracy_threshold,
    equal_error_rate,
    kfold_accuracy,
    rates_at,
    roc_curve,
    tar_at_far,
    threshold_for_fmr,
)
from clearsight.evaluation._pairs import (
    PairStatistics,
    count_accepted,
    fmr_from_histogram,
    pair_statistics,
    threshold_from_histogram,
)
from clearsight.evaluation._planner import (
    OperatingPlan,
    fpir_for_watchlist,
    plan_operating_point,
    required_fmr,
)
from clearsight.evaluation._report import Report, write_json, write_report
from clearsight.evaluation._review import (
    MIN_REVIEWERS,
    MergeSummary,
    ReviewCandidate,
    Verdicts,
    load_verdicts,
    merge_confirmed,
    top_impostor_pairs,
    write_review_csv,
    write_review_sheet,
)
from clearsight.evaluation._runs import (
    GroupSource,
    LabelledEmbeddings,
    calibrate_card,
    embed_dataset,
    run_fairness,
    run_identify,
    run_lfw,
)
from clearsight.evaluation._verification import VerificationResult, pair_scores, verify_pairs
from clearsight.evaluation._views import (
    fairness_report,
    identify_report,
    identify_summary,
    lfw_report,
)

__all__ = [
    "DEFAULT_VIEWS",
    "DETECTOR_PRESETS",
    "FRAME_MODES",
    "MIN_REVIEWERS",
    "SIZE_BANDS",
    "BandRecall",
    "DetectionReport",
    "EmbeddedImages",
    "EmbeddingCache",
    "ExtractOptions",
    "FaceRecipe",
    "FairnessOptions",
    "FairnessReport",
    "FrameMatch",
    "FrameMode",
    "FrameTiming",
    "GallerySizeResult",
    "GroupSource",
    "IdentifyOptions",
    "ImageSet",
    "LabelledEmbeddings",
    "MergeSummary",
    "OperatingPlan",
    "PairProtocol",
    "PairStatistics",
    "Report",
    "ReviewCandidate",
    "Verdicts",
    "VerificationResult",
    "WiderFace",
    "WiderImage",
    "auc",
    "best_accuracy_threshold",
    "bootstrap_impostor_rate",
    "bootstrap_mated_rate",
    "calibrate_card",
    "card_from_statistics",
    "count_accepted",
    "default_cache_dir",
    "detector_config_from_spec",
    "embed_dataset",
    "embed_images",
    "embed_with_config",
    "equal_error_rate",
    "evaluate_detector",
    "evaluate_fairness",
    "evaluate_identification",
    "every_group_threshold",
    "fairness_report",
    "fmr_from_histogram",
    "fpir_for_watchlist",
    "group_distributions",
    "group_images",
    "identify_report",
    "identify_summary",
    "is_lfw_folder",
    "kfold_accuracy",
    "lfw_labelled_images",
    "lfw_report",
    "list_lfw_images",
    "load_manifest",
    "load_verdicts",
    "load_wider",
    "match_detections",
    "merge_confirmed",
    "pair_scores",
    "pair_statistics",
    "parse_pairs",
    "parse_wider_ground_truth",
    "plan_operating_point",
    "rates_at",
    "required_fmr",
    "resize_to_1080p",
    "roc_curve",
    "run_fairness",
    "run_identify",
    "run_lfw",
    "select_evenly",
    "tar_at_far",
    "threshold_for_fmr",
    "threshold_from_histogram",
    "time_detectors",
    "top_impostor_pairs",
    "verify_pairs",
    "write_json",
    "write_report",
    "write_review_csv",
    "write_review_sheet",
]

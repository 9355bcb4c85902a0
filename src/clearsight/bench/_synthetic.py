"""Realistic synthetic galleries for search benchmarks, grown from real face embeddings.

Random unit vectors are a poor stand-in for face templates: real embeddings occupy a small,
anisotropic part of the sphere, which is what makes approximate indexes work (HNSW recalls only
about 0.58 at a million random vectors). So a gallery of a million templates is drawn from a
Gaussian model fitted to real embeddings of labelled people:

- identity centres ~ N(mean, between-identity covariance), the covariance of per-person
  means with the within-person part they carry (within / photos) subtracted;
- each photo = centre + N(0, within-identity covariance), the pooled covariance of the
  residuals around each person's mean; then L2-normalised like every template.

``score_profile`` summarises mated and impostor scores so a run can show the synthetic set
scores like the real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clearsight.errors import InputError

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class EmbeddingModel:
    """A Gaussian model of real embeddings: where identities lie and how photos vary."""

    mean: npt.NDArray[np.float64]
    between_factor: npt.NDArray[np.float64]
    within_factor: npt.NDArray[np.float64]
    source: str

    @property
    def dimensions(self) -> int:
        return int(self.mean.shape[0])

    def centres(self, count: int, rng: np.random.Generator) -> FloatArray:
        noise = rng.standard_normal((count, self.dimensions), dtype=np.float32)
        return (self.mean + noise @ self.between_factor.T.astype(np.float32)).astype(np.float32)

    def photos(self, centres: FloatArray, rng: np.random.Generator) -> FloatArray:
        noise = rng.standard_normal(centres.shape, dtype=np.float32)
        vectors = centres + noise @ self.within_factor.T.astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors.astype(np.float32)


def _psd_factor(covariance: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A matrix F with F @ F.T == covariance, negative eigenvalues (estimation noise) clipped."""
    values, vectors = np.linalg.eigh((covariance + covariance.T) / 2)
    return np.asarray(vectors * np.sqrt(np.clip(values, 0.0, None)), np.float64)


def fit_embedding_model(
    vectors: npt.ArrayLike, labels: npt.ArrayLike, source: str
) -> EmbeddingModel:
    """Fit the model to real embeddings ``vectors`` (N, D) of people named in ``labels`` (N,)."""
    data = np.asarray(vectors, np.float64)
    names = np.asarray(labels)
    if data.ndim != 2 or len(names) != len(data):
        raise ValueError(
            f"{source}: need (N, D) vectors and N labels; got {data.shape}, {names.shape}"
        )
    data = data / np.linalg.norm(data, axis=1, keepdims=True)
    _, inverse, counts = np.unique(names, return_inverse=True, return_counts=True)
    multi = counts[inverse] >= 2
    people = int((counts >= 2).sum())
    if people < 10:
        raise ValueError(f"{source}: needs 10 or more people with 2+ embeddings; has {people}")
    means = np.zeros((len(counts), data.shape[1]))
    np.add.at(means, inverse, data)
    means /= counts[:, None]
    residuals = data[multi] - means[inverse[multi]]
    within = residuals.T @ residuals / (len(residuals) - people)
    multi_means = means[counts >= 2]
    # Each person's mean still carries within-person noise of variance within / photos.
    between = np.cov(multi_means, rowvar=False) - within * float(np.mean(1.0 / counts[counts >= 2]))
    return EmbeddingModel(
        mean=multi_means.mean(axis=0),
        between_factor=_psd_factor(between),
        within_factor=_psd_factor(within),
        source=f"{source}: {len(data)} embeddings of {len(counts)} people ({people} with 2+)",
    )


@dataclass(frozen=True, eq=False)
class SyntheticSet:
    """A gallery and probes; ``probe_subject`` is the enrolled subject of a probe or -1."""

    gallery: FloatArray
    row_subject: npt.NDArray[np.int64]
    probes: FloatArray
    probe_subject: npt.NDArray[np.int64]
    description: str


def synthetic_set(
    model: EmbeddingModel,
    size: int,
    probes: int,
    photos_per_subject: int = 2,
    seed: int = 0,
) -> SyntheticSet:
    """``size`` templates, ``photos_per_subject`` per person; half the probes are new photos
    of enrolled people, half of people not enrolled (the usual case on a camera)."""
    rng = np.random.default_rng(seed)
    subjects = max(1, -(-size // photos_per_subject))
    centres = model.centres(subjects, rng)
    row_subject = np.arange(size, dtype=np.int64) // photos_per_subject
    gallery = np.empty((size, model.dimensions), np.float32)
    for start in range(0, size, 100_000):  # chunks bound the float temporaries
        stop = min(size, start + 100_000)
        gallery[start:stop] = model.photos(centres[row_subject[start:stop]], rng)
    mated = probes // 2
    probe_subject = np.full(probes, -1, np.int64)
    probe_subject[:mated] = rng.integers(0, subjects, mated)
    probe_centres = np.concatenate(
        [centres[probe_subject[:mated]], model.centres(probes - mated, rng)]
    )
    description = (
        f"synthetic: {size} templates of {subjects} people ({photos_per_subject} photos each), "
        f"{probes} probes ({mated} of enrolled people), Gaussian model of {model.source}"
    )
    return SyntheticSet(
        gallery, row_subject, model.photos(probe_centres, rng), probe_subject, description
    )


def random_set(size: int, probes: int, dimensions: int = 128, seed: int = 0) -> SyntheticSet:
    """Uniformly random unit vectors: a pessimistic set, far harder to index than faces."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((size + probes, dimensions), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return SyntheticSet(
        vectors[:size],
        np.arange(size, dtype=np.int64),
        vectors[size:],
        np.full(probes, -1, np.int64),
        f"random unit vectors: {size} templates, {probes} probes (pessimistic, not face-like)",
    )


@dataclass(frozen=True)
class ScoreProfile:
    """Mean and spread of mated (same person) and impostor cosine scores."""

    mated_mean: float
    mated_std: float
    impostor_mean: float
    impostor_std: float
    impostor_p999: float


def score_profile(vectors: FloatArray, labels: npt.ArrayLike, limit: int = 3000) -> ScoreProfile:
    """Score statistics over all pairs of the first ``limit`` vectors."""
    names = np.asarray(labels)[:limit]
    data = np.asarray(vectors, np.float32)[:limit]
    scores = data @ data.T
    upper = np.triu_indices(len(data), 1)
    same = names[upper[0]] == names[upper[1]]
    pairs = scores[upper]
    mated = pairs[same] if bool(same.any()) else np.zeros(1, np.float32)
    impostor = pairs[~same]
    return ScoreProfile(
        float(mated.mean()),
        float(mated.std()),
        float(impostor.mean()),
        float(impostor.std()),
        float(np.quantile(impostor, 0.999)),
    )


def load_seed(path: Path) -> tuple[FloatArray, npt.NDArray[np.str_]]:
    """Real embeddings and their people's labels: an ``.npz`` with ``vectors`` and ``labels``."""
    try:
        with np.load(path, allow_pickle=False) as data:
            vectors = np.asarray(data["vectors"], np.float32)
            labels = np.asarray(data["labels"]).astype(str)
    except (OSError, ValueError, KeyError) as error:
        raise InputError(
            f"{path}: not a seed file (an .npz with 'vectors' and 'labels'): {error}"
        ) from error
    if vectors.ndim != 2 or len(labels) != len(vectors):
        raise InputError(f"{path}: 'vectors' must be (N, D) with N 'labels'")
    return vectors, labels

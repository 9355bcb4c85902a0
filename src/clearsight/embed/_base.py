from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydantic import Field

from clearsight.embed._align import align_chips
from clearsight.plugins import PluginSettings
from clearsight.types import FaceDetections


class EmbedderSettings(PluginSettings):
    """Settings of one embedder plugin (``[embed]`` in a config file, chosen by ``type``)."""


class MirroredEmbedderSettings(EmbedderSettings):
    """Settings of an embedder clearsight ships: its threads and mirror averaging."""

    threads: int = Field(
        1,
        ge=1,
        le=64,
        title="Embedding threads",
        description="ONNX Runtime threads per process; one per camera worker uses cores best.",
    )
    mirror: bool = Field(
        True,
        title="Average with the mirror image",
        description="Embed each chip and its mirror and average them: more accurate, twice "
        "the cost.",
    )


class Embedder(ABC):
    """Turns aligned face chips into L2-normalised templates of one model.

    The chips it reads are its own business: ``cut_chips`` aligns them the way the model
    was trained (dlib's 150x150 chips by default), from the five landmarks of the scheme
    named by ``landmark_scheme``, which the detector must give.
    """

    model_id: str
    dimensions: int
    landmark_scheme: str = "dlib"
    """Five-point landmarks ``cut_chips`` needs: ``dlib`` (eye corners, nose base; HOG and
    CNN detectors) or ``insightface`` (eyes, nose tip, mouth corners; SCRFD)."""

    def cut_chips(
        self, image: npt.NDArray[np.uint8], detections: FaceDetections
    ) -> list[npt.NDArray[np.uint8]]:
        """One aligned RGB chip per face of ``detections`` (landmarks filled), as ``embed``
        reads them; dlib's 150x150 alignment unless the model needs another."""
        return align_chips(image, detections)

    def card_file(self) -> Path | None:
        """Where this model's calibration card is; None: the card shipped for ``model_id``."""
        return None

    @abstractmethod
    def embed(self, chips: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        """(N, dimensions) float32, each row of unit length, one per chip."""

    def screen(self, chips: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        """Templates good enough to tell whether a face needs a closer look, for less.

        Never decides a match: a caller that finds a face near a watchlist subject embeds
        it with ``embed`` before deciding. Mirror-averaging embedders skip the mirror here
        (half the cost); SFace's unmirrored scores against mirrored templates stayed within
        0.05 of the mirrored ones over 79,800 LFW pairs. By default the same as ``embed``.
        """
        return self.embed(chips)


class MirroredEmbedder(Embedder):
    """An embedder that can average each chip's template with its mirror image's.

    ``embed`` mirrors when ``mirror`` is set; ``screen`` never does (half the cost). A
    subclass implements ``_embed`` once for both.
    """

    mirror: bool = True

    def embed(self, chips: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        return self._embed(chips, self.mirror)

    def screen(self, chips: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        return self._embed(chips, mirror=False)

    @abstractmethod
    def _embed(
        self, chips: Sequence[npt.NDArray[np.uint8]], mirror: bool
    ) -> npt.NDArray[np.float32]:
        """(N, dimensions) float32 unit rows; with ``mirror`` averaged with the mirror's."""

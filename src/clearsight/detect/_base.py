from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from clearsight.plugins import PluginSettings
from clearsight.types import FaceDetections


class DetectorSettings(PluginSettings):
    """Settings of one detector plugin (``[detector]`` in a config file, chosen by ``type``)."""

    searches_reference_photos: ClassVar[bool] = False
    """Reference photos are searched with this detector too. Otherwise enrolment uses its
    own detector for the landmark scheme (YuNet or dlib's HOG, searching photos at a larger
    size than a camera's frames)."""


class FaceDetector(ABC):
    """Finds faces in an RGB uint8 image and returns them with five-point landmarks."""

    landmark_scheme: str = "dlib"
    """Which five points ``detect`` gives: ``dlib`` (eye corners, nose base) or
    ``insightface`` (eyes, nose tip, mouth corners); the embedder must cut chips from them."""

    @abstractmethod
    def detect(self, image: npt.NDArray[np.uint8]) -> FaceDetections:
        """Faces in ``image``, in its own pixel coordinates, landmarks filled."""

    def detect_boxes(self, image: npt.NDArray[np.uint8]) -> FaceDetections:
        """Faces in ``image`` with landmarks only where they come free (else NaN).

        Tracking needs boxes alone; a pipeline fills landmarks later, only for faces it
        will cut a chip from. Detectors whose landmarks cost extra override this.
        """
        return self.detect(image)

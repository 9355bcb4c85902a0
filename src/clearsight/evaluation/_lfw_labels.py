"""Demographic labels for LFW: sex per image and race per person.

``labels/male_names.txt`` and ``labels/female_names.txt`` (Afifi and Abdelhamed) list image
file names, one a line; some lines lack the ``.jpg`` suffix and a handful of images appear in
both lists: those are treated as unlabelled rather than guessed. ``labels/race_by_person.json``
maps a person to one or several comma-separated labels ("african,caucasian").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from clearsight.errors import InputError
from clearsight.evaluation._datasets import ImageSet, list_lfw_images

__all__ = ["LfwLabelNotes", "is_lfw_folder", "lfw_labelled_images"]


@dataclass(frozen=True)
class LfwLabelNotes:
    sex_in_both_lists: int
    sex_unlabelled_images: int
    race_people: int

    def describe(self) -> str:
        return (
            f"sex: {self.sex_in_both_lists} images listed as both male and female are left "
            f"unlabelled, {self.sex_unlabelled_images} images in neither list; race: labels "
            f"for {self.race_people} people, images of other people unlabelled"
        )


def is_lfw_folder(root: Path) -> bool:
    return (root / "images").is_dir() and (root / "labels").is_dir()


def _image_names(path: Path) -> set[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as error:
        raise InputError(f"{path}: label list missing") from error
    names = set()
    for line in lines:
        name = line.strip()
        if name:
            names.add(name if name.lower().endswith(".jpg") else f"{name}.jpg")
    return names


def _race_labels(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InputError(f"{path}: race labels missing") from error
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise InputError(f"{path}: expected an object of person name -> label string")
    return {str(k): v for k, v in data.items()}


def lfw_labelled_images(root: Path) -> tuple[ImageSet, LfwLabelNotes]:
    """All LFW images with ``sex`` and ``race`` label columns ('' where unknown)."""
    images = list_lfw_images(root)
    male = _image_names(root / "labels" / "male_names.txt")
    female = _image_names(root / "labels" / "female_names.txt")
    both = male & female
    race = _race_labels(root / "labels" / "race_by_person.json")
    sex, races = [], []
    ambiguous = 0
    for path, person in zip(images.paths, images.subjects, strict=True):
        name = path.name
        if name in both:
            ambiguous += 1
            sex.append("")
        elif name in male:
            sex.append("male")
        elif name in female:
            sex.append("female")
        else:
            sex.append("")
        races.append(race.get(person, ""))
    notes = LfwLabelNotes(
        sex_in_both_lists=ambiguous,
        sex_unlabelled_images=sum(1 for s in sex if not s) - ambiguous,
        race_people=len(race),
    )
    labelled = ImageSet(images.paths, images.subjects, {"sex": tuple(sex), "race": tuple(races)})
    return labelled, notes

"""``embed_people_folder``: real faces embedded with the reference model into a seed file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clearsight.bench import embed_people_folder, load_seed
from clearsight.demo import demo_portraits
from clearsight.errors import InputError


@pytest.mark.slow
def test_seed_embeds_the_central_face_of_each_image_and_counts_those_without(
    tmp_path: Path,
) -> None:
    root = tmp_path / "people"
    for portrait in demo_portraits():
        folder = root / portrait.name.replace(" ", "_")
        folder.mkdir(parents=True)
        Image.fromarray(portrait.image).save(folder / "a.png")
        Image.fromarray(np.ascontiguousarray(portrait.image[:, ::-1])).save(folder / "b.png")
    (root / "Nobody").mkdir()
    Image.fromarray(np.full((200, 200, 3), 128, np.uint8)).save(root / "Nobody" / "a.png")
    out = tmp_path / "seed.npz"
    summary = embed_people_folder(root, out, people=3, singles=1)
    assert (summary.embeddings, summary.people, summary.images_without_face) == (4, 2, 1)
    vectors, labels = load_seed(out)
    assert sorted(labels.tolist()) == ["Eileen_Collins"] * 2 + ["Grace_Hopper"] * 2
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    scores = vectors @ vectors.T
    same = labels[:, None] == labels[None, :]
    # A photo and its mirror image are the same person; the two people are not.
    assert scores[same].min() > scores[~same].max()


def test_seed_refuses_bad_arguments(tmp_path: Path) -> None:
    (tmp_path / "someone").mkdir()
    with pytest.raises(InputError, match=r"must end in \.npz"):
        embed_people_folder(tmp_path, tmp_path / "seed.txt")
    with pytest.raises(InputError, match="--singles 10: must be at least 0 and under --people 10"):
        embed_people_folder(tmp_path, tmp_path / "seed.npz", people=10, singles=10)
    with pytest.raises(InputError, match="no person subfolders"):
        embed_people_folder(tmp_path / "someone", tmp_path / "seed.npz")

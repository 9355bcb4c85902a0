"""The ONNX Runtime form of dlib's face ResNet: parsed from the same file, equal to dlib's output.

dlib (dlib-bin) is a dependency, so the comparisons against it always run on the portrait that
ships with scikit-image; the comparison over real LFW faces and clips runs when the shared
datasets are present and skips otherwise.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime
import pytest

from clearsight.detect import HogFaceDetector
from clearsight.embed import (
    DLIB_RESNET_MODEL_ID,
    DlibResNetEmbedder,
    OnnxResNetEmbedder,
    align_chips,
)
from clearsight.embed._dlib_dat import DlibResNet, Layer, read_dlib_resnet
from clearsight.embed._onnx_graph import _dlib_out_size, build_onnx_model
from clearsight.errors import InputError, ModelError
from clearsight.models import bundled_model_path, load_resnet

Chips = list[npt.NDArray[np.uint8]]
Floats = npt.NDArray[np.float64]


def _cosine_distance(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> Floats:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    dots = np.sum(a64 * b64, axis=1)
    distance: Floats = 1.0 - dots / (np.linalg.norm(a64, axis=1) * np.linalg.norm(b64, axis=1))
    return distance


def _dlib_descriptors(chips: Chips) -> npt.NDArray[np.float32]:
    batch = [np.ascontiguousarray(chip) for chip in chips]
    return np.asarray(load_resnet().compute_face_descriptor(batch), np.float32)


@pytest.fixture(scope="module", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Converted models go to a temporary folder, never the user's ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLEARSIGHT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def portrait_chips() -> Chips:
    from skimage import data

    image = np.ascontiguousarray(data.astronaut(), dtype=np.uint8)  # type: ignore[no-untyped-call]
    chips = align_chips(image, HogFaceDetector().detect(image))
    assert len(chips) == 1
    return chips


# ---------------------------------------------------------------------------- the parser


def test_bundled_file_parses_to_the_published_network() -> None:
    net = read_dlib_resnet(bundled_model_path("resnet"))
    kinds = [layer.kind for layer in net.layers]
    assert net.size == 150
    # dlib's input_rgb_image_sized defaults, stored in the file itself.
    np.testing.assert_allclose(net.channel_means, (122.782, 117.001, 104.298), atol=1e-4)
    assert kinds.count("con") == kinds.count("affine") == 29
    assert kinds.count("add_prev") == 14 and kinds.count("skip") == 4
    first, fc = net.layers[0], net.layers[-1]
    assert first.weights is not None and first.weights.shape == (32, 3, 7, 7)
    assert fc.kind == "fc" and fc.weights is not None and fc.weights.shape == (256, 128)
    weights = [layer.weights for layer in net.layers if layer.weights is not None]
    assert all(np.isfinite(w).all() for w in weights)


def test_truncated_file_is_refused_with_its_name(tmp_path: Path) -> None:
    broken = tmp_path / "cut.dat"
    broken.write_bytes(bundled_model_path("resnet").read_bytes()[:500_000])
    with pytest.raises(ModelError, match=r"cut\.dat.*ends early"):
        read_dlib_resnet(broken)


def test_trailing_bytes_are_refused(tmp_path: Path) -> None:
    longer = tmp_path / "longer.dat"
    longer.write_bytes(bundled_model_path("resnet").read_bytes() + b"\x01\x00")
    with pytest.raises(ModelError, match="2 bytes left"):
        read_dlib_resnet(longer)


def test_another_dlib_model_is_refused() -> None:
    with pytest.raises(ModelError, match="not dlib's face ResNet v1"):
        read_dlib_resnet(bundled_model_path("shape_predictor_5"))


def test_missing_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"absent\.dat"):
        read_dlib_resnet(tmp_path / "absent.dat")


# ----------------------------------------------- dlib's shape rules against a NumPy reference


def test_output_size_follows_dlib_including_reads_past_the_edge() -> None:
    assert _dlib_out_size(150, 7, 2, 0) == (72, 0)
    assert _dlib_out_size(8, 3, 2, 0) == (3, 0)
    assert _dlib_out_size(17, 3, 1, 1) == (17, 0)
    # A 3x3 stride-2 filter on a 2x2 map: C++ truncation gives one output reading one zero row.
    assert _dlib_out_size(2, 3, 2, 0) == (1, 1)


def _reference_conv(x: Floats, layer: Layer) -> Floats:
    """dlib's convolution, written out: zero padding, and zeros read past the bottom/right."""
    assert layer.weights is not None and layer.bias is not None
    k, s, p = layer.window, layer.stride, layer.padding
    rows, extra_r = _dlib_out_size(x.shape[2], k, s, p)
    cols, extra_c = _dlib_out_size(x.shape[3], k, s, p)
    padded = np.pad(x, ((0, 0), (0, 0), (p, p + extra_r), (p, p + extra_c)))
    out = np.zeros((x.shape[0], layer.filters, rows, cols))
    for r in range(rows):
        for c in range(cols):
            patch = padded[:, :, r * s : r * s + k, c * s : c * s + k]
            out[:, :, r, c] = np.einsum("nikl,oikl->no", patch, layer.weights)
    return out + layer.bias[None, :, None, None]


def _reference_add(a: Floats, b: Floats) -> Floats:
    """dlib's add_prev: the larger shape on every axis, the smaller tensor zero-filled."""
    shape = tuple(max(i, j) for i, j in zip(a.shape, b.shape, strict=True))
    out = np.zeros(shape)
    out[tuple(slice(0, n) for n in a.shape)] += a
    out[tuple(slice(0, n) for n in b.shape)] += b
    return out


def _reference_forward(net: DlibResNet, chips: npt.NDArray[np.uint8]) -> Floats:
    means = np.array(net.channel_means).reshape(1, 3, 1, 1)
    x = (chips.transpose(0, 3, 1, 2).astype(np.float64) - means) / 256.0
    tags: dict[int, Floats] = {}
    for layer in net.layers:
        if layer.kind == "con":
            x = _reference_conv(x, layer)
        elif layer.kind == "affine" and layer.weights is not None and layer.bias is not None:
            x = x * layer.weights[None, :, None, None] + layer.bias[None, :, None, None]
        elif layer.kind == "relu":
            x = np.maximum(x, 0)
        elif layer.kind == "avg_pool":
            rows, cols = x.shape[2] // 2, x.shape[3] // 2
            x = x[:, :, : rows * 2, : cols * 2].reshape(*x.shape[:2], rows, 2, cols, 2).mean((3, 5))
        elif layer.kind == "tag":
            tags[layer.tag] = x
        elif layer.kind == "skip":
            x = tags[layer.tag]
        elif layer.kind == "add_prev":
            x = _reference_add(x, tags[layer.tag])
        elif layer.kind == "avg_pool_everything":
            x = x.mean((2, 3))
        elif layer.kind == "fc" and layer.weights is not None:
            x = x @ layer.weights
    result: Floats = x
    return result


def _random_con(rng: np.random.Generator, filters: int, inputs: int, stride: int) -> list[Layer]:
    weights = rng.normal(0, 0.3, (filters, inputs, 3, 3)).astype(np.float32)
    bias = rng.normal(0, 0.1, filters).astype(np.float32)
    gamma = rng.uniform(0.5, 1.5, filters).astype(np.float32)
    beta = rng.normal(0, 0.1, filters).astype(np.float32)
    return [
        Layer("con", filters, 3, stride, 0 if stride != 1 else 1, weights=weights, bias=bias),
        Layer("affine", weights=gamma, bias=beta),
    ]


def test_graph_matches_dlib_semantics_where_shapes_disagree() -> None:
    """Two down-sampling blocks on a 4x4 input, random weights: 3 channels onto 4 and 4 onto
    5, a 1x1 block output onto a 2x2 shortcut, then a 3x3 stride-2 filter on a 2x2 map."""
    rng = np.random.default_rng(7)

    def down(inputs: int, filters: int) -> list[Layer]:
        return [
            Layer("tag", tag=1),
            *_random_con(rng, filters, inputs, 2),
            Layer("relu"),
            *_random_con(rng, filters, filters, 1),
            Layer("tag", tag=2),
            Layer("skip", tag=1),
            Layer("avg_pool", window=2, stride=2),
            Layer("add_prev", tag=2),
            Layer("relu"),
        ]

    fc = rng.normal(0, 1, (5, 4)).astype(np.float32)
    layers = [*down(3, 4), *down(4, 5), Layer("avg_pool_everything"), Layer("fc", 4, weights=fc)]
    net = DlibResNet(size=4, channel_means=(120.0, 110.0, 100.0), layers=tuple(layers))
    chips = rng.integers(0, 256, (3, 4, 4, 3), dtype=np.uint8)
    session = onnxruntime.InferenceSession(
        build_onnx_model(net).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    got = session.run(None, {"chips": chips})[0]
    np.testing.assert_allclose(got, _reference_forward(net, chips), rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------- against dlib itself


def test_raw_descriptors_equal_dlibs(portrait_chips: Chips) -> None:
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, (150, 150, 3), dtype=np.uint8)
    chips = [*portrait_chips, portrait_chips[0][:, ::-1].copy(), noise, np.zeros_like(noise)]
    onnx = OnnxResNetEmbedder(mirror=False, threads=1).descriptors(np.stack(chips))
    dlib = _dlib_descriptors(chips)
    assert float(_cosine_distance(onnx, dlib).max()) < 1e-4
    np.testing.assert_allclose(onnx, dlib, atol=1e-4)


@pytest.mark.parametrize("mirror", [True, False])
def test_embeddings_equal_the_dlib_embedders(portrait_chips: Chips, mirror: bool) -> None:
    shifted = np.ascontiguousarray(np.roll(portrait_chips[0], 7, axis=1))
    chips = [portrait_chips[0], shifted]
    onnx = OnnxResNetEmbedder(mirror=mirror, batch_size=1).embed(chips)
    dlib = DlibResNetEmbedder(mirror=mirror).embed(chips)
    assert onnx.shape == (2, 128) and onnx.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(onnx, axis=1), 1.0, rtol=1e-6)
    assert float(_cosine_distance(onnx, dlib).max()) < 1e-4


def test_pickles_for_worker_processes(portrait_chips: Chips) -> None:
    import pickle

    embedder = OnnxResNetEmbedder(mirror=False, threads=1)
    before = embedder.embed(portrait_chips)
    copy = pickle.loads(pickle.dumps(embedder))
    assert (copy.mirror, copy.threads) == (False, 1)
    np.testing.assert_array_equal(copy.embed(portrait_chips), before)


def test_conversion_is_cached_on_disk_and_reused(
    tmp_path: Path, portrait_chips: Chips, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = OnnxResNetEmbedder(mirror=False, cache_dir=tmp_path).embed(portrait_chips)
    (model,) = (tmp_path / "models").glob("dlib-resnet-v1-*.onnx")
    assert (tmp_path / "models" / (model.name + ".sha256")).is_file()

    def no_conversion(source: Path | None = None) -> bytes:
        raise AssertionError("converted again although the cached file is intact")

    monkeypatch.setattr("clearsight.embed._onnx_resnet.convert_dlib_resnet", no_conversion)
    monkeypatch.setattr("clearsight.embed._onnx_cache.convert_dlib_resnet", no_conversion)
    again = OnnxResNetEmbedder(mirror=False, cache_dir=tmp_path).embed(portrait_chips)
    np.testing.assert_array_equal(again, first)


def test_altered_cache_file_is_rebuilt(tmp_path: Path, portrait_chips: Chips) -> None:
    first = OnnxResNetEmbedder(mirror=False, cache_dir=tmp_path).embed(portrait_chips)
    (model,) = (tmp_path / "models").glob("*.onnx")
    intact = model.read_bytes()
    model.write_bytes(intact[: len(intact) // 2])
    again = OnnxResNetEmbedder(mirror=False, cache_dir=tmp_path).embed(portrait_chips)
    np.testing.assert_array_equal(again, first)
    assert model.read_bytes() == intact


def test_unwritable_cache_converts_in_memory(tmp_path: Path, portrait_chips: Chips) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    vectors = OnnxResNetEmbedder(mirror=False, cache_dir=blocker).embed(portrait_chips)
    reference = DlibResNetEmbedder(mirror=False).embed(portrait_chips)
    assert float(_cosine_distance(vectors, reference).max()) < 1e-4


def test_bad_model_file_is_a_model_error(tmp_path: Path, portrait_chips: Chips) -> None:
    with pytest.raises(ModelError, match=r"absent\.dat"):
        OnnxResNetEmbedder(model_path=tmp_path / "absent.dat", cache_dir=tmp_path).embed(
            portrait_chips
        )
    with pytest.raises(ModelError, match=r"shape_predictor_5_face_landmarks\.dat"):
        OnnxResNetEmbedder(
            model_path=bundled_model_path("shape_predictor_5"), cache_dir=tmp_path
        ).embed(portrait_chips)
    assert not list((tmp_path / "models").glob("*.onnx"))


def test_shares_the_dlib_model_id_and_so_its_templates_and_card() -> None:
    assert OnnxResNetEmbedder().model_id == DLIB_RESNET_MODEL_ID == DlibResNetEmbedder().model_id


def test_empty_and_malformed_input() -> None:
    embedder = OnnxResNetEmbedder()
    empty = embedder.embed([])
    assert empty.shape == (0, 128) and empty.dtype == np.float32
    with pytest.raises(InputError, match=r"chip 1: uint8 \(100, 100, 3\)"):
        embedder.embed([np.zeros((150, 150, 3), np.uint8), np.zeros((100, 100, 3), np.uint8)])
    with pytest.raises(InputError, match="chip 0: float32"):
        embedder.embed([np.zeros((150, 150, 3), np.float32)])
    with pytest.raises(ValueError, match="threads"):
        OnnxResNetEmbedder(threads=0)


def test_importing_loads_no_runtime_and_reads_no_model() -> None:
    code = (
        "import sys, clearsight.embed; "
        "print(sorted({'onnx', 'onnxruntime', 'dlib'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------------- real faces


def _real_chips(datasets: Path, wanted: int) -> Chips:
    """Aligned chips of real faces: the clip's portraits and frames, then LFW people."""
    import av

    from clearsight.ingest import load_image

    detector = HogFaceDetector()
    chips: Chips = []
    clips = datasets / "clips"
    for name in ("obama.jpg", "biden.jpg", "two_people.jpg", "lin-manuel-miranda.png"):
        image = load_image(clips / name)
        chips += align_chips(image, detector.detect(image))
    with av.open(str(clips / "short_hamilton_clip.mp4")) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % 40 == 0:
                rgb = np.ascontiguousarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
                chips += align_chips(rgb, detector.detect(rgb))
    people = sorted(p for p in (datasets / "lfw" / "images").iterdir() if p.is_dir())
    for person in people[:: max(1, len(people) // wanted)]:
        if len(chips) >= wanted:
            break
        image = load_image(sorted(person.glob("*.jpg"))[0])
        chips += align_chips(image, detector.detect(image))[:1]
    return chips


@pytest.mark.slow
def test_equal_to_dlib_on_real_faces(datasets_dir: Path, clips_dir: Path) -> None:
    if not (datasets_dir / "lfw" / "images").is_dir():
        pytest.skip(f"LFW not found under {datasets_dir}")
    chips = _real_chips(datasets_dir, wanted=60)
    assert len(chips) >= 50
    onnx = OnnxResNetEmbedder(mirror=False).descriptors(np.stack(chips))
    dlib = _dlib_descriptors(chips)
    distances = _cosine_distance(onnx, dlib)
    print(
        f"\n{len(chips)} real faces: cosine distance ONNX vs dlib max {distances.max():.3g}, "
        f"mean {distances.mean():.3g}; largest element difference "
        f"{np.abs(onnx - dlib).max():.3g} "
        f"(descriptor norms about {np.linalg.norm(dlib, axis=1).mean():.2f})"
    )
    assert float(distances.max()) < 1e-4

"""Reads the weights of dlib's face-recognition ResNet out of its serialized ``.dat`` file.

The file is dlib's own serialization of the network type declared in dlib's
``examples/dnn_face_recognition_ex.cpp`` (and ``tools/python/src/face_recognition.cpp``)::

    loss_metric<fc_no_bias<128, avg_pool_everything<alevel0<alevel1<alevel2<alevel3<alevel4<
        max_pool<3,3,2,2, relu<affine<con<32,7,7,2,2, input_rgb_image_sized<150>>>>>>>>>>>>>

Layout, from dlib's ``serialize.h``, ``dnn/core.h``, ``dnn/layers.h``, ``dnn/tensor.h`` and
``dnn/input.h``:

* integers are "packed": one byte holding the byte count (low nibble) and the sign (0x80),
  then that many little-endian bytes; strings are a packed length and the characters; a
  ``bool`` is the character ``'1'`` or ``'0'``; a ``float``/``double`` is a packed 64-bit
  mantissa and a packed 16-bit exponent (``mantissa * 2**exponent``);
* a tensor is version 2, four packed dimensions (samples, k, rows, columns) and the values as
  little-endian IEEE float32; an ``alias_tensor`` is version 1 and its four dimensions;
* each layer object writes its version, then its sub-network, then its own details, so the
  file holds every layer's version first (outermost first), then the input layer, then each
  layer's details from the input upwards, each followed by the layer's bookkeeping (three
  bools and three, normally empty, tensors; the layer on the input adds its sample
  expansion factor).

Nothing here runs dlib: the reader only trusts the layout and checks every layer's name and
hyper-parameters against the expected network, so a different file fails with a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clearsight.errors import ModelError

__all__ = ["DLIB_RESNET_MODEL_ID", "DlibResNet", "Layer", "read_dlib_resnet", "resnet_v1_layout"]

DLIB_RESNET_MODEL_ID = "dlib-resnet-v1"
"""The model id of ``dlib_face_recognition_resnet_model_v1.dat``, whichever runtime runs it."""

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Layer:
    """One layer of the network in input-to-output order.

    ``kind`` is one of ``con``, ``affine``, ``relu``, ``max_pool``, ``avg_pool``,
    ``avg_pool_everything``, ``tag``, ``skip``, ``add_prev`` and ``fc``. For ``con`` and
    ``fc`` ``filters`` is the output width; ``window``/``stride``/``padding`` describe
    convolutions and pools; ``tag`` names the tag a ``tag``/``skip``/``add_prev`` refers to.
    ``weights``/``bias`` hold the parameters: con (O, I, kh, kw) and (O,), affine gamma and
    beta per channel, fc (inputs, outputs) with no bias.
    """

    kind: str
    filters: int = 0
    window: int = 0
    stride: int = 1
    padding: int = 0
    tag: int = 0
    weights: FloatArray | None = None
    bias: FloatArray | None = None


@dataclass(frozen=True)
class DlibResNet:
    """The parsed network: input normalisation and the layers, input first."""

    size: int
    channel_means: tuple[float, float, float]
    """Subtracted from R, G, B before dividing by 256, as ``input_rgb_image_sized`` does."""
    layers: tuple[Layer, ...]


def _con(filters: int, window: int, stride: int) -> Layer:
    # dlib's con_ default padding: none when strided, otherwise half the window.
    return Layer("con", filters, window, stride, 0 if stride != 1 else window // 2)


def _block(filters: int, stride: int) -> list[Layer]:
    return [
        _con(filters, 3, stride),
        Layer("affine"),
        Layer("relu"),
        _con(filters, 3, 1),
        Layer("affine"),
    ]


def _ares(filters: int) -> list[Layer]:
    return [Layer("tag", tag=1), *_block(filters, 1), Layer("add_prev", tag=1), Layer("relu")]


def _ares_down(filters: int) -> list[Layer]:
    return [
        Layer("tag", tag=1),
        *_block(filters, 2),
        Layer("tag", tag=2),
        Layer("skip", tag=1),
        Layer("avg_pool", window=2, stride=2),
        Layer("add_prev", tag=2),
        Layer("relu"),
    ]


def resnet_v1_layout() -> list[Layer]:
    """The expected layers (no weights) of ``dlib_face_recognition_resnet_model_v1``."""
    layers = [_con(32, 7, 2), Layer("affine"), Layer("relu"), Layer("max_pool", window=3, stride=2)]
    layers += _ares(32) * 3
    layers += _ares_down(64) + _ares(64) * 3
    layers += _ares_down(128) + _ares(128) * 2
    layers += _ares_down(256) + _ares(256) * 2
    layers += _ares_down(256)
    return [*layers, Layer("avg_pool_everything"), Layer("fc", filters=128)]


class _Reader:
    def __init__(self, data: bytes, path: Path) -> None:
        self._data = data
        self._path = path
        self.pos = 0

    def fail(self, what: str) -> ModelError:
        return ModelError(f"{self._path}: not dlib's face ResNet v1 (byte {self.pos}): {what}")

    def _take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > len(self._data):
            raise self.fail("file ends early")
        chunk = self._data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def integer(self) -> int:
        head = self._take(1)[0]
        size = head & 0x0F
        if size == 0 or size > 8:
            raise self.fail(f"bad packed integer header {head:#x}")
        value = int.from_bytes(self._take(size), "little")
        return -value if head & 0x80 else value

    def expect(self, expected: int, what: str) -> None:
        value = self.integer()
        if value != expected:
            raise self.fail(f"{what} is {value}, expected {expected}")

    def string(self) -> str:
        length = self.integer()
        if length > 256:
            raise self.fail(f"implausible string length {length}")
        return self._take(length).decode("latin-1")

    def name(self, *expected: str) -> str:
        found = self.string()
        if found not in expected:
            raise self.fail(f"layer {found!r}, expected {' or '.join(expected)}")
        return found

    def real(self) -> float:
        mantissa = self.integer()
        exponent = self.integer()
        if abs(exponent) > 2000:
            raise self.fail("non-finite number")
        return float(np.ldexp(float(mantissa), exponent))

    def flag(self) -> bool:
        char = self._take(1)
        if char not in (b"0", b"1"):
            raise self.fail(f"bad bool {char!r}")
        return char == b"1"

    def tensor(self) -> FloatArray:
        self.expect(2, "tensor version")
        shape = tuple(self.integer() for _ in range(4))
        count = int(np.prod(shape))
        raw = self._take(4 * count)
        return np.frombuffer(raw, "<f4", count).astype(np.float32).reshape(shape)

    def alias(self) -> tuple[int, ...]:
        self.expect(1, "alias_tensor version")
        return tuple(self.integer() for _ in range(4))


def _read_con(reader: _Reader, spec: Layer, inputs: int) -> Layer:
    reader.name("con_4")
    params = reader.tensor().reshape(-1)
    shape = (
        spec.filters,
        spec.window,
        spec.window,
        spec.stride,
        spec.stride,
        spec.padding,
        spec.padding,
    )
    found = tuple(reader.integer() for _ in range(7))
    if found != shape:
        raise reader.fail(f"con shape {found}, expected {shape}")
    filters = reader.alias()
    if filters != (spec.filters, inputs, spec.window, spec.window):
        raise reader.fail(f"con filters {filters}, expected {inputs} input channels")
    if reader.alias() != (1, spec.filters, 1, 1):
        raise reader.fail("con biases of the wrong shape")
    for _ in range(4):  # learning-rate and weight-decay multipliers: training only
        reader.real()
    weight_count = int(np.prod(filters))
    expected = weight_count + spec.filters
    if params.size != expected:
        raise reader.fail(f"con has {params.size} parameters, expected {expected}")
    return Layer(
        "con",
        spec.filters,
        spec.window,
        spec.stride,
        spec.padding,
        weights=params[:weight_count].reshape(filters),
        bias=params[weight_count:],
    )


def _read_affine(reader: _Reader, channels: int) -> Layer:
    reader.name("affine_")
    params = reader.tensor().reshape(-1)
    for _ in range(2):  # gamma, then beta: one value per channel (CONV_MODE)
        if reader.alias() != (1, channels, 1, 1):
            raise reader.fail(f"affine is not per-channel over {channels} channels")
    reader.integer()  # the mode, implied by the alias shapes above
    if params.size != 2 * channels:
        raise reader.fail(f"affine has {params.size} parameters, expected {2 * channels}")
    return Layer("affine", weights=params[:channels], bias=params[channels:])


def _read_pool(reader: _Reader, spec: Layer) -> Layer:
    reader.name("max_pool_2" if spec.kind == "max_pool" else "avg_pool_2")
    shape = (spec.window, spec.window, spec.stride, spec.stride, spec.padding, spec.padding)
    found = tuple(reader.integer() for _ in range(6))
    if found != shape:
        raise reader.fail(f"{spec.kind} shape {found}, expected {shape}")
    return spec


def _read_fc(reader: _Reader, spec: Layer, inputs: int) -> Layer:
    reader.name("fc_2")
    reader.expect(spec.filters, "fc outputs")
    reader.expect(inputs, "fc inputs")
    params = reader.tensor().reshape(-1)
    if reader.alias() != (inputs, spec.filters, 1, 1):
        raise reader.fail("fc weights of the wrong shape")
    reader.alias()  # biases: unused without a bias
    reader.expect(1, "fc bias mode (FC_NO_BIAS)")
    for _ in range(4):
        reader.real()
    if params.size != inputs * spec.filters:
        raise reader.fail(f"fc has {params.size} parameters, expected {inputs * spec.filters}")
    return Layer("fc", spec.filters, weights=params.reshape(inputs, spec.filters))


def _read_details(reader: _Reader, spec: Layer, channels: int) -> Layer:
    if spec.kind == "con":
        return _read_con(reader, spec, channels)
    if spec.kind == "affine":
        return _read_affine(reader, channels)
    if spec.kind in ("max_pool", "avg_pool"):
        return _read_pool(reader, spec)
    if spec.kind == "avg_pool_everything":  # dlib's avg_pool_<0,0,1,1>
        _read_pool(reader, Layer("avg_pool", window=0, stride=1))
        return spec
    if spec.kind == "fc":
        return _read_fc(reader, spec, channels)
    reader.name({"relu": "relu_", "add_prev": "add_prev_"}[spec.kind])
    return spec


def _read_bookkeeping(reader: _Reader, on_input: bool) -> None:
    for _ in range(3):  # setup called, gradient stale, output getters disabled
        reader.flag()
    for _ in range(3):  # gradients and cached outputs: empty in a saved model
        if reader.tensor().size:
            raise reader.fail("unexpected non-empty training tensor")
    if on_input:
        reader.integer()  # sample expansion factor


def read_dlib_resnet(path: Path) -> DlibResNet:
    """Parse ``dlib_face_recognition_resnet_model_v1.dat`` into weights, checking its layout."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ModelError(f"{path}: cannot read the model file: {error.strerror}") from error
    reader = _Reader(data, path)
    layout = resnet_v1_layout()
    reader.expect(1, "loss layer version")
    reader.name("loss_metric_2")
    reader.real(), reader.real()  # margin and distance threshold: training only
    for index, spec in enumerate(reversed(layout)):
        on_input = index == len(layout) - 1
        reader.expect(
            1 if spec.kind in ("tag", "skip") else 3 if on_input else 2, f"version of {spec.kind}"
        )
    reader.name("input_rgb_image_sized")
    means = (reader.real(), reader.real(), reader.real())
    size = reader.integer()
    reader.expect(size, "input columns")
    layers: list[Layer] = []
    channels = 3
    for index, spec in enumerate(layout):
        if spec.kind in ("tag", "skip"):
            layers.append(spec)
            continue
        layer = _read_details(reader, spec, channels)
        _read_bookkeeping(reader, on_input=index == 0)
        if layer.kind == "con":
            channels = layer.filters
        layers.append(layer)
    if reader.pos != len(data):
        raise reader.fail(f"{len(data) - reader.pos} bytes left after the last layer")
    return DlibResNet(size=size, channel_means=means, layers=tuple(layers))

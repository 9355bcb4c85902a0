"""Builds an ONNX graph that computes exactly what dlib's face ResNet computes.

The graph takes uint8 RGB chips (N, 150, 150, 3) and returns dlib's raw 128-D descriptors
(N, 128), before any normalisation. Three dlib behaviours are reproduced on purpose:

* ``input_rgb_image_sized`` subtracts the per-channel means stored in the file and divides
  by 256;
* a convolution's output size is ``1 + (n + 2*pad - window) / stride`` with C++ integer
  division; where the input is too small for that (a 3x3, stride-2 filter on a 2x2 map deep
  in the network) dlib reads the missing pixels as zeros, so the graph pads the bottom and
  right edges;
* ``add_prev`` adds tensors of different shapes (a down-sampling block's 3x3 output onto its
  4x4 shortcut, 64 channels onto 32) into a tensor of the larger shape, the smaller one
  filled with zeros at the end of each axis.

Each ``affine`` layer (dlib's inference form of batch normalisation) is folded into the
convolution in front of it: ``gamma * (conv(x) + b) + beta`` is ``conv'(x) + b'``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from clearsight.embed._dlib_dat import DlibResNet, Layer
from clearsight.errors import ModelError

__all__ = ["INPUT_NAME", "OUTPUT_NAME", "build_onnx_model"]

INPUT_NAME = "chips"
OUTPUT_NAME = "descriptors"
_OPSET = 17


def _dlib_out_size(size: int, window: int, stride: int, padding: int) -> tuple[int, int]:
    """dlib's output size and how many zero rows/columns it implicitly reads past the end."""
    span = size + 2 * padding - window
    out = 1 + int(span / stride)  # C++ division truncates toward zero
    extra = max(0, (out - 1) * stride + window - (size + 2 * padding))
    return out, extra


@dataclass
class _Builder:
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    weights: list[onnx.TensorProto] = field(default_factory=list)
    tags: dict[int, tuple[str, tuple[int, int, int]]] = field(default_factory=dict)
    current: str = ""
    shape: tuple[int, int, int] = (0, 0, 0)
    """(channels, rows, columns) of ``current``."""

    def name(self, stem: str) -> str:
        return f"{stem}_{len(self.nodes)}"

    def constant(self, stem: str, value: np.ndarray) -> str:
        tensor = numpy_helper.from_array(value, self.name(stem))
        self.weights.append(tensor)
        return tensor.name

    def node(self, op: str, inputs: list[str], **attributes: Any) -> str:
        output = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attributes))
        self.current = output
        return output

    def conv(self, layer: Layer, affine: Layer | None) -> None:
        if layer.weights is None or layer.bias is None:
            raise ModelError("convolution without weights")
        weights, bias = layer.weights, layer.bias
        if affine is not None and affine.weights is not None and affine.bias is not None:
            gamma, beta = affine.weights, affine.bias
            weights = weights * gamma[:, None, None, None]
            bias = bias * gamma + beta
        _, rows, cols = self.shape
        out_rows, extra_rows = _dlib_out_size(rows, layer.window, layer.stride, layer.padding)
        out_cols, extra_cols = _dlib_out_size(cols, layer.window, layer.stride, layer.padding)
        pad = layer.padding
        self.node(
            "Conv",
            [
                self.current,
                self.constant("w", weights.astype(np.float32)),
                self.constant("b", bias.astype(np.float32)),
            ],
            kernel_shape=[layer.window, layer.window],
            strides=[layer.stride] * 2,
            pads=[pad, pad, pad + extra_rows, pad + extra_cols],
        )
        self.shape = (layer.filters, out_rows, out_cols)

    def pool(self, layer: Layer) -> None:
        channels, rows, cols = self.shape
        out_rows, extra_rows = _dlib_out_size(rows, layer.window, layer.stride, layer.padding)
        out_cols, extra_cols = _dlib_out_size(cols, layer.window, layer.stride, layer.padding)
        if extra_rows or extra_cols or layer.padding:
            raise ModelError(f"{layer.kind} over a {rows}x{cols} map needs padding; unsupported")
        op = "MaxPool" if layer.kind == "max_pool" else "AveragePool"
        self.node(op, [self.current], kernel_shape=[layer.window] * 2, strides=[layer.stride] * 2)
        self.shape = (channels, out_rows, out_cols)

    def padded(self, name: str, shape: tuple[int, int, int], target: tuple[int, int, int]) -> str:
        if shape == target:
            return name
        ends = [t - s for s, t in zip(shape, target, strict=True)]
        pads = self.constant("pads", np.array([0, 0, 0, 0, 0, *ends], np.int64))
        output = self.name("pad")
        self.nodes.append(helper.make_node("Pad", [name, pads], [output], name=output))
        return output

    def add_prev(self, tag: int) -> None:
        other, other_shape = self.tags[tag]
        target = tuple(max(a, b) for a, b in zip(self.shape, other_shape, strict=True))
        shape = (target[0], target[1], target[2])
        left = self.padded(self.current, self.shape, shape)
        right = self.padded(other, other_shape, shape)
        self.node("Add", [left, right])
        self.shape = shape


def _input_nodes(builder: _Builder, net: DlibResNet) -> None:
    builder.current = INPUT_NAME
    builder.node("Cast", [builder.current], to=TensorProto.FLOAT)
    builder.node("Transpose", [builder.current], perm=[0, 3, 1, 2])
    means = np.array(net.channel_means, np.float32).reshape(1, 3, 1, 1)
    builder.node("Sub", [builder.current, builder.constant("means", means)])
    # Dividing by 256 and multiplying by 1/256 are both exact in binary floating point.
    builder.node("Mul", [builder.current, builder.constant("scale", np.array(1 / 256, np.float32))])
    builder.shape = (3, net.size, net.size)


def build_onnx_model(net: DlibResNet) -> onnx.ModelProto:
    """The ONNX model of ``net``: uint8 (N, size, size, 3) RGB in, float32 (N, outputs) out.

    ``net`` must end with a fully connected layer, as dlib's metric-learning networks do.
    """
    builder = _Builder()
    _input_nodes(builder, net)
    layers = net.layers
    index = 0
    while index < len(layers):
        layer = layers[index]
        if layer.kind == "con":
            follows = layers[index + 1] if index + 1 < len(layers) else None
            affine = follows if follows is not None and follows.kind == "affine" else None
            builder.conv(layer, affine)
            index += 1 if affine is not None else 0
        elif layer.kind == "affine":
            raise ModelError("an affine layer that does not follow a convolution; unsupported")
        elif layer.kind == "relu":
            builder.node("Relu", [builder.current])
        elif layer.kind in ("max_pool", "avg_pool"):
            builder.pool(layer)
        elif layer.kind == "tag":
            builder.tags[layer.tag] = (builder.current, builder.shape)
        elif layer.kind == "skip":
            builder.current, builder.shape = builder.tags[layer.tag]
        elif layer.kind == "add_prev":
            builder.add_prev(layer.tag)
        elif layer.kind == "avg_pool_everything":
            builder.node("GlobalAveragePool", [builder.current])
            builder.shape = (builder.shape[0], 1, 1)
            builder.node("Flatten", [builder.current], axis=1)
        elif layer.kind == "fc" and layer.weights is not None:
            builder.node("MatMul", [builder.current, builder.constant("fc", layer.weights)])
        else:
            raise ModelError(f"layer kind {layer.kind!r} is not supported")
        index += 1
    outputs = next(layer.filters for layer in reversed(layers) if layer.kind == "fc")
    builder.nodes[-1].output[0] = OUTPUT_NAME
    graph = helper.make_graph(
        builder.nodes,
        "dlib_face_recognition_resnet_model_v1",
        [
            helper.make_tensor_value_info(
                INPUT_NAME, TensorProto.UINT8, ["batch", net.size, net.size, 3]
            )
        ],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", outputs])],
        initializer=builder.weights,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", _OPSET)], producer_name="clearsight"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model

"""What a network costs, layer by layer: parameters, multiply-adds, activations.

:func:`layer_costs` runs one zero image through a :class:`cnnbook.nn.Sequential`
and tabulates, for every layer, its learnable numbers, the multiply-adds of
its forward pass and the size of its output (what training keeps for the
backward pass). The chapter "Making convolution fast" uses it to see where
a network's time and memory go.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnbook.nn import Conv2D, Dense

__all__ = ["LayerCost", "layer_costs"]


@dataclass(frozen=True)
class LayerCost:
    """What one layer costs for one image.

    Attributes:
        name: e.g. ``"conv1"`` or ``"MaxPool2D"``.
        output_shape: ``(C, H, W)`` or ``(M,)``, without the batch axis.
        parameters: learnable numbers (weights and biases).
        multiply_adds: multiply-adds of the forward pass (0 for layers without weights).
        activations: numbers in the layer's output, which training keeps for backward.
    """

    name: str
    output_shape: tuple[int, ...]
    parameters: int
    multiply_adds: int
    activations: int


def layer_costs(model, input_shape: tuple[int, ...]) -> list[LayerCost]:
    """Parameters, forward multiply-adds and output size of every layer, per image.

    A convolution with weights ``(F, C, HH, WW)`` and output ``(F, H', W')``
    does ``F * H' * W' * C * HH * WW`` multiply-adds; a dense layer ``(D, M)``
    does ``D * M``. The shapes are found by running one zero image through
    ``model`` (a :class:`cnnbook.nn.Sequential`).

    Args:
        model: the network.
        input_shape: one image's shape, ``(C, H, W)``.

    Returns:
        One :class:`LayerCost` per layer of ``model``, in order.
    """
    x = np.zeros((1, *input_shape), dtype=np.float32)
    costs = []
    for layer in model.layers:
        y = layer.forward(x)
        params = sum(p.value.size for p in layer.parameters())
        if isinstance(layer, Conv2D):
            F, C, HH, WW = layer.w.value.shape
            macs = int(np.prod(y.shape[1:])) * C * HH * WW
            name = layer.w.name.removesuffix(".w")
        elif isinstance(layer, Dense):
            macs = int(layer.w.value.size)
            name = layer.w.name.removesuffix(".w")
        else:
            macs = 0
            name = type(layer).__name__
        costs.append(LayerCost(name, tuple(y.shape[1:]), int(params), int(macs), int(y[0].size)))
        x = y
    return costs

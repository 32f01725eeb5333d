"""Attention blocks for convolutional feature maps, in ``keras`` and ``keras.ops`` only.

Each block takes a channels-last feature map ``(batch, H, W, C)`` and returns one of the same shape,
reweighted. The layer that computes the attention weights is named ``{name}_map`` (spatial maps,
``(batch, H, W, 1)``) or ``{name}_scale`` (channel weights, ``(batch, 1, 1, C)``), so a chapter can
read them out with ``model.get_layer(...).output`` to draw them.

- :func:`spatial_attention`: a 1x1 convolution with a sigmoid gives one weight per position.
- :func:`squeeze_excitation`: global average pooling, a bottleneck MLP and a sigmoid give one weight
  per channel (Hu et al., 2018).
- :func:`cbam`: channel attention followed by spatial attention from a 7x7 convolution over the
  channel-wise mean and max (Woo et al., 2018).
"""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="book")
class ChannelPool(layers.Layer):
    """Mean and max over the channel axis, stacked: ``(B, H, W, C)`` -> ``(B, H, W, 2)``."""

    def call(self, x):
        return ops.concatenate([ops.mean(x, axis=-1, keepdims=True),
                                ops.max(x, axis=-1, keepdims=True)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 2)


def spatial_attention(x, name: str = "spatial"):
    """Weight every position by a sigmoid of a 1x1 convolution of the features there."""
    weights = layers.Conv2D(1, 1, activation="sigmoid", name=f"{name}_map")(x)
    return layers.Multiply(name=f"{name}_apply")([x, weights])


def _bottleneck(channels: int, ratio: int, hidden: int | None) -> int:
    """Units of the channel MLP's hidden layer: ``hidden`` if given, else ``channels // ratio``."""
    units = channels // ratio if hidden is None else hidden
    if units < 1:
        raise ValueError(f"{channels} channels cannot be reduced by a ratio of {ratio} "
                         f"(pass hidden= to set the bottleneck's units)" if hidden is None
                         else f"hidden must be at least 1, got {hidden}")
    return units


def squeeze_excitation(x, ratio: int = 8, name: str = "se", hidden: int | None = None):
    """Weight every channel: global average pooling -> Dense(C // ratio, relu) -> Dense(C, sigmoid).

    ``hidden`` sets the bottleneck's units instead of ``C // ratio`` (for maps with fewer channels
    than the ratio).
    """
    channels = x.shape[-1]
    units = _bottleneck(channels, ratio, hidden)
    s = layers.GlobalAveragePooling2D(name=f"{name}_squeeze")(x)
    s = layers.Dense(units, activation="relu", name=f"{name}_reduce")(s)
    s = layers.Dense(channels, activation="sigmoid", name=f"{name}_expand")(s)
    s = layers.Reshape((1, 1, channels), name=f"{name}_scale")(s)
    return layers.Multiply(name=f"{name}_apply")([x, s])


def cbam(x, ratio: int = 8, kernel_size: int = 7, pools: tuple[str, ...] = ("avg", "max"),
         name: str = "cbam", hidden: int | None = None):
    """Convolutional block attention: channel attention, then spatial attention.

    Channel attention passes the globally pooled features (``pools``: average and/or max, as in the
    CBAM paper; some descriptions use the average alone) through one shared MLP with a
    ``C // ratio`` bottleneck, adds the results and applies a sigmoid. Spatial attention convolves
    the channel-wise mean and max with a ``kernel_size`` kernel and applies a sigmoid. ``hidden``
    sets the bottleneck's units instead of ``C // ratio``.
    """
    channels = x.shape[-1]
    units = _bottleneck(channels, ratio, hidden)
    unknown = set(pools) - {"avg", "max"}
    if not pools or unknown:
        raise ValueError(f"pools must name 'avg' and/or 'max', got {pools}")
    hidden = layers.Dense(units, activation="relu", name=f"{name}_mlp_hidden")
    out = layers.Dense(channels, name=f"{name}_mlp_out")
    pooled = {"avg": layers.GlobalAveragePooling2D(name=f"{name}_avg"),
              "max": layers.GlobalMaxPooling2D(name=f"{name}_max")}
    logits = [out(hidden(pooled[p](x))) for p in pools]
    total = logits[0] if len(logits) == 1 else layers.Add(name=f"{name}_sum")(logits)
    scale = layers.Activation("sigmoid", name=f"{name}_channel")(total)
    scale = layers.Reshape((1, 1, channels), name=f"{name}_scale")(scale)
    x = layers.Multiply(name=f"{name}_channel_apply")([x, scale])
    pooled_map = ChannelPool(name=f"{name}_pool")(x)
    weights = layers.Conv2D(1, kernel_size, padding="same", activation="sigmoid",
                            name=f"{name}_map")(pooled_map)
    return layers.Multiply(name=f"{name}_apply")([x, weights])

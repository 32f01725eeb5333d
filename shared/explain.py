"""Grad-CAM heat maps (Selvaraju et al., 2017) for Keras functional models, under TensorFlow or JAX.

Grad-CAM weights each channel of one convolutional layer's output by the gradient of the class
score with respect to it, averaged over positions, sums the weighted channels, keeps the positive
part and scales the map to [0, 1]. The class score used here is the log-probability of the class
(the model's output is taken to be a softmax); its gradient does not vanish when the model is
confident, as the probability's does.

The gradient is the one piece Keras 3 gives no backend-independent call for, so it is computed with
``tf.GradientTape`` under TensorFlow and ``jax.grad`` under JAX. Both differentiate the same
sub-model: the part of the network from the chosen layer's output to the model's output.
"""

from __future__ import annotations

import keras
import numpy as np


def split_at(model: keras.Model, layer: str) -> tuple[keras.Model, keras.Model]:
    """``(features, head)``: the model up to ``layer``'s output, and from there to the output.

    The head must depend on the input only through that layer (no skip connection around it).
    """
    try:
        cut = model.get_layer(layer).output
    except ValueError as err:
        names = ", ".join(lyr.name for lyr in model.layers)
        raise ValueError(f"model {model.name!r} has no layer {layer!r}; its layers: {names}") from err
    if len(cut.shape) != 4:
        raise ValueError(f"layer {layer!r} gives shape {cut.shape}; Grad-CAM needs a (batch, H, W, C) map")
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    outputs = model.outputs[0] if len(model.outputs) == 1 else model.outputs
    features = keras.Model(inputs, cut, name=f"{model.name}_to_{layer}")
    try:
        head = keras.Model(cut, outputs, name=f"{model.name}_from_{layer}")
    except ValueError as err:  # the graph after `layer` also reads the input
        raise ValueError(f"the part of {model.name!r} after {layer!r} does not depend on that layer "
                         f"alone (a connection bypasses it), so Grad-CAM cannot cut there") from err
    return features, head


def _log_prob_gradient(head: keras.Model, maps: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """d log p[class] / d maps, one class per image."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        a = tf.convert_to_tensor(maps)
        with tf.GradientTape() as tape:
            tape.watch(a)
            probs = head(a, training=False)
            score = tf.reduce_sum(tf.math.log(tf.gather(probs, classes, batch_dims=1) + 1e-12))
        return tape.gradient(score, a).numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        def score(a):
            probs = head(a, training=False)
            return jnp.sum(jnp.log(jnp.take_along_axis(probs, jnp.asarray(classes)[:, None], 1) + 1e-12))

        return np.asarray(jax.grad(score)(jnp.asarray(maps)))
    raise NotImplementedError(f"grad_cam supports the tensorflow and jax backends, not {backend!r}")


def grad_cam(model: keras.Model, images: np.ndarray, layer: str, classes=None,
             batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Grad-CAM maps of ``images`` at ``layer``, resized to the images' height and width.

    ``classes``: the class to explain for each image (default: the model's prediction). Returns
    ``(maps, classes)``, maps of shape ``(N, H, W)`` with values in [0, 1] (a map that is zero
    everywhere stays zero).
    """
    images = np.asarray(images, dtype="float32")
    features, head = split_at(model, layer)
    out_maps, out_classes = [], []
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size]
        maps = keras.ops.convert_to_numpy(features(x, training=False)).astype("float32")
        if classes is None:
            cls = keras.ops.convert_to_numpy(head(maps, training=False)).argmax(axis=-1)
        else:
            cls = np.asarray(classes)[start : start + batch_size]
        cls = cls.astype("int32")
        grads = _log_prob_gradient(head, maps, cls)
        weights = grads.mean(axis=(1, 2), keepdims=True)  # one weight per channel
        cam = np.maximum((weights * maps).sum(axis=-1), 0.0)
        peak = cam.max(axis=(1, 2), keepdims=True)
        cam = np.divide(cam, peak, out=np.zeros_like(cam), where=peak > 0)
        out_maps.append(cam)
        out_classes.append(cls)
    cams = np.concatenate(out_maps)
    size = images.shape[1:3]
    resized = keras.ops.image.resize(cams[..., None], size, interpolation="bilinear")
    resized = np.clip(keras.ops.convert_to_numpy(resized)[..., 0], 0.0, 1.0)
    return resized, np.concatenate(out_classes)

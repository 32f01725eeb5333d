"""Run under one Keras backend (KERAS_BACKEND set before start): Grad-CAM of a small model whose
maps can be worked out by hand, and of a model with a skip connection; a JSON summary on the last
line."""

import json
import os
import sys

import keras
import numpy as np

from shared.explain import grad_cam


def expected_cam(x, kernel, w, b, classes):
    """Grad-CAM by hand for conv1x1 (no bias) -> global average pooling -> dense softmax."""
    a = np.einsum("nhwc,ck->nhwk", x, kernel)
    z = a.mean(axis=(1, 2)) @ w + b
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    # d log p_c / d a[n, i, j, k] = (w[k, c] - sum_m p_m w[k, m]) / (H * W), the same at every position
    alpha = (w[:, classes].T - p @ w.T) / (a.shape[1] * a.shape[2])
    cam = np.maximum(np.einsum("nhwk,nk->nhw", a, alpha), 0)
    peak = cam.max(axis=(1, 2), keepdims=True)
    return np.divide(cam, peak, out=np.zeros_like(cam), where=peak > 0), p.argmax(axis=1)


def main():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 6, 6, 2)).astype("float32")
    kernel = rng.normal(size=(2, 3)).astype("float32")
    w = rng.normal(size=(3, 4)).astype("float32")
    b = rng.normal(size=4).astype("float32")
    inputs = keras.Input(shape=(6, 6, 2))
    feat = keras.layers.Conv2D(3, 1, use_bias=False, name="feat")(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(feat)
    model = keras.Model(inputs, keras.layers.Dense(4, activation="softmax", name="out")(pooled))
    model.get_layer("feat").set_weights([kernel[None, None]])
    model.get_layer("out").set_weights([w, b])

    out = {"backend": keras.backend.backend()}
    maps, predicted = grad_cam(model, x, "feat", batch_size=2)  # batches of 2: 2 + 2 + 1 images
    want, want_pred = expected_cam(x, kernel, w, b, predicted)
    out["shape"] = list(maps.shape)
    out["predicted_ok"] = bool(np.array_equal(predicted, want_pred))
    out["max_error"] = float(np.abs(maps - want).max())
    out["range"] = [float(maps.min()), float(maps.max())]
    chosen = np.array([3, 2, 1, 0, 3])
    maps_c, classes = grad_cam(model, x, "feat", classes=chosen)
    want_c, _ = expected_cam(x, kernel, w, b, chosen)
    out["chosen_ok"] = bool(np.array_equal(classes, chosen))
    out["chosen_error"] = float(np.abs(maps_c - want_c).max())

    skip = keras.layers.Add()([keras.layers.Conv2D(2, 1, name="feat2")(inputs), inputs])
    bypass = keras.Model(inputs, keras.layers.Dense(4, activation="softmax")(
        keras.layers.GlobalAveragePooling2D()(skip)))
    errors = {}
    for name, layer in (("bypass", "feat2"), ("missing", "nope"), ("flat", "out")):
        try:
            grad_cam(bypass if name == "bypass" else model, x, layer)
            errors[name] = None
        except ValueError as err:
            errors[name] = str(err)
    out["errors"] = errors
    print(json.dumps(out))


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())

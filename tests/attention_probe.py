"""Run under one Keras backend (KERAS_BACKEND set before start): build each attention block of
shared.attention on a random feature map and print a JSON summary on the last line."""

import json
import os
import sys

import keras
import numpy as np

from shared.attention import cbam, spatial_attention, squeeze_excitation


def main():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 13, 13, 32)).astype("float32")
    out = {"backend": keras.backend.backend()}
    for name, block, probe in (("spatial", spatial_attention, "spatial_map"),
                               ("se", squeeze_excitation, "se_scale"),
                               ("cbam", cbam, "cbam_map")):
        inputs = keras.Input(shape=(13, 13, 32))
        y = block(inputs, name=name)
        model = keras.Model(inputs, [y, model_output(inputs, y, probe)])
        result, weights = (keras.ops.convert_to_numpy(t) for t in model(x))
        out[name] = {"shape": list(result.shape), "weights_shape": list(weights.shape),
                     "w_min": float(weights.min()), "w_max": float(weights.max()),
                     "params": model.count_params(),
                     # the block only reweights: the output is the input times weights in (0, 1)
                     "bounded": bool(np.all(np.abs(result) <= np.abs(x) + 1e-6))}
    print(json.dumps(out))


def model_output(inputs, y, layer_name):
    """The named weights layer's output, found in the graph that produced ``y``."""
    graph = keras.Model(inputs, y)
    return graph.get_layer(layer_name).output


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())

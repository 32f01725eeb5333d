"""Small models that more than one chapter trains."""

from __future__ import annotations

import keras
from keras import layers


def digit_cnn(name: str = "digit_cnn") -> keras.Model:
    """Report 001's digit classifier (its Table 2), used by problems 2 and 3.

    28x28 greyscale input in [0, 1]; conv 32 3x3 ReLU, max-pool 2, conv 64 3x3 ReLU, max-pool 2,
    flatten, dense 128 ReLU, dropout 0.5, dense 10 softmax. Compiled with Adam (Keras defaults) and
    sparse categorical cross-entropy, with accuracy as its metric.
    """
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        layers.Reshape((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ], name=name)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model

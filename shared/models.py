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


SPECTROGRAM_LENETS = ("base", "bn", "cbam", "hybrid")


def spectrogram_lenet(kind: str = "base") -> keras.Model:
    """Report 001's LeNet-style networks for 128x128 colour spectrograms (its Tables 11 and 12),
    used by both notebooks of problem 4B.

    Every ``kind`` shares the skeleton: conv 6 5x5 ReLU, average-pool 2, conv 16 5x5 ReLU,
    average-pool 2, flatten (29x29x16), dense 120 and 84 ReLU, dense 10 softmax (in float32).
    After each convolution:

    - ``"base"``: nothing;
    - ``"bn"``: batch normalisation (the book's control: the CBAM network's normalisation without
      its attention);
    - ``"cbam"``: batch normalisation, then CBAM (channel attention with reduction ratio 8 and
      average pooling, then 7x7 spatial attention);
    - ``"hybrid"``: batch normalisation, squeeze-and-excitation channel attention (ratio 8), layer
      normalisation and dropout 0.1; the dense layers carry an L2 penalty of 1e-3 and dropout 0.5,
      and Gaussian noise (sd 0.02) is added to the training images.

    With 6 channels a ratio of 8 leaves no hidden unit, so the attention MLPs keep at least one.
    Layers are named for read-out (``conv1``, ``bn2``, ``cbam1_map``, ``ca2_scale``, ...). Compiled
    with Adam (learning rate 1e-4, gradient norm clipped at 1) and sparse categorical cross-entropy,
    with accuracy as its metric.
    """
    from shared import attention

    if kind not in SPECTROGRAM_LENETS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(SPECTROGRAM_LENETS)}")

    def conv_block(x, filters, n):
        x = layers.Conv2D(filters, 5, activation="relu", name=f"conv{n}")(x)
        hidden = max(1, filters // 8)  # reduction ratio 8, at least one unit
        if kind != "base":
            x = layers.BatchNormalization(name=f"bn{n}")(x)
        if kind == "cbam":
            x = attention.cbam(x, ratio=8, hidden=hidden, pools=("avg",), name=f"cbam{n}")
        elif kind == "hybrid":
            x = attention.squeeze_excitation(x, ratio=8, hidden=hidden, name=f"ca{n}")
            x = layers.LayerNormalization(name=f"ca{n}_norm")(x)
            x = layers.Dropout(0.1, name=f"ca{n}_drop")(x)
        return layers.AveragePooling2D(2, name=f"pool{n}")(x)

    inputs = keras.Input(shape=(128, 128, 3))
    x = layers.GaussianNoise(0.02, name="noise")(inputs) if kind == "hybrid" else inputs
    x = conv_block(x, 6, 1)
    x = conv_block(x, 16, 2)
    x = layers.Flatten()(x)
    l2 = keras.regularizers.L2(1e-3) if kind == "hybrid" else None
    for units in (120, 84):
        x = layers.Dense(units, activation="relu", kernel_regularizer=l2)(x)
        if kind == "hybrid":
            x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10, activation="softmax", dtype="float32", name="probs")(x)
    model = keras.Model(inputs, outputs, name=kind)
    model.compile(optimizer=keras.optimizers.Adam(1e-4, clipnorm=1.0),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model

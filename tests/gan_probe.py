"""Trains a tiny conditional GAN with shared.gan under the backend in KERAS_BACKEND; prints a JSON
summary on its last line (run by tests/test_gan.py once per backend, each in a fresh process).

Three classes of 4x4 images: class k lights row k. A frozen classifier reads the mean brightness of
rows 0-2. The generator starts far from the class it is asked for; the class-consistency term
(and the discriminator) must teach it.
"""

import json
import os
import sys
import tempfile

import keras
import numpy as np
from keras import layers

sys.path.insert(0, os.getcwd())
from shared.checkpoint import Part, Paused  # noqa: E402
from shared.gan import ConditionalBatchNormalization, ConditionalGAN, generate  # noqa: E402

K, NOISE = 3, 8


def generator():
    z, y = keras.Input((NOISE,)), keras.Input((), dtype="int32")
    e = layers.Flatten()(layers.Embedding(K, 4)(y))
    h = layers.Dense(16)(layers.Concatenate()([z, e]))
    h = ConditionalBatchNormalization(K)([h, y])
    h = layers.Dense(16, activation="tanh")(layers.ReLU()(h))
    return keras.Model([z, y], layers.Reshape((4, 4, 1))(h))


def discriminator():
    x, y = keras.Input((4, 4, 1)), keras.Input((), dtype="int32")
    h = layers.Dropout(0.1)(layers.Dense(16, activation="relu")(layers.Flatten()(x)))
    h = layers.Concatenate()([h, layers.Flatten()(layers.Embedding(K, 4)(y))])
    return keras.Model([x, y], layers.Dense(1)(h))


def classifier():
    x = keras.Input((4, 4, 1))
    rows = layers.Lambda(lambda t: keras.ops.mean(t[:, :K, :, 0], axis=-1))(x)  # (batch, K)
    return keras.Model(x, layers.Lambda(lambda r: 10.0 * r)(rows))


def real_data(n, rng):
    y = rng.integers(0, K, n)
    x = -np.ones((n, 4, 4, 1), "float32") + 0.05 * rng.standard_normal((n, 4, 4, 1)).astype("float32")
    x[np.arange(n), y, :, 0] = 1.0
    return np.clip(x, -1, 1), y


def accuracy(g, seed):
    labels = np.tile(np.arange(K), 100)
    images = generate(g, labels, NOISE, seed=seed)
    pred = np.argmax(keras.ops.convert_to_numpy(classifier()(images)), axis=-1)
    return float((pred == labels).mean()), images


def main():
    rng = np.random.default_rng(0)
    x, y = real_data(512, rng)
    results = {}
    for run, weight in (("a", 1.0), ("b", 1.0), ("no_class", 0.0)):
        keras.utils.set_random_seed(3)
        g, d = generator(), discriminator()
        acc_before, _ = accuracy(g, 7)
        gan = ConditionalGAN(g, d, noise_dim=NOISE, num_classes=K, classifier=classifier(),
                             class_weight=weight, g_optimizer=keras.optimizers.Adam(1e-2),
                             d_optimizer=keras.optimizers.Adam(1e-2))
        before = [keras.ops.convert_to_numpy(v) for v in g.trainable_variables]
        r = gan.fit(x, y, epochs=15, batch_size=64, seed=5, log=False)
        acc_after, images = accuracy(g, 7)
        changed = max(float(np.abs(keras.ops.convert_to_numpy(v) - b).max())
                      for v, b in zip(g.trainable_variables, before, strict=True))
        results[run] = dict(acc_before=acc_before, acc_after=acc_after, changed=changed,
                            history=r.history,
                            iterations=int(keras.ops.convert_to_numpy(gan.g_optimizer.iterations)),
                            images=images.ravel()[:50].tolist())
    # run "a" again in parts, each part in new networks and optimisers (as a later session would
    # build them) that pause after every 4 epochs and go on from the checkpoint
    class EveryFour(Part):
        calls = 0

        def out_of_time(self, next_s):
            EveryFour.calls += 1
            return EveryFour.calls % 4 == 0

    folder = os.path.join(tempfile.mkdtemp(), "ckpt")
    pauses = []
    while True:
        keras.utils.set_random_seed(3)
        g, d = generator(), discriminator()
        gan = ConditionalGAN(g, d, noise_dim=NOISE, num_classes=K, classifier=classifier(),
                             class_weight=1.0, g_optimizer=keras.optimizers.Adam(1e-2),
                             d_optimizer=keras.optimizers.Adam(1e-2))
        part = EveryFour(folder)
        try:
            r = gan.fit(x, y, epochs=15, batch_size=64, seed=5, log=False, part=part)
            break
        except Paused as e:
            pauses.append([e.done, part.parts])
    acc_after, images = accuracy(g, 7)
    results["parts"] = dict(acc_after=acc_after, history=r.history, pauses=pauses,
                            iterations=int(keras.ops.convert_to_numpy(gan.g_optimizer.iterations)),
                            images=images.ravel()[:50].tolist())
    # a checkpoint of another run is refused
    try:
        gan.fit(x, y, epochs=14, batch_size=64, seed=5, log=False, part=Part(folder))
    except ValueError as e:
        results["parts"]["other_run"] = str(e)
    # error checks
    errors = []
    for bad in (dict(x=x[:10], y=y[:9]), dict(x=x, y=y + 5)):
        try:
            gan.fit(bad["x"], bad["y"], epochs=1, batch_size=4, log=False)
        except ValueError as e:
            errors.append(str(e))
    # a generator with conditional batch norm survives a .keras round trip
    path = os.path.join(tempfile.mkdtemp(), "g.keras")
    g.save(path)
    again = keras.saving.load_model(path, safe_mode=False)
    same = np.allclose(generate(g, [0, 1, 2], NOISE, seed=1), generate(again, [0, 1, 2], NOISE, seed=1),
                       atol=1e-6)
    print(json.dumps(dict(backend=keras.backend.backend(), runs=results, errors=errors,
                          reload_same=bool(same))))


if __name__ == "__main__":
    main()

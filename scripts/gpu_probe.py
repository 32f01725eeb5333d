"""What the chapters still to come need on the GPU machine, tried in a few seconds.

Run by scripts/rehearse_gpu.sh with the GPU's package set and KERAS_BACKEND=jax: a tiny keras-tuner
Hyperband search, a backend-specific GAN-style training step written with jax, the librosa features
and displays the spoken-digit chapters use, scipy.ndimage's elastic-transform pieces, and the
scikit-learn metrics and splits. Prints one line per check; any failure (a missing module above
all) ends it with a non-zero status.
"""

import os
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("MPLBACKEND", "Agg")


def check(name):
    def wrap(fn):
        fn()
        print(f"ok  {name}", flush=True)
        return fn
    return wrap


@check("keras on jax")
def _keras():
    import keras

    assert keras.backend.backend() == "jax", keras.backend.backend()


@check("keras-tuner Hyperband (2 epochs at most)")
def _tuner():
    import keras
    import keras_tuner as kt
    import numpy as np

    rng = np.random.default_rng(0)
    x, y = rng.random((64, 8), dtype=np.float32), rng.integers(0, 2, 64)

    def build(hp):
        m = keras.Sequential([keras.Input((8,)),
                              keras.layers.Dense(hp.Int("units", 4, 8, step=4), activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
        m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        return m

    with tempfile.TemporaryDirectory() as tmp:
        tuner = kt.Hyperband(build, objective="val_accuracy", max_epochs=2, factor=2,
                             directory=tmp, project_name="probe", overwrite=True)
        tuner.search(x, y, validation_split=0.25, verbose=0)
        assert tuner.get_best_hyperparameters(1)[0].get("units") in (4, 8)


@check("a custom training step with jax (as a GAN chapter writes one)")
def _jax_step():
    import jax
    import jax.numpy as jnp
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.build((None, 4))
    trainable = [v.value for v in model.trainable_variables]

    def loss_fn(tv, x):
        y, _ = model.stateless_call(tv, [], x)
        return jnp.mean(y ** 2)

    grads = jax.jit(jax.grad(loss_fn))(trainable, jnp.ones((8, 4)))
    assert len(grads) == len(trainable)


@check("librosa MFCC, mel spectrogram and display")
def _librosa():
    import librosa
    import librosa.display
    import matplotlib.pyplot as plt
    import numpy as np

    y = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000).astype(np.float32)
    mfcc = librosa.feature.mfcc(y=y, sr=8000, n_mfcc=13, n_fft=120, hop_length=60, n_mels=40)
    mel = librosa.feature.melspectrogram(y=y, sr=8000, n_fft=256, hop_length=32, n_mels=64)
    assert mfcc.shape[0] == 13 and mel.shape[0] == 64
    fig, ax = plt.subplots()
    librosa.display.specshow(librosa.power_to_db(mel), sr=8000, hop_length=32, ax=ax)
    plt.close(fig)


@check("scipy.ndimage and scikit-learn")
def _scipy_sklearn():
    import numpy as np
    from scipy import ndimage
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split

    img = np.zeros((28, 28), np.float32)
    out = ndimage.map_coordinates(img, np.indices((28, 28)).astype(np.float32), order=1)
    assert out.shape == (28, 28)
    a, b = train_test_split(np.arange(20), test_size=0.5, stratify=np.arange(20) % 2, random_state=0)
    assert len(a) == len(b) == 10 and f1_score([0, 1], [0, 1]) == 1.0


@check("tensorflow is absent")
def _no_tf():
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return
    raise AssertionError("tensorflow is importable: the GPU image has none")


if __name__ == "__main__":
    sys.exit(0)

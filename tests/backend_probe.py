"""Run under one Keras backend (set KERAS_BACKEND before starting): exercise the shared helpers and
the MNIST chapter's models for one training step, and print a JSON summary on the last line."""

import json
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import jupytext  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from shared import plots  # noqa: E402
from shared.reporting import device_description  # noqa: E402
from shared.training import fit, set_seed  # noqa: E402

CHAPTER = Path(__file__).resolve().parent.parent / "book" / "chapters" / "01_mnist_cnn.py"


def chapter_function(name: str):
    """Execute the chapter cell that defines ``name`` and return the function (no other cell runs)."""
    nb = jupytext.read(CHAPTER)
    cell = next(c for c in nb.cells if c.cell_type == "code" and f"def {name}(" in c.source)
    namespace = {"keras": keras, "layers": keras.layers}
    source = cell.source
    source = source.split("\nmodel = ")[0].split("\nset_seed(")[0]  # keep only the definition
    exec(compile(source, str(CHAPTER), "exec"), namespace)
    return namespace[name]


def main():
    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28, 1), dtype=np.float32)
    y = keras.utils.to_categorical(rng.integers(0, 10, 64), 10)
    out = {"backend": keras.backend.backend(), "device": device_description()}

    set_seed(7)
    w1 = chapter_function("build_model")().get_weights()[0]
    set_seed(7)
    model = chapter_function("build_model")()
    out["seed_reproducible"] = bool(np.array_equal(w1, model.get_weights()[0]))
    out["params"] = model.count_params()
    before = model.evaluate(x, y, verbose=0)[0]
    run = fit(model, x, y, epochs=3, batch_size=64, log=False, validation_data=(x, y))
    out["loss_before"], out["loss_after"] = float(before), run.history["loss"][-1]
    out["epochs"], out["best_epoch"] = run.epochs, run.best_epoch()
    out["wall_time_positive"] = run.wall_time > 0
    listing = chapter_function("build_listing_model")()
    out["listing_params"] = listing.count_params()
    fit(listing, x, y, epochs=1, batch_size=64, log=False)

    probe = keras.Model(model.inputs, [model.get_layer(n).output for n in ("conv1", "conv3")])
    acts = probe.predict(x[:1], verbose=0)
    figs = [
        plots.plot_history(run, metrics=("loss", "accuracy")),
        plots.image_grid(x[:12, ..., 0], titles=list(range(12)), ncols=6),
        plots.filter_grid(model.get_layer("conv1").get_weights()[0]),
        plots.feature_maps(acts[0], max_maps=16),
        plots.confusion_matrix(np.arange(10), np.arange(10)[::-1], class_names=list("0123456789")),
    ]
    out["figure_axes"] = [len(f.axes) for f in figs]
    out["act_shapes"] = [list(a.shape) for a in acts]
    print(json.dumps(out))


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())

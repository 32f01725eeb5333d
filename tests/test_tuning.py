"""shared.tuning: the Hyperband schedule matches what keras-tuner runs, and an interrupted search
resumes without re-running its finished trials."""

import keras
import numpy as np
import pytest

from shared.tuning import (
    hyperband,
    hyperband_schedule,
    search_folder,
    space_frame,
    trials_frame,
)

FITS = []  # every training run the tuner starts, across tuners in one test


class Count(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        FITS.append(1)


class Interrupt(keras.callbacks.Callback):
    """Stops the whole search (as Ctrl-C would) when the n-th training run begins."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_train_begin(self, logs=None):
        if len(FITS) >= self.at:
            raise KeyboardInterrupt


def build(hp):
    model = keras.Sequential([keras.Input((4,)),
                              keras.layers.Dense(hp.Int("units", 2, 16), activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(hp.Float("lr", 1e-3, 1e-1, sampling="log")),
                  loss="mse")
    return model


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    return x, x @ np.arange(1, 5, dtype="float32")


def test_schedule_matches_keras_tuner():
    s = hyperband_schedule(max_epochs=3, factor=3)
    # two brackets: 3 models for 1 epoch, the best one on to 3; then 2 models for 3 epochs
    assert list(s["models"]) == [3, 1, 2] and list(s["epochs"]) == [1, 3, 3]
    assert list(s["new epochs"]) == [1, 2, 3] and s["epochs trained"].sum() == 3 + 2 + 6
    big = hyperband_schedule(max_epochs=20, factor=3, iterations=2)
    assert big["iteration"].max() == 2 and big["bracket"].max() == 2
    with pytest.raises(ValueError, match="factor"):
        hyperband_schedule(max_epochs=10, factor=1)


def test_interrupted_search_resumes(tmp_path, capsys):
    x, y = data()
    kwargs = dict(objective="val_loss", max_epochs=3, factor=3, directory=tmp_path,
                  project="p", seed=1)
    FITS.clear()
    tuner = hyperband(build, **kwargs)
    with pytest.raises(KeyboardInterrupt):
        tuner.search(x, y, validation_split=0.25, verbose=0, callbacks=[Count(), Interrupt(3)])
    finished = trials_frame(tuner)
    finished = finished[finished.status == "completed"]
    assert len(finished) == 2

    resumed = hyperband(build, **kwargs)
    assert "2 finished trials on record" in capsys.readouterr().out
    before = len(FITS)
    resumed.search(x, y, validation_split=0.25, verbose=0, callbacks=[Count()])
    table = trials_frame(resumed)
    done = table[table.status == "completed"]
    # the search finished its schedule (3 + 1 + 2 trials) ...
    assert len(done) == hyperband_schedule(3, 3)["models"].sum()
    # ... and the two trials finished before the interruption kept their scores, not re-run
    for trial_id, row in finished.iterrows():
        assert done.loc[trial_id, "score"] == row["score"]
    assert len(FITS) - before == len(done) - len(finished)
    assert "trial" in capsys.readouterr().out  # one line per trial


def test_search_folder_is_named_by_settings_and_code(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_DATA_CACHE", str(tmp_path))

    def other(hp):
        return build(hp)

    a = search_folder("sums", {"max_epochs": 20}, build)
    assert a == search_folder("sums", {"max_epochs": 20}, build)
    assert a.parent == tmp_path / "tuning" and a.name.startswith("sums-")
    assert a != search_folder("sums", {"max_epochs": 10}, build)
    assert a != search_folder("sums", {"max_epochs": 20}, other)


def test_space_frame_lists_the_declared_hyperparameters():
    space = space_frame(build)
    assert list(space.index) == ["units", "lr"]
    assert space.loc["units", "values"] == "2 to 16" and space.loc["units", "kind"] == "int"
    assert space.loc["lr", "sampling"] == "log" and space.loc["lr", "values"] == "0.001 to 0.1"

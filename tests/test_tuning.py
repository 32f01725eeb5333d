"""shared.tuning: the Hyperband schedule matches what keras-tuner runs, and an interrupted search
resumes without re-running its finished trials."""

import keras
import numpy as np
import pytest

from shared.tuning import (
    hyperband,
    hyperband_costs,
    hyperband_draws,
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


def test_draws_known_in_advance_are_the_ones_the_search_trains(tmp_path):
    x, y = data()
    schedule = hyperband_schedule(3, 3)
    n = int(schedule.loc[schedule["round"] == 1, "models"].sum())
    draws = hyperband_draws(build, n, seed=7)
    assert len(draws) == n == 5 and len({tuple(d.items()) for d in draws}) == n
    tuner = hyperband(build, objective="val_loss", max_epochs=3, factor=3, directory=tmp_path,
                      project="p", seed=7, log=False)
    tuner.search(x, y, validation_split=0.25, verbose=0)
    trials = sorted(tuner.oracle.trials.values(), key=lambda t: t.trial_id)  # creation order
    drawn = [{k: v for k, v in t.hyperparameters.values.items() if not k.startswith("tuner/")}
             for t in trials if t.hyperparameters.values["tuner/round"] == 0]
    assert drawn == draws
    # a promoted trial reuses a drawn model's values
    promoted = [t for t in trials if t.hyperparameters.values["tuner/round"] > 0]
    assert promoted and all(
        {k: v for k, v in t.hyperparameters.values.items() if not k.startswith("tuner/")} in draws
        for t in promoted)
    assert set(tuner.trial_seconds) == {t.trial_id for t in trials}
    assert all(s > 0 for s in tuner.trial_seconds.values())
    assert hyperband_draws(build, n, seed=8) != draws
    with pytest.raises(ValueError, match="nonzero seed"):
        hyperband_draws(build, 3, seed=0)


def test_costs_count_each_round_and_bound_the_promotions():
    schedule = hyperband_schedule(3, 3)  # 3 models x 1 epoch, the best x 2 more, 2 models x 3
    costed = hyperband_costs(schedule, [1.0, 5.0, 2.0, 10.0, 20.0])
    assert list(costed["cost"]) == [1 + 5 + 2, 5 * 2, (10 + 20) * 3]
    assert list(costed["models"]) == list(schedule["models"])
    with pytest.raises(ValueError, match="draws 5 models"):
        hyperband_costs(schedule, [1.0, 2.0])


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


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_distributed_search_chief_and_two_workers_over_loopback(tmp_path):
    """A chief and two workers (separate processes, as on separate machines, sharing one search
    folder): every trial runs once, the workers share them, the chief knows the best."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    probe = Path(__file__).with_name("tuning_probe.py")
    port, folder, ready = _free_port(), tmp_path / "search", tmp_path / "ready"
    ready.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERASTUNER_")}
    env |= {"KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}

    def start(*args):
        return subprocess.Popen([sys.executable, str(probe), *map(str, args)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=probe.parent.parent)

    procs = {"chief": start("chief", port, folder, ready)}
    procs |= {w: start("worker", port, folder, ready, w) for w in ("1", "2")}
    out = {}
    try:
        for name, proc in procs.items():
            stdout, stderr = proc.communicate(timeout=240)
            assert proc.returncode == 0, f"{name}: {stderr[-3000:]}"
            out[name] = json.loads(stdout.strip().splitlines()[-1])
    finally:
        for proc in procs.values():
            proc.kill()
    ran = {w: [t for t, _ in out[w]["ran"]] for w in ("1", "2")}
    every = ran["1"] + ran["2"]
    assert len(every) == len(set(every)), f"a trial ran twice: {ran}"
    assert sorted(every) == out["chief"]["completed"] == sorted(out["chief"]["completed"])
    assert len(every) == out["chief"]["all"] >= 4  # the smoke search has several trials
    assert ran["1"] and ran["2"], f"the workers did not share the trials: {ran}"
    scores = {t: s for w in ("1", "2") for t, s in out[w]["ran"]}
    best_id = min(scores, key=scores.get)
    assert out["chief"]["best"][0] == best_id
    assert out["chief"]["best"][1] == pytest.approx(scores[best_id])


def test_distributed_roles_and_addresses(monkeypatch):
    import nbformat

    from shared import tuning

    for k in (tuning.TUNER_ID, tuning.ORACLE_IP, tuning.ORACLE_PORT):
        monkeypatch.delenv(k, raising=False)
    assert tuning.role() == "alone"
    monkeypatch.setenv(tuning.ORACLE_IP, "10.0.0.1")
    with pytest.raises(RuntimeError, match="needs all three"):
        tuning.role()
    monkeypatch.setenv(tuning.ORACLE_PORT, "8000")
    monkeypatch.setenv(tuning.TUNER_ID, "tuner3")
    assert tuning.role() == "worker"
    assert tuning.chief_env(8000) == {tuning.TUNER_ID: "chief", tuning.ORACLE_IP: "0.0.0.0",
                                      tuning.ORACLE_PORT: "8000"}
    assert tuning.worker_env("gpu-box:8001", 2)[tuning.TUNER_ID] == "tuner2"
    for bad in ("gpu-box", ":8000", "gpu-box:http", "gpu-box:70000"):
        with pytest.raises(ValueError):
            tuning.worker_env(bad, 1)
    with pytest.raises(ValueError, match="worker id"):
        tuning.worker_env("gpu-box:8000", "chief")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("a = 1"),
        nbformat.v4.new_code_cell("tuner.search()", metadata={"tags": ["hide-output", "search"]}),
        nbformat.v4.new_code_cell("after = 1")])
    assert [c.source for c in tuning.cells_until_search(nb).cells] == ["a = 1", "tuner.search()"]
    assert len(nb.cells) == 3  # the original is left whole
    nb.cells[1].metadata["tags"] = []
    with pytest.raises(ValueError, match="tagged"):
        tuning.cells_until_search(nb)

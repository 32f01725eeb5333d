"""One process of a distributed Hyperband search at smoke size, for tests/test_tuning.py:

    python tests/tuning_probe.py chief  PORT FOLDER READY
    python tests/tuning_probe.py worker PORT FOLDER READY ID

The role comes from keras-tuner's environment variables, set as ``python -m shared.tuning`` sets
them. Workers wait until every worker is ready (files in READY) so that they share the trials, and
each epoch sleeps a little so that no worker finishes a round alone. The last line printed is JSON:
the chief's completed trials and best trial, or the trials a worker ran.
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from shared import tuning  # noqa: E402

WORKERS = 2


def build(hp):
    import keras

    model = keras.Sequential([keras.Input((8,)),
                              keras.layers.Dense(hp.Int("units", 4, 32, step=4),
                                                 activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(hp.Choice("lr", [1e-3, 1e-2, 3e-2])),
                  loss="mse")
    return model


def main():
    part, port, folder, ready = sys.argv[1:5]
    os.environ.update(tuning.chief_env(int(port), "127.0.0.1") if part == "chief"
                      else tuning.worker_env(f"127.0.0.1:{port}", sys.argv[5]))
    assert tuning.role() == part
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x @ rng.normal(size=8) + 0.1 * rng.normal(size=256)).astype("float32")
    tuner = tuning.hyperband(build, objective="val_loss", max_epochs=3, factor=3, seed=1,
                             directory=folder, project="probe")
    if part == "worker":
        Path(ready, sys.argv[5]).touch()
        deadline = time.time() + 120
        while len(list(Path(ready).iterdir())) < WORKERS and time.time() < deadline:
            time.sleep(0.2)
    slow = keras.callbacks.LambdaCallback(on_epoch_end=lambda *_: time.sleep(0.3))
    tuner.search(x[:192], y[:192], validation_data=(x[192:], y[192:]), batch_size=32,
                 callbacks=[slow], verbose=0)
    if part == "chief":
        trials = tuner.oracle.trials.values()
        best = tuner.oracle.get_best_trials(1)[0]
        out = {"completed": sorted(t.trial_id for t in trials if t.status == "COMPLETED"),
               "all": len(trials), "best": [best.trial_id, best.score]}
    else:
        out = {"ran": tuner.trials_run}
    print(json.dumps(out))


if __name__ == "__main__":
    main()

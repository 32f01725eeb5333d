# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Digit sums: the Hyperband search, re-run
#
# A companion to {doc}`31_digit_sums`. The report {cite}`report000` found its enhanced
# model's hyperparameters with keras-tuner's Hyperband {cite}`li2018hyperband`: "The
# tuning process took over 21–22 hours, involving multiple trials (`Hyperband`
# parameter `max_epochs` = 20) across different brackets." We run the same kind of
# search over the space the report lists, at a budget stated below, and ask what a
# search that small can choose. Every candidate's validation MSE stands beside the error
# of the constant predictor, which always answers the mean training sum: a candidate
# that does not beat it has not learned the task. The search is run twice, with the
# same candidates and two training seeds, so that the winner's lead can be set beside
# how much one candidate's score moves when only the seed changes. Then the best
# hyperparameters stand beside the report's, and the tuned model is trained with the
# main notebook's recipe (at `cpu` on the attention companion's images and epochs: see
# the budgets).
#
# ```{glue} provenance
# ```
#
# ```{admonition} Run this chapter yourself
# :class: tip
# Download {download}`the source (.py) <31_digit_sums_tuning.py>` or
# {download}`the notebook (.ipynb) <31_digit_sums_tuning.ipynb>`. In a clone of the
# book's repository, `pip install -e .`; then
# `python -m shared.publish book/chapters/31_digit_sums_tuning.py --fill --for 1h`
# trains whatever runs of the `cpu` budget below the run store lacks (the searches
# first, then the tuned model, which needs the first search's winner), and
# `python -m shared.publish book/chapters/31_digit_sums_tuning.py` then executes the
# page with every run loaded from the store (`--profile full` for the full budget, a
# GPU's work). Adding `--profile smoke --out try.ipynb` runs a small version in a
# temporary store.
# ```

# %% tags=["remove-stderr"]
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter

import functools
import logging
import math
import tempfile
import time
import warnings

import keras
import keras_tuner as kt
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from keras import layers

from shared import budget, derived, plots, store
from shared.reporting import Comparison, format_duration, glue, start_run, table
from shared.training import fit, set_seed
from shared.tuning import hyperband, hyperband_draws, hyperband_schedule, space_frame

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices
# keras-tuner continues a promoted trial from its parent's checkpoint by loading the
# weights into a freshly compiled model, whose optimizer has no state yet, and Keras
# warns (from inside its own package, with this machine's paths) that it skips the
# optimizer's saved state. The schedule's description below says so; this warning, and
# only it, is filtered.
SKIPPED_OPTIMIZER = "Skipping variable loading for optimizer"
warnings.filterwarnings("ignore", message=SKIPPED_OPTIMIZER, category=UserWarning)
run = start_run("31_digit_sums_tuning")
runs = store.open("31_digit_sums_tuning")
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
print(f"device: {run.provenance.device}")

# %% [markdown]
# ## Budgets
#
# The report's search ran Hyperband with `max_epochs` 20; it states neither its data
# sizes, its factor, its objective nor its batch size. At the full profile ours keeps
# `max_epochs` 20 and, as our choices, keras-tuner's default factor 3, one Hyperband
# iteration, the validation loss as the objective and batch 32; each candidate trains
# on 10,000 training images validated on 2,000. The tuned model is then trained like
# the report's: all 50,000 training images, up to 100 epochs, early stopping with
# patience 5 (on the validation loss, restoring the best epoch's weights: ours). The
# validation images that choose the hyperparameters are not used again: the tuned
# model's early stopping and its validation MSE use the other validation images. These
# sizes and the split are ours; the report does not give them.
#
# **Two searches.** The tuner's seed (1) fixes which hyperparameters it draws; the
# training seed sets the initial weights, the dropout masks and the order of the
# batches. Each search is run from two training seeds with the same tuner seed, so the
# two draw the same candidates and differ only in training: the second search is ours,
# to measure how far one candidate's score moves from seed to seed. Each search is one
# stored run of the book's run store (its trainer runs the tuner in a fresh temporary
# folder and keeps every trial's hyperparameters, bracket, round, score and time, and
# its best checkpoint's predictions of the validation images). The tuned model, trained
# from the first search's winner, is a stored run of a later stage: it is trained only
# once that search is stored, and its spec holds the winner's hyperparameters.
#
# **What two CPU cores can run.** The `cpu` profile keeps the space, the objective,
# Hyperband with factor 3 and the final training's early stopping, and makes the rest
# small: `max_epochs` 3 on 512 training and 250 validation images (the first of the
# profile's); then the tuned model is trained on the attention companion's `cpu` images
# (1,000 training, 1,000 test; its report-form runs train the report's hyperparameters
# on them) for at most 4 epochs (the attention companion's), validated on the 250
# validation images the searches did not use. Batch normalisation uses momentum 0.9 at
# `cpu` (the main notebook's choice: a few steps an epoch are too few for Keras' 0.99).
# What each run took is measured under "The runs" below. The smoke profile runs the
# same code with `max_epochs` 2 on a few dozen images.

# %%
B = budget(
    full=dict(n_train=50_000, n_val=5_000, n_test=10_000, tune_train=10_000,
              tune_val=2_000, max_epochs=20, factor=3, iterations=1, tuner_seed=1,
              seeds=[1, 2], final_epochs=100, patience=5, batch_size=32,
              bn_momentum=0.99),
    cpu=dict(n_train=1_000, n_val=500, n_test=1_000, tune_train=512, tune_val=250,
             max_epochs=3, final_epochs=4, bn_momentum=0.9),
    why=dict(n_train="two cores: the attention companion's cpu images (the report "
                     "states no data size)",
             n_val="two cores: the attention companion's cpu images",
             n_test="two cores: the attention companion's cpu images",
             tune_train="two cores: two searches over a space whose models average "
                        "several times the report model's multiply-adds (counted "
                        "below); the report states no size",
             tune_val="two cores (every trial is validated every epoch); half the "
                      "validation images, the other half kept for the tuned model",
             max_epochs="two cores: the schedule below, against the report's 20",
             final_epochs="two cores: the attention companion's cpu epochs",
             bn_momentum="16 to 32 steps an epoch are too few for Keras' 0.99 (the "
                         "main notebook's cpu choice)"),
    smoke=dict(n_train=64, n_val=32, n_test=32, tune_train=32, tune_val=16,
               max_epochs=2, factor=3, iterations=1, tuner_seed=1, seeds=[1, 2],
               final_epochs=1, patience=5, batch_size=32, bn_momentum=0.9),
)
display(B.table())
if B.tune_val >= B.n_val or B.tune_train > B.n_train:
    raise ValueError(f"tune_val ({B.tune_val}) must leave validation images for the "
                     f"tuned model (n_val {B.n_val}), and tune_train ({B.tune_train}) "
                     f"be at most n_train ({B.n_train})")

# %% [markdown]
# ## The schedule
#
# Hyperband runs brackets one after another; a bracket draws models at random, trains
# them a few epochs, keeps the best third (the factor 3) and trains those further, round
# by round. On this page rounds count from 1 within their bracket, in this table and in
# the trials' below; brackets carry keras-tuner's numbers, which count down to 0 (a
# bracket numbered *s* has *s* + 1 rounds, and the highest runs first). keras-tuner's
# own records, and the lines a fill prints while it trains, count rounds from 0. A
# model promoted to a later round continues from its best epoch's weights with a fresh
# optimizer (keras-tuner reloads the weights only). *Epochs reached* is the epoch a
# round's models train to, *new epochs* how many of those a promoted model trains anew.

# %%
schedule = hyperband_schedule(B.max_epochs, B.factor, B.iterations)
display(table(schedule.rename(columns={"epochs": "epochs reached"}), index=False))
n_draws = int(schedule.loc[schedule["round"] == 1, "models"].sum())
glue("n_models", int(schedule["models"].sum()), "d")
glue("n_draws", n_draws, "d")
glue("n_epochs", int(schedule["epochs trained"].sum()), ",d")

# %% [markdown]
# Each search trains {glue}`n_models` models ({glue}`n_draws` drawn at random, the rest
# promoted from an earlier round) for {glue}`n_epochs` epochs in all.
#
# ## The search space
#
# The report's space, on its model: five blocks of convolution (ReLU), batch
# normalisation and max pooling, global average pooling, multi-head attention over the
# pooled features, dense with ReLU, dropout, one linear output, MSE and Adam. The
# report lists seven ranges (its printed best values end in "...", so it may have
# tuned more); **ours are the steps within them**: filters in steps of 32, key
# dimension in steps of 16, dense units in steps of 64, heads in steps of 1, dropout
# one of 0.2, 0.3, 0.4 and 0.5. As in the main notebook, same padding, 2×2 pooling,
# the pooled features as one token for the attention, and the dropout after the dense
# layer are ours too. The report's best point (filters 128, 64, 256, 128, 192; key
# dimension 64; dense 192; dropout 0.3) lies on these steps.

# %% tags=["train"]
def build_model(hp, bn_momentum):
    inputs = keras.Input(shape=(40, 168, 1))
    h = inputs
    for i in range(1, 6):
        h = layers.Conv2D(hp.Int(f"filters_{i}", 32, 512, step=32),
                          hp.Choice(f"kernel_{i}", [3, 5]), padding="same",
                          activation="relu")(h)
        h = layers.BatchNormalization(momentum=bn_momentum)(h)
        h = layers.MaxPooling2D(2)(h)
    h = layers.GlobalAveragePooling2D()(h)
    token = layers.Reshape((1, h.shape[-1]))(h)
    mha = layers.MultiHeadAttention(hp.Int("num_heads", 2, 8),
                                    hp.Int("key_dim", 16, 64, step=16))
    h = layers.Flatten()(mha(token, token))
    h = layers.Dense(hp.Int("dense_units", 64, 256, step=64), activation="relu")(h)
    h = layers.Dropout(hp.Choice("dropout", [0.2, 0.3, 0.4, 0.5]))(h)
    model = keras.Model(inputs, layers.Dense(1)(h))
    lr = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="mse", metrics=["mae"])
    return model


print("build_model(hp, bn_momentum): one candidate of the space")

# %%
hypermodel = functools.partial(build_model, bn_momentum=B.bn_momentum)
display(table(space_frame(hypermodel)))

# %% [markdown]
# ## Data
#
# The main notebook's data (`shared.derived.digit_sums` with a validation part whose
# digits no training image uses), at this profile's sizes; the searches use the first
# training and validation images.

# %% tags=["train"]
SPLITS = ("train", "val", "test")


@functools.cache
def load(n_train, n_val, n_test):
    """The digit-sum images scaled to [0, 1] and their sums, for the three splits."""
    ds = derived.digit_sums(n_train, n_test, n_val=n_val)
    x = {s: (ds[f"x_{s}"] / 255.0).astype("float32")[..., None] for s in SPLITS}
    y = {s: ds[f"y_{s}"].astype("float32") for s in SPLITS}
    return x, y


print("load(n_train, n_val, n_test): images and sums of the three splits")

# %%
data_spec = {"n_train": B.n_train, "n_val": B.n_val, "n_test": B.n_test}
x, y = load(**data_spec)
print({s: x[s].shape for s in x})
tune_y = y["train"][: B.tune_train]
tune_truth = y["val"][: B.tune_val]
held_truth = y["val"][B.tune_val:]  # the validation images the searches do not see
# the constant predictor: always the mean training sum (of the images a model trains on)
tune_const = float(tune_y.mean())
const = float(y["train"].mean())
tune_const_mse = float(np.mean((tune_truth - tune_const) ** 2))
const_mse = {"held-out val": float(np.mean((held_truth - const) ** 2)),
             "test": float(np.mean((y["test"] - const) ** 2))}
glue("tune_const_mse", tune_const_mse, ".2f")
glue("tune_train", B.tune_train, ",d")
glue("tune_val", B.tune_val, ",d")

# %% [markdown]
# For scale: the constant predictor that always answers the mean sum of the searches'
# {glue}`tune_train` training images has a validation MSE of {glue}`tune_const_mse` on
# their {glue}`tune_val` validation images. Every score below stands beside it.
#
# ## The candidates
#
# Hyperband's random draws depend on its seed and the space only, never on a score (a
# promoted model reuses a drawn model's hyperparameters), so the candidates are known
# before a search runs (`shared.tuning.hyperband_draws` asks a fresh oracle for them),
# and both searches draw the same ones. Their cost is counted in the convolutions'
# multiply-adds per image (the convolutions only: the attention and dense layers are
# not counted), relative
# to the report's model, and set beside the space's: 2,000 draws, each hyperparameter
# uniform over its values.

# %%
REPORT_HP = {"filters_1": 128, "kernel_1": 5, "filters_2": 64, "kernel_2": 3,
             "filters_3": 256, "kernel_3": 5, "filters_4": 128, "kernel_4": 3,
             "filters_5": 192, "kernel_5": 3, "num_heads": 8, "key_dim": 64,
             "dense_units": 192, "dropout": 0.3, "learning_rate": 0.0010331041248433069}
SIDES = [(40, 168), (20, 84), (10, 42), (5, 21), (2, 10)]  # each block's input map


def macs(hp):
    channels, total = 1, 0
    for i, (height, width) in enumerate(SIDES, 1):
        filters, kernel = hp[f"filters_{i}"], hp[f"kernel_{i}"]
        total += height * width * channels * kernel**2 * filters
        channels = filters
    return total


draws = hyperband_draws(hypermodel, n_draws, B.tuner_seed)
ratios = np.array([macs(d) / macs(REPORT_HP) for d in draws])
number = pd.RangeIndex(1, len(draws) + 1, name="candidate")
convs = pd.DataFrame([{**{f"f{i}": d[f"filters_{i}"] for i in range(1, 6)},
                       **{f"k{i}": d[f"kernel_{i}"] for i in range(1, 6)}}
                      for d in draws], index=number)
convs["multiply-adds (relative)"] = ratios
display(table(convs, decimals={"multiply-adds (relative)": 2}))
head = pd.DataFrame([{k: d[k] for k in ("num_heads", "key_dim", "dense_units",
                                          "dropout", "learning_rate")} for d in draws],
                    index=number)
display(table(head, decimals={"dropout": 1, "learning_rate": 5}))
rng = np.random.default_rng(0)
FILTER_STEPS = np.arange(32, 513, 32)
space_draws = [{**{f"filters_{i}": rng.choice(FILTER_STEPS) for i in range(1, 6)},
                **{f"kernel_{i}": rng.choice([3, 5]) for i in range(1, 6)}}
               for _ in range(2000)]
space_ratios = np.array([macs(d) for d in space_draws]) / macs(REPORT_HP)
glue("report_macs", macs(REPORT_HP) / 1e6, ".0f")
glue("draws_ratio", ratios.mean(), ".1f")
glue("space_ratio", space_ratios.mean(), ".1f")

# %% [markdown]
# The first table gives each candidate's convolutions (f1 to f5: the five blocks'
# filters, k1 to k5: their kernel sizes) and cost, the second its attention, dense
# layer, dropout and learning rate. The report's model takes {glue}`report_macs` million
# multiply-adds per image; the
# space's models average {glue}`space_ratio` times that, and the candidates drawn here
# {glue}`draws_ratio` times.
#
# ## The searches and the tuned model: the trainers
#
# A search's trainer runs keras-tuner's Hyperband (through `shared.tuning.hyperband`,
# which adds a line per trial to the fill's log) in a fresh temporary folder, so that
# nothing of an earlier search is reused, and returns every trial: its candidate (its
# place among the draws above), bracket, round (from 1), the epoch it reached, its
# score (the lowest validation MSE of its epochs) and its time, and the predictions of
# the validation images by its best epoch's weights (keras-tuner keeps them), from
# which the page re-scores it and measures the sampling error of the winner's lead. The
# tuned model's trainer is the main notebook's training with the hyperparameters its
# spec names.

# %% tags=["train"]
HP_NAMES = ["filters_1", "kernel_1", "filters_2", "kernel_2", "filters_3", "kernel_3",
            "filters_4", "kernel_4", "filters_5", "kernel_5", "num_heads", "key_dim",
            "dense_units", "dropout", "learning_rate"]


def train_search(spec):
    """One Hyperband search in a fresh folder: every completed trial's record and its
    best epoch's predictions of the search's validation images."""
    x, y = load(spec["n_train"], spec["n_val"], spec["n_test"])
    n, m = spec["tune_train"], spec["tune_val"]
    build = functools.partial(build_model, bn_momentum=spec["bn_momentum"])
    plan = hyperband_schedule(spec["max_epochs"], spec["factor"], spec["iterations"])
    drawn = hyperband_draws(build, int(plan.loc[plan["round"] == 1, "models"].sum()),
                            spec["tuner_seed"])
    with tempfile.TemporaryDirectory(prefix="hyperband-") as folder:
        tuner = hyperband(build, objective="val_loss", max_epochs=spec["max_epochs"],
                          factor=spec["factor"], iterations=spec["iterations"],
                          seed=spec["tuner_seed"], directory=folder, project="search")
        set_seed(spec["seed"])
        start = time.perf_counter()
        tuner.search(x["train"][:n], y["train"][:n],
                     validation_data=(x["val"][:m], y["val"][:m]),
                     batch_size=spec["batch_size"], verbose=0)
        search_s = time.perf_counter() - start
        every = sorted(tuner.oracle.trials.values(), key=lambda t: int(t.trial_id))
        done = [t for t in every if t.status == "COMPLETED" and t.score is not None]
        preds = [tuner.load_model(t).predict(x["val"][:m], batch_size=256, verbose=0)
                 .ravel() for t in done]
        seconds = dict(tuner.trial_seconds)
        best_trial = int(tuner.oracle.get_best_trials(1)[0].trial_id)  # its pick
    values = [t.hyperparameters.values for t in done]
    candidate = [next((i + 1 for i, d in enumerate(drawn)
                       if all(v.get(k) == d[k] for k in d)), 0) for v in values]
    arrays = {
        "trial": np.array([int(t.trial_id) for t in done]),
        "candidate": np.array(candidate),
        "bracket": np.array([v["tuner/bracket"] for v in values]),
        "round": np.array([v["tuner/round"] + 1 for v in values]),  # from 1
        "epochs": np.array([v["tuner/epochs"] for v in values]),
        "initial_epoch": np.array([v["tuner/initial_epoch"] for v in values]),
        "score": np.array([t.score for t in done], dtype="float64"),
        "seconds": np.array([seconds.get(t.trial_id, np.nan) for t in done]),
        "val_pred": np.stack(preds).astype("float32"),
        **{f"hp_{k}": np.array([v[k] for v in values]) for k in HP_NAMES},
    }
    return {"metrics": {"search_s": search_s, "trials": len(done),
                        "best_trial": best_trial,
                        "trials_not_completed": len(every) - len(done)},
            "arrays": arrays}


def train_tuned(spec):
    """The tuned model: the spec's hyperparameters, early stopping on the validation
    images the searches did not use, best weights restored; its predictions."""
    x, y = load(spec["n_train"], spec["n_val"], spec["n_test"])
    held_out = (x["val"][spec["tune_val"]:], y["val"][spec["tune_val"]:])
    hp = kt.HyperParameters.from_config({"space": [], "values": spec["hp"]})
    set_seed(spec["seed"])
    model = build_model(hp, spec["bn_momentum"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=spec["patience"],
                                         restore_best_weights=True)
    r = fit(model, x["train"], y["train"], validation_data=held_out,
            epochs=spec["max_epochs"], batch_size=spec["batch_size"], callbacks=[stop],
            label="tuned")
    arrays = {"pred_val": model.predict(held_out[0], batch_size=256, verbose=0).ravel(),
              "pred_test": model.predict(x["test"], batch_size=256, verbose=0).ravel()}
    steps = r.epochs * math.ceil(len(y["train"]) / spec["batch_size"])
    return {"fit": r, "steps": steps,
            "metrics": {"epochs": r.epochs, "best_epoch": r.best_epoch(),
                        "best_val_mse": min(r.history["val_loss"]),
                        "parameters": model.count_params()},
            "arrays": {k: v.astype("float32") for k, v in arrays.items()}}


print("train_search(spec), train_tuned(spec): one run each, trained only when the "
      "store lacks it")

# %% [markdown]
# ## The runs
#
# The two searches are the first stage; the tuned model, which needs the first search's
# winner, the second. A fill trains what the store lacks, stage by stage; a publication
# loads every run and trains nothing.

# %% tags=["hide-output"]
search_specs = {
    f"hyperband-n{B.tune_train}+{B.tune_val}-max{B.max_epochs}-s{seed}": {
        **data_spec, "tune_train": B.tune_train, "tune_val": B.tune_val,
        "max_epochs": B.max_epochs, "factor": B.factor, "iterations": B.iterations,
        "tuner_seed": B.tuner_seed, "batch_size": B.batch_size,
        "bn_momentum": B.bn_momentum, "seed": seed,
        "keras_tuner": kt.__version__}  # the search's numbers depend on its version
    for seed in B.seeds}
searches = runs.get(search_specs, train_search, group="Hyperband search")

# %%
SEARCHES = list(search_specs)
spent = pd.DataFrame([
    {"run": n, "trained on": s.provenance["device"], "date (UTC)": s.provenance["date"],
     "trials": int(s.metrics["trials"]), "search (s)": s.metrics["search_s"],
     "wall (s)": s.provenance["wall_s"]} for n, s in searches.items()])
display(table(spent, index=False, decimals={"search (s)": 0, "wall (s)": 0}))
search_walls = [s.provenance["wall_s"] for s in searches.values()]
glue("search_device", " and ".join(sorted({s.provenance["device"]
                                            for s in searches.values()})))
glue("search_walls", " and ".join(format_duration(w) for w in search_walls))
glue("n_searches", len(searches), "d")

# %% [markdown]
# The searches took {glue}`search_walls` on {glue}`search_device` (each wall time
# counts the search and the re-scoring of its trials' checkpoints).
#
# ## The trials
#
# One row per trial of each search, best first within it: its candidate (the table
# above), bracket and round, the epoch it reached, its score (the lowest validation MSE
# of its epochs), the same weights' MSE predicted again, the constant predictor's beside
# it, and the reading: *learned* where the trial's squared error is below the constant
# predictor's by more than two standard errors of the paired difference, image by
# image, *not learned* otherwise (the main notebook's rule).

# %%
def beats(pred, truth, constant):
    """Whether predictions beat the constant predictor on these images: their squared
    error is lower by more than two standard errors of the paired difference."""
    d = (np.asarray(pred, "float64") - truth) ** 2 - (constant - truth) ** 2
    return bool(d.mean() + 2 * d.std(ddof=1) / math.sqrt(d.size) < 0)


def trials_of(name):
    """A search's trials as a table, one row each, best first."""
    a = searches[name].arrays
    t = pd.DataFrame({k: a[k] for k in ("trial", "candidate", "bracket", "round",
                                        "epochs", "score", "seconds")})
    t["re-scored"] = [float(np.mean((p - tune_truth) ** 2)) for p in a["val_pred"]]
    t["learned"] = [beats(p, tune_truth, tune_const) for p in a["val_pred"]]
    for k in HP_NAMES:
        t[k] = a[f"hp_{k}"]
    t["pred"] = list(a["val_pred"].astype("float64"))
    return t.sort_values("score", kind="stable").reset_index(drop=True)


trials = {n: trials_of(n) for n in SEARCHES}
rows = []
for n, t in trials.items():
    for _, r in t.iterrows():
        rows.append({"search": f"seed {searches[n].spec['seed']}", "trial": r["trial"],
                     "candidate": r["candidate"], "bracket": r["bracket"],
                     "round": r["round"], "epochs": r["epochs"],
                     "val MSE": r["score"], "re-scored": r["re-scored"],
                     "constant's MSE": tune_const_mse,
                     "reading": "learned" if r["learned"] else "not learned",
                     "took (s)": r["seconds"]})
display(table(pd.DataFrame(rows), index=False,
              decimals={"val MSE": 3, "re-scored": 3, "constant's MSE": 3,
                        "took (s)": 0}))
n_learned = {n: int(t["learned"].sum()) for n, t in trials.items()}
first = SEARCHES[0]
glue("learned_text", "; ".join(
    f"seed {searches[n].spec['seed']}: {n_learned[n]} of {len(t)} trials"
    for n, t in trials.items()))
glue("best_score_first", trials[first]["score"].iloc[0], ".2f")

# %% [markdown]
# Trials that beat the constant predictor: {glue}`learned_text`.
#
# ## Does the search pick by noise?
#
# The winner is the trial with the lowest score; its **lead** is how far the best
# other candidate (each candidate counted once, at its best trial: a promoted trial
# repeats its parent's hyperparameters) trails it. Two kinds of noise move a score
# without any change of hyperparameters, and both are measured here:
#
# - **training**: the same candidate, trained to the same epoch in the two searches,
#   from the two training seeds; the difference between two trials' scores varies from
#   seed to seed by about the root mean square of these repeated pairs' differences
#   (our choice, a cautious one: the root mean square keeps any shift that one seed
#   gives all its trials, which cancels in a lead within one search, and a promoted
#   trial goes on from its parent, so the pairs are not independent);
# - **the validation images**: the winner's and the runner-up's squared errors on the
#   same images, resampled (2,000 bootstrap draws), give the standard error of the lead
#   that another draw of {glue}`tune_val` validation images would bring.
#
# MSEs this far above their floor change by factors rather than by fixed amounts, so
# the lead and both noises are measured as natural logarithms of ratios (a lead of 0.69
# is a runner-up with twice the winner's MSE), and the two noises are added in
# quadrature. The rule, fixed before the runs: the search's pick stands out of the
# noise where the lead exceeds twice that noise, and it picks by noise otherwise (a
# lenient rule: the winner is the best of several candidates, which by itself widens
# its lead). Where no trial of the search beats the constant predictor, the reading is
# *not learned* whatever the lead: the search then ranks models that have not learned
# the task.

# %%
def lead(name):
    """The winner's row (the search's own pick), the runner-up's (the best trial of
    another candidate, or None), and the lead in natural-log units."""
    t = trials[name]
    win = t[t["trial"] == int(searches[name].metrics["best_trial"])].iloc[0]
    others = t[t["candidate"] != win["candidate"]]
    if others.empty:
        return win, None, float("nan")
    runner = others.iloc[0]
    return win, runner, float(np.log(runner["score"] / win["score"]))


def boot_se(win, runner, draws=2000):
    """The bootstrap standard error of the lead (log ratio of the two MSEs) over the
    validation images."""
    sq_w, sq_r = (win["pred"] - tune_truth) ** 2, (runner["pred"] - tune_truth) ** 2
    m = len(tune_truth)
    idx = np.random.default_rng(0).integers(0, m, (draws, m))
    return float(np.std(np.log(sq_r[idx].mean(1) / sq_w[idx].mean(1)), ddof=1))


KEYS = ["candidate", "bracket", "round", "epochs"]
pairs = trials[SEARCHES[0]].merge(trials[SEARCHES[1]], on=KEYS, suffixes=(" 1", " 2"))
log_d = np.log(pairs["score 1"] / pairs["score 2"]).to_numpy()
train_noise = float(np.sqrt(np.mean(log_d**2))) if log_d.size else float("nan")
seed2_lower = int((log_d > 0).sum())
glue("seed_shift", f"seed {B.seeds[1]} scored lower in {seed2_lower} of {log_d.size} "
                   f"repeated trials (mean log(seed {B.seeds[0]} / seed {B.seeds[1]}) "
                   f"{log_d.mean() if log_d.size else float('nan'):+.2f})")
display(table(pairs[KEYS + ["score 1", "score 2"]].assign(
    **{f"log(seed {B.seeds[0]} / seed {B.seeds[1]})": log_d,
       "constant's val MSE": tune_const_mse}).rename(columns={
        "score 1": f"val MSE, seed {B.seeds[0]}",
        "score 2": f"val MSE, seed {B.seeds[1]}",
        "epochs": "epochs reached"}), index=False, decimals=3))

noise_rows, verdicts = [], {}
for n, t in trials.items():
    win, runner, lead_log = lead(n)
    val_noise = boot_se(win, runner) if runner is not None else float("nan")
    noise = float(np.sqrt(np.nansum([train_noise**2, val_noise**2])))
    learned_any = bool(t["learned"].any())
    if runner is None:
        verdict = "one candidate only: no lead"
    elif lead_log > 2 * noise:
        verdict = "stands out of the noise"
    else:
        verdict = "picks by noise"
    verdicts[n] = (verdict, learned_any)
    noise_rows.append({
        "search": f"seed {searches[n].spec['seed']}", "win": win, "runner": runner,
        "lead": lead_log, "val_noise": val_noise, "noise": noise,
        "ratio": lead_log / noise if noise else float("nan"),
        "reading": verdict if learned_any else f"not learned; {verdict}"})


def shown(value, fmt):
    """A number as text, blank where it is missing."""
    return "" if value is None or pd.isna(value) else format(value, fmt)


def who(row):
    """A trial as 'candidate: its val MSE'."""
    return "" if row is None else f"{int(row['candidate'])}: {row['score']:.3f}"


display(table(pd.DataFrame({r["search"]: {
    "winner (candidate: val MSE)": who(r["win"]),
    "runner-up (candidate: val MSE)": who(r["runner"]),
    "constant predictor's val MSE": f"{tune_const_mse:.3f}",
    "lead (log)": shown(r["lead"], ".3f"),
    "training noise (log)": shown(train_noise, ".3f"),
    "validation noise (log)": shown(r["val_noise"], ".3f"),
    "noise (log)": shown(r["noise"], ".3f"),
    "lead / noise": shown(r["ratio"], ".2f"), "reading": r["reading"]}
    for r in noise_rows}).rename_axis("quantity")))

# the sentences below follow these values, whichever way they fall
win1, runner1, lead1 = lead(first)
verdict1, learned1 = verdicts[first]
winners = [lead(n)[0]["candidate"] for n in SEARCHES]
same_winner = len(set(winners)) == 1
row1 = noise_rows[0]
if runner1 is None:
    noise_text = "the first search trained one candidate only, so there is no lead"
else:
    noise_text = (
        f"in the first search (seed {B.seeds[0]}) the winner, candidate "
        f"{win1['candidate']}, scored {win1['score']:.2f} and the runner-up, candidate "
        f"{runner1['candidate']}, {runner1['score']:.2f} (the constant predictor: "
        f"{tune_const_mse:.2f}): a lead of {lead1:.2f} in log "
        f"units (the runner-up's MSE {np.exp(lead1):.2f} times the winner's), against "
        f"a noise of {row1['noise']:.2f} ("
        + (f"training {train_noise:.2f}, from {log_d.size} repeated trials"
           if log_d.size else "training: no repeated trial to measure it")
        + f"; validation images {row1['val_noise']:.2f}): the lead is "
        f"{row1['ratio']:.2f} times the noise, so the search "
        + ("picks by noise" if verdict1 == "picks by noise"
           else "picks a winner that stands out of the noise"))
glue("noise_text", noise_text)
glue("winners_text",
     (f"both searches pick candidate {winners[0]}" if same_winner else
      "the two searches pick different winners ("
      + ", ".join(f"seed {searches[n].spec['seed']}: candidate {w}"
                  for n, w in zip(SEARCHES, winners, strict=True)) + ")"))
second_learned = verdicts[SEARCHES[1]][1]
if not learned1:
    headline = ("not learned: no trial of the first search beats the constant "
                "predictor, so the search ranks models that have not learned the task"
                + (", and there is no lead to weigh (one candidate)" if runner1 is None
                   else ", and its winner's lead is within the noise besides"
                   if verdict1 == "picks by noise" else
                   ", though its winner's lead stands out of the noise")
                + ("; the second search, from another training seed, has trials that "
                   "do beat it, so at this budget whether anything is learned depends "
                   "on the seed" if second_learned else ""))
elif verdict1 == "picks by noise":
    headline = "the search picks by noise: its winner's lead is within twice the noise"
elif runner1 is None:
    headline = "the search had one candidate only: it picked nothing"
else:
    headline = ("the search's pick stands out of the noise: its winner's lead is more "
                "than twice the noise")
glue("headline", headline)
print(f"{headline}; {noise_text}")

fig, ax = plt.subplots(figsize=(5, 4))
if len(pairs):
    ax.scatter(pairs["score 1"], pairs["score 2"], s=30)
    for _, p in pairs.iterrows():
        ax.annotate(f"{int(p['candidate'])}/r{int(p['round'])}",
                    (p["score 1"], p["score 2"]),
                    textcoords="offset points", xytext=(4, 2), fontsize="small")
    lims = [min(pairs[["score 1", "score 2"]].min().min(), tune_const_mse) * 0.8,
            max(pairs[["score 1", "score 2"]].max().max(), tune_const_mse) * 1.25]
    ax.plot(lims, lims, color="grey", lw=0.8)
    ax.axvline(tune_const_mse, color="grey", ls=":", lw=1.2)
    ax.axhline(tune_const_mse, color="grey", ls=":", lw=1.2)
    ax.annotate("constant predictor", (tune_const_mse, lims[1]), ha="left", va="top",
                fontsize="small", color="grey", xytext=(3, -3),
                textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lims)
    ax.set_ylim(lims)
ax.set_xlabel(f"validation MSE, seed {B.seeds[0]} (log scale)")
ax.set_ylabel(f"validation MSE, seed {B.seeds[1]} (log scale)")
ax.set_title("The same trial from two training seeds\n(labels: candidate/round)")
fig.tight_layout()

# %% [markdown]
# Off the diagonal, a trial scored differently from the two seeds ({glue}`seed_shift`);
# left of and below the dotted lines, it beat the constant predictor's MSE. In short:
# {glue}`headline`. In numbers: {glue}`noise_text`; {glue}`winners_text`.
#
# ## The best hyperparameters, beside the report's
#
# Each search's winner beside the report's best point. Shown without a verdict: one
# small search's winner is not an estimate of the report's.

# %%
best_hp = {n: {k: lead(n)[0][k] for k in HP_NAMES} for n in SEARCHES}
hp_table = pd.DataFrame({"report": {k: str(v) for k, v in REPORT_HP.items()},
                         **{f"seed {searches[n].spec['seed']}":
                            {k: str(best_hp[n][k]) for k in REPORT_HP}
                            for n in SEARCHES}})
first_hp = {k: (float(v) if k in ("dropout", "learning_rate") else int(v))
            for k, v in best_hp[first].items()}
hp_table[f"seed {B.seeds[0]} = report"] = [
    "yes" if np.isclose(float(first_hp[k]), float(v), rtol=1e-6) else ""
    for k, v in REPORT_HP.items()]  # numbers, not their text
display(table(hp_table.rename_axis("hyperparameter")))
glue("n_same", int((hp_table[f"seed {B.seeds[0]} = report"] == "yes").sum()), "d")
glue("n_hp", len(hp_table), "d")
glue("best_cost", macs(first_hp) / macs(REPORT_HP), ".1f")

# %% [markdown]
# The first search's winner shares {glue}`n_same` of its {glue}`n_hp` hyperparameters
# with the report's best and costs {glue}`best_cost` times its multiply-adds.
#
# ## The tuned model, trained like the report's
#
# A fresh model with the first search's best hyperparameters, trained on the profile's
# training images with early stopping (patience 5, best weights restored) on the
# validation images the searches did not use, for at most the profile's epochs, then
# scored on the test images as in the main notebook. It is the second stage: its spec
# holds the winner's hyperparameters, so a search that picks another winner makes it
# stale.

# %% tags=["hide-output"]
tuned_name = f"tuned-n{B.n_train}-e{B.final_epochs}-s{B.seeds[0]}"
tuned_spec = {**data_spec, "tune_val": B.tune_val, "hp": first_hp, "search": first,
              "max_epochs": B.final_epochs, "patience": B.patience,
              "batch_size": B.batch_size, "bn_momentum": B.bn_momentum,
              "seed": B.seeds[0]}
tuned = runs.get({tuned_name: tuned_spec}, train_tuned, group="tuned model")[tuned_name]

# %%
fig = plots.plot_history(tuned.fit_run("tuned model"), metrics=("loss", "mae"),
                         labels=["tuned model"], title="The tuned model")
fig.axes[0].axhline(const_mse["held-out val"], color="grey", ls=":", lw=1.2,
                    label="constant predictor (val)")
fig.axes[0].legend(fontsize="small")
pred = tuned.arrays["pred_test"].astype("float64")


def scores(pred):
    """The test scores of predictions ``pred`` of the test sums."""
    err = pred - y["test"]
    return {"test MSE": float(np.mean(err**2)), "test MAE": float(np.mean(np.abs(err))),
            "within 0.5 (= exact after rounding)": float(np.mean(np.abs(err) < 0.5)),
            "within 0.8": float(np.mean(np.abs(err) < 0.8)),
            "within 0.9": float(np.mean(np.abs(err) < 0.9))}


ours, constant = scores(pred), scores(np.full(len(y["test"]), const))
result = {"parameters": tuned.metrics["parameters"], "epochs": tuned.metrics["epochs"],
          "kept epoch": tuned.metrics["best_epoch"],
          "best val MSE": tuned.metrics["best_val_mse"],
          "constant's val MSE": const_mse["held-out val"],
          **ours}
tuned_learned = {"val": beats(tuned.arrays["pred_val"], held_truth, const),
                 "test": beats(pred, y["test"], const)}
shares = ["within 0.5 (= exact after rounding)", "within 0.8", "within 0.9"]
counts = ["parameters", "epochs", "kept epoch"]


def shown_value(k, v):
    return f"{int(v):,}" if k in counts else f"{v:.2%}" if k in shares else f"{v:.3f}"


display(table(pd.DataFrame({
    "tuned model": {**{k: shown_value(k, v) for k, v in result.items()},
                    "reading (test)": ("learned" if tuned_learned["test"]
                                       else "not learned")},
    "constant predictor": {**{k: shown_value(k, constant[k]) for k in constant},
                           "best val MSE": f"{const_mse['held-out val']:.3f}"},
}).rename_axis("quantity")))
glue("tuned_val_mse", result["best val MSE"], ".2f")
glue("tuned_mse", result["test MSE"], ".2f")
glue("const_val_mse", const_mse["held-out val"], ".2f")
glue("const_test_mse", const_mse["test"], ".2f")
glue("tuned_exact", result["within 0.5 (= exact after rounding)"], ".2%")
glue("const_exact", constant["within 0.5 (= exact after rounding)"], ".2%")
glue("es_note", "" if B.patience < B.final_epochs else
     f" With patience {B.patience} and at most {B.final_epochs} epochs, early stopping "
     f"cannot end the run at this profile: only its restoring of the best epoch acts "
     f"(the kept epoch: {int(result['kept epoch'])} of {int(result['epochs'])}).")
glue("tuned_params", f"{int(result['parameters']):,}")
glue("tuned_epochs", int(result["epochs"]), "d")
glue("tuned_learned", "learned" if tuned_learned["test"] else "not learned")
glue("tuned_wall", format_duration(tuned.provenance["wall_s"]))
glue("tuned_device", tuned.provenance["device"])

# %% [markdown]
# The tuned model's run took {glue}`tuned_wall` on {glue}`tuned_device`.{glue}`es_note`
#
# ## Reported versus reproduced
#
# The report, on its losses "during tuning and final training": "Over the course of
# 16+ epochs, training and validation loss both settle to values around 2.5–3.0,
# sometimes dipping to below 2.0." The main notebook is the one page that may judge
# these words, against its own run of the report's model: the lowest validation MSE
# (the epoch that early stopping keeps) against "sometimes dipping to below 2.0", and
# the kept epoch's training MSE against "settle to values around 2.5–3.0" (at the `cpu`
# profile it too shows them without a verdict: one seed of that model, no run-to-run
# spread). Here the one measurement that corresponds, the tuned model's lowest
# validation MSE on the images the searches did not use, stands beside the words it
# would be read against, without a verdict and not counted on the scoreboard: it comes
# from another search and another training budget. Its difference is taken from the
# bound, 2.0.

# %%
comparison = run.compare([
    Comparison("tuned model: validation MSE, kept epoch = its lowest", 2.0,
               result["best val MSE"], kind="number", decimals=3,
               reported_text="sometimes dipping to below 2.0",
               unjudged=f"the constant predictor's: {const_mse['held-out val']:.3f}; "
               f"the main notebook's to judge; here the winner of a search of "
               f"{len(trials[first])} trials (max_epochs {B.max_epochs} on "
               f"{B.tune_train:,} images, against the report's 20 on data of a size it "
               f"does not state), trained {int(result['epochs'])} epochs on "
               f"{B.n_train:,} images")],
    glue_counts=True)

# %% [markdown]
# ## What it shows
#
# At this budget: {glue}`headline`. The first search's best trial scored
# {glue}`best_score_first` against the constant predictor's {glue}`tune_const_mse`
# (trials that beat it: {glue}`learned_text`); {glue}`noise_text`; {glue}`winners_text`.
# Trained for {glue}`tuned_epochs` epochs, the tuned model ({glue}`tuned_params`
# parameters) reaches a lowest validation MSE of {glue}`tuned_val_mse` (the constant
# predictor's: {glue}`const_val_mse`) and a test MSE of {glue}`tuned_mse` (the
# constant's: {glue}`const_test_mse`; {glue}`tuned_learned`, from one seed), and gets
# {glue}`tuned_exact` of the test sums exactly right after rounding (the constant
# predictor: {glue}`const_exact`). The report's search "took over 21–22 hours" with
# `max_epochs` 20; these readings hold for this budget only. The attention companion
# (`31_digit_sums_attention`) trains the report's hyperparameters on the same training
# and test images over three seeds.

# %%
run.finish()

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```

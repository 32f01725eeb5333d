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
# # CIFAR-10: the Hyperband search, re-run
#
# A companion to {doc}`41_cifar_attention`. The report {cite}`report004` chose its
# model's filters, kernels, pooling sizes and dense width with keras-tuner's Hyperband
# {cite}`li2018hyperband`: "The hyperparameters chosen for this model were all
# determined through the Keras Hyperband Tuner, a hyperparameter optimization tool."
# We run the same kind of search over the same ranges with a smaller budget, stated
# below, and ask what a search that small can choose: it is run twice, with the same
# candidates and two training seeds, so that the winner's lead can be set beside how
# much one candidate's score moves when only the seed changes, and beside the sampling
# error of its validation images. Then the best hyperparameters stand beside the
# report's, and the best model is trained as the main notebook trains the report's.
#
# ```{glue} provenance
# ```
#
# ```{admonition} Run this chapter yourself
# :class: tip
# Download {download}`the source (.py) <41_cifar_tuning.py>` or
# {download}`the notebook (.ipynb) <41_cifar_tuning.ipynb>`. In a clone of the book's
# repository, `pip install -e .`; then
# `python -m shared.publish book/chapters/41_cifar_tuning.py --fill --for 1h` trains
# whatever runs of the `cpu` budget below the run store lacks (the searches first, then
# the best model, which needs the first search's winner), and
# `python -m shared.publish book/chapters/41_cifar_tuning.py` then executes the page
# with every run loaded from the store (`--profile full` for the full budget, a GPU's
# work). Adding `--profile smoke --out try.ipynb` runs a small version in a temporary
# store.
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
run = start_run("41_cifar_tuning")
runs = store.open("41_cifar_tuning")
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
print(f"device: {run.provenance.device}")

# %% [markdown]
# ## Budgets
#
# The report's search, as its listing (Figure 3.2) prints it (the last call wrapped
# here to fit the page):
#
# ```python
# tuner = kt.Hyperband(builder, objective='val_accuracy', max_epochs = 30, factor=3)
#
# stop_early = keras.callbacks.EarlyStopping(monitor='val_loss', patience=5)
# model.summary()
# tuner.search(input_X_train, output_Y_train, validation_split=.2,
#              callbacks=[stop_early])
# ```
#
# A fifth of `input_X_train` validates the candidates, but the report does not say how
# many images `input_X_train` holds: it states the size of its final training only
# ("The model was trained for 45 epochs on 50000 training examples, with 10000 of these
# set aside for validation, and was tested on 10000 examples"). **Every size of our
# searches is ours.** At the full profile, smaller than the report's so that each search
# is one stored run that a GPU can train: `max_epochs` 9 (the report's 30 is not kept),
# factor 3, one Hyperband iteration, each candidate trained on 10,000 training images
# and validated on 2,000; the best model is then trained for the report's 45 epochs on
# the 40,000 training images the report's 50,000 leave after the 10,000 it set aside
# (the listing's `N_EPOCH = 40` is never used in it; the report's prose says 45). The
# smoke profile runs the same code with `max_epochs` 2 on a few dozen images.
#
# **Two searches.** The tuner's seed (1) fixes which hyperparameters it draws; the
# training seed sets the initial weights, the dropout masks and the order of the
# batches. Each search is run from two training seeds with the same tuner seed, so the
# two draw the same candidates and differ only in training: the second search is ours,
# to measure how far one candidate's score moves from seed to seed. Each search is one
# stored run of the book's run store (its trainer runs the tuner in a fresh temporary
# folder and keeps every trial's hyperparameters, bracket, round, score and time, and
# its best checkpoint's predictions of the validation images). The best model, trained
# from the first search's winner, is a stored run of a later stage: it is trained only
# once that search is stored, and its spec holds the winner's hyperparameters.
#
# **What two CPU cores can run.** The `cpu` profile keeps the space, Hyperband with the
# report's factor 3 and the objective, with `max_epochs` 3 on 500 training and 500
# validation images (the first of the profile's training and validation images: random,
# since the split is drawn at random, but not themselves stratified); the early stopping
# (patience 5) is kept but cannot act within 3 epochs, nor much within the full
# profile's 9. It then trains the best model on the main notebook's `cpu` training
# images (5,000; validated on the 500 validation images the searches did not use) for
# the main notebook's 8 epochs, from one training seed (seed 1), and tests it on 2,000
# of the 10,000 test images (ours: the main notebook tests on all 10,000; the stored
# runs' specs hold the 2,000, so testing on all would train the three runs again). Batch
# normalisation uses momentum 0.9 (the main notebook's `cpu` choice). What each run took
# is measured under "The runs" below.

# %%
B = budget(
    full=dict(tune_train=10_000, tune_val=2_000, max_epochs=9, factor=3, iterations=1,
              tuner_seed=1, seeds=[1, 2], patience=5, n_train=40_000, n_val=10_000,
              n_test=10_000, final_epochs=45, batch_size=32, bn_momentum=0.99),
    cpu=dict(tune_train=500, tune_val=500, max_epochs=3, n_train=5_000, n_val=1_000,
             n_test=2_000, final_epochs=8, bn_momentum=0.9),
    why=dict(tune_train="two cores: two searches over a space whose models average "
                        "several times the report model's multiply-adds (counted "
                        "below)",
             tune_val="two cores (every trial is validated every epoch)",
             max_epochs="two cores: the schedule below, against the report's 30",
             n_train="two cores: the main notebook's cpu images",
             n_val="two cores: the main notebook's cpu images",
             n_test="ours: 2,000 of the 10,000 test images (the main notebook tests "
                    "on all); kept so that the stored runs stand",
             final_epochs="two cores: the main notebook's cpu epochs",
             bn_momentum="16 to 157 steps an epoch are too few for Keras' 0.99 (the "
                         "main notebook's cpu choice)"),
    smoke=dict(tune_train=32, tune_val=32, max_epochs=2, factor=3, iterations=1,
               tuner_seed=1, seeds=[1, 2], patience=5, n_train=64, n_val=48, n_test=64,
               final_epochs=1, batch_size=32, bn_momentum=0.9),
)
display(B.table())
if B.tune_val >= B.n_val or B.tune_train > B.n_train:
    raise ValueError(f"tune_val ({B.tune_val}) must leave validation images for the "
                     f"final training (n_val {B.n_val}), and tune_train "
                     f"({B.tune_train}) be at most n_train ({B.n_train})")

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
glue("n_epochs", int(schedule["epochs trained"].sum()), "d")

# %% [markdown]
# Each search trains {glue}`n_models` models ({glue}`n_draws` drawn at random, the rest
# promoted from an earlier round) for {glue}`n_epochs` epochs in all.
#
# ## Data
#
# The main notebook's split (`shared.derived.cifar10_splits`, stratified by class,
# seed 0), one-hot labels for the categorical cross-entropy; the searches use the first
# training and validation images.

# %% tags=["train"]
@functools.cache
def load(n_train, n_val, n_test, split_seed):
    """The CIFAR-10 split (images in [0, 1]) and its one-hot labels."""
    cifar = derived.cifar10_splits(n_train, n_val, n_test=n_test, seed=split_seed)
    hot = {s: keras.utils.to_categorical(cifar[f"y_{s}"], 10)
           for s in ("train", "val", "test")}
    return cifar, hot


print("load(n_train, n_val, n_test, split_seed): the split and its one-hot labels")

# %%
data_spec = {"n_train": B.n_train, "n_val": B.n_val, "n_test": B.n_test,
             "split_seed": 0}
cifar, _ = load(**data_spec)
print(f"train {cifar['x_train'].shape}, validation {cifar['x_val'].shape}, "
      f"test {cifar['x_test'].shape}")
tune_truth = cifar["y_val"][: B.tune_val]
y_test = cifar["y_test"]
# the trivial predictor: always the most frequent class of the images it is scored on
chance = float(np.bincount(tune_truth, minlength=10).max() / len(tune_truth))
chance_se = math.sqrt(chance * (1 - chance) / len(tune_truth))
test_chance = float(np.bincount(y_test, minlength=10).max() / len(y_test))
test_chance_se = math.sqrt(test_chance * (1 - test_chance) / len(y_test))
glue("chance", chance, ".1%")
glue("tune_val", B.tune_val, ",d")

# %% [markdown]
# For scale: always answering the most frequent class of the searches'
# {glue}`tune_val` validation images scores {glue}`chance` on them. Every score below
# stands beside it.
#
# ## The search space
#
# The report's listing (its Figure 3.2): block 1 of two convolutions (kernels `ks1`,
# `ks2`), batch normalisation, max pooling of size `ps1` and dropout 0.1; an attention
# layer; block 2 with `f2` filters (kernels `ks3`, `ks4`, pooling `ps2`) and dropout
# 0.25; a dense layer of `hpu` units, dropout 0.5, softmax.
#
# ```{admonition} Erratum: the listing cannot run as printed
# :class: warning
# The listing calls the attention on `p2` before `p2` is assigned, which raises an error
# in a fresh session (in a notebook where an earlier cell left a `p2` behind, it attends
# to that stale tensor, whose output is never used), and it calls `model.summary()` at
# the top level, where no `model` exists (the builder's is local). It also declares `f1`
# without using it. So the printed listing cannot be the search that produced Figure
# 3.1; the rates of its dropouts also differ from the report's prose, which puts dropout
# 0.25 after block 1 (see the main notebook's erratum on the dropouts).
# ```
#
# Three of our choices follow:
#
# - it declares `f1` (16 to 512) but builds block 1 with 64 filters, so `f1` is never
#   used; **we use `f1`** for block 1's filters, as it was evidently meant, so our space
#   has one dimension that the listing's models did not;
# - its attention is misplaced and unused (block 2 reads the dropout after block 1);
#   **we put the attention after block 1**, where the report's Figure 3.1 has it;
# - **we drop the listing's dropout 0.1 after block 1**, which Figure 3.1 (the model
#   the search is said to have produced, and the main notebook's) does not have.
#
# The listing feeds the training images to the search unaugmented; **we do too**, and
# augment only the best model's final training, as the main notebook does. The ranges
# and steps are the listing's; AdamW with Keras' defaults as in the main notebook (the
# listing's `OPTIM` is not shown).

# %% tags=["train"]
def augmentation():
    return keras.Sequential([layers.RandomFlip("horizontal"),
                             layers.RandomRotation(0.05),
                             layers.RandomTranslation(0.1, 0.1),
                             layers.RandomZoom(0.1)], name="augment")


def builder(hp, bn_momentum, augment=False):
    inputs = keras.Input(shape=(32, 32, 3))
    h = augmentation()(inputs) if augment else inputs
    f1 = hp.Int("f1", 16, 512, step=16)
    h = layers.Conv2D(f1, hp.Int("ks1", 3, 5, step=2), padding="same",
                      activation="relu")(h)
    h = layers.Conv2D(f1, hp.Int("ks2", 3, 5, step=2), padding="same",
                      activation="relu")(h)
    h = layers.BatchNormalization(momentum=bn_momentum)(h)
    h = layers.MaxPooling2D(hp.Int("ps1", 2, 3))(h)
    h = layers.Attention()([h, h])
    f2 = hp.Int("f2", 16, 512, step=16)
    h = layers.Conv2D(f2, hp.Int("ks3", 3, 5, step=2), padding="same",
                      activation="relu")(h)
    h = layers.Conv2D(f2, hp.Int("ks4", 3, 5, step=2), padding="same",
                      activation="relu")(h)
    h = layers.BatchNormalization(momentum=bn_momentum)(h)
    h = layers.Dropout(0.25)(layers.MaxPooling2D(hp.Int("ps2", 2, 3))(h))
    h = layers.Dense(hp.Int("hpu", 32, 1024, step=32), activation="relu")(
        layers.Flatten()(h))
    out = layers.Dense(10, activation="softmax")(layers.Dropout(0.5)(h))
    model = keras.Model(inputs, out)
    model.compile(optimizer=keras.optimizers.AdamW(), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


print("builder(hp, bn_momentum, augment=False): one candidate of the space")

# %%
hypermodel = functools.partial(builder, bn_momentum=B.bn_momentum)
display(table(space_frame(hypermodel)))

# %% [markdown]
# ### The candidates, and what the space's models cost
#
# Hyperband's random draws depend on its seed and the space only, never on a score (a
# promoted model reuses a drawn model's hyperparameters), so the candidates are known
# before a search runs (`shared.tuning.hyperband_draws` asks a fresh oracle for them),
# and both searches draw the same ones. Their cost is counted in multiply-adds per
# image of the convolutions and the dense layers, relative to the report's model, and
# set beside the space's: 2,000 draws, each hyperparameter uniform over its values.

# %%
REPORT_HP = {"f1": 64, "ks1": 3, "ks2": 3, "ps1": 2, "f2": 256, "ks3": 5, "ks4": 5,
             "ps2": 3, "hpu": 512}


def macs(hp):
    side1 = 32 // hp["ps1"]
    side2 = side1 // hp["ps2"]
    return (32 * 32 * (3 * hp["ks1"] ** 2 * hp["f1"]
                       + hp["f1"] * hp["ks2"] ** 2 * hp["f1"])
            + side1 ** 2 * (hp["f1"] * hp["ks3"] ** 2 * hp["f2"]
                            + hp["f2"] * hp["ks4"] ** 2 * hp["f2"])
            + side2 ** 2 * hp["f2"] * hp["hpu"] + hp["hpu"] * 10)


draws = hyperband_draws(hypermodel, n_draws, B.tuner_seed)
candidates = pd.DataFrame([{k: d[k] for k in REPORT_HP} for d in draws],
                          index=pd.RangeIndex(1, len(draws) + 1, name="candidate"))
candidates["multiply-adds (relative)"] = [macs(d) / macs(REPORT_HP) for d in draws]
display(table(candidates, decimals={"multiply-adds (relative)": 2}))
rng = np.random.default_rng(0)
space_draws = [{"f1": rng.choice(np.arange(16, 513, 16)), "ks1": rng.choice([3, 5]),
                "ks2": rng.choice([3, 5]), "ps1": rng.choice([2, 3]),
                "f2": rng.choice(np.arange(16, 513, 16)), "ks3": rng.choice([3, 5]),
                "ks4": rng.choice([3, 5]), "ps2": rng.choice([2, 3]),
                "hpu": rng.choice(np.arange(32, 1025, 32))} for _ in range(2000)]
ratio = np.array([macs(d) for d in space_draws]) / macs(REPORT_HP)
cost = pd.Series({"report's model (million multiply-adds)": macs(REPORT_HP) / 1e6,
                  "space: mean, relative to the report's": ratio.mean(),
                  "space: median": np.median(ratio), "space: 90th percentile":
                  np.quantile(ratio, 0.9), "space: largest drawn": ratio.max()})
display(table(cost.to_frame("value").rename_axis("multiply-adds per image"),
              decimals=2))
glue("space_ratio", ratio.mean(), ".1f")
glue("draws_ratio", candidates["multiply-adds (relative)"].mean(), ".1f")

# %% [markdown]
# The space's models cost on average {glue}`space_ratio` times the report's
# multiply-adds, the candidates drawn here {glue}`draws_ratio` times.
#
# ## The searches and the best model: the trainers
#
# A search's trainer runs keras-tuner's Hyperband (through `shared.tuning.hyperband`,
# which adds a line per trial to the fill's log) in a fresh temporary folder, so that
# nothing of an earlier search is reused, and returns every trial: its candidate (its
# place among the draws above), bracket, round (from 1), the epoch it reached, its
# score (the best validation accuracy of its epochs) and its time, and the classes its
# best epoch's weights (keras-tuner keeps them) predict for the validation images, from
# which the page re-scores it and measures the sampling error of the winner's lead. The
# best model's trainer is the main notebook's training, with its augmentation, for the
# hyperparameters its spec names.

# %% tags=["train"]
HP_NAMES = list(REPORT_HP)


def train_search(spec):
    """One Hyperband search in a fresh folder: every completed trial's record and the
    classes its best epoch predicts for the search's validation images."""
    cifar, hot = load(spec["n_train"], spec["n_val"], spec["n_test"],
                      spec["split_seed"])
    n, m = spec["tune_train"], spec["tune_val"]
    build = functools.partial(builder, bn_momentum=spec["bn_momentum"])
    plan = hyperband_schedule(spec["max_epochs"], spec["factor"], spec["iterations"])
    drawn = hyperband_draws(build, int(plan.loc[plan["round"] == 1, "models"].sum()),
                            spec["tuner_seed"])
    with tempfile.TemporaryDirectory(prefix="hyperband-") as folder:
        tuner = hyperband(build, objective="val_accuracy",
                          max_epochs=spec["max_epochs"], factor=spec["factor"],
                          iterations=spec["iterations"], seed=spec["tuner_seed"],
                          directory=folder, project="search")
        set_seed(spec["seed"])
        start = time.perf_counter()
        tuner.search(cifar["x_train"][:n], hot["train"][:n],
                     validation_data=(cifar["x_val"][:m], hot["val"][:m]),
                     batch_size=spec["batch_size"], verbose=0,
                     callbacks=[keras.callbacks.EarlyStopping(
                         monitor="val_loss", patience=spec["patience"])])
        search_s = time.perf_counter() - start
        every = sorted(tuner.oracle.trials.values(), key=lambda t: int(t.trial_id))
        done = [t for t in every if t.status == "COMPLETED" and t.score is not None]
        preds = [tuner.load_model(t).predict(cifar["x_val"][:m], batch_size=512,
                                             verbose=0).argmax(axis=1) for t in done]
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
        "val_class": np.stack(preds).astype("int8"),
        **{f"hp_{k}": np.array([v[k] for v in values]) for k in HP_NAMES},
    }
    return {"metrics": {"search_s": search_s, "trials": len(done),
                        "best_trial": best_trial,
                        "trials_not_completed": len(every) - len(done)},
            "arrays": arrays}


def train_tuned(spec):
    """The best model: the spec's hyperparameters, with the augmentation, validated on
    the validation images the searches did not use; its test outputs."""
    cifar, hot = load(spec["n_train"], spec["n_val"], spec["n_test"],
                      spec["split_seed"])
    held_out = (cifar["x_val"][spec["tune_val"]:], hot["val"][spec["tune_val"]:])
    hp = kt.HyperParameters.from_config({"space": [], "values": spec["hp"]})
    set_seed(spec["seed"])
    model = builder(hp, spec["bn_momentum"], augment=True)
    r = fit(model, cifar["x_train"], hot["train"], validation_data=held_out,
            epochs=spec["epochs"], batch_size=spec["batch_size"], label="tuned")
    loss, acc = model.evaluate(cifar["x_test"], hot["test"], batch_size=512, verbose=0)
    probs = model.predict(cifar["x_test"], batch_size=512, verbose=0)
    return {"fit": r,
            "steps": spec["epochs"] * math.ceil(len(hot["train"]) / spec["batch_size"]),
            "metrics": {"test_loss": float(loss), "test_accuracy": float(acc),
                        "parameters": model.count_params()},
            "arrays": {"probs": probs.astype("float32")}}


print("train_search(spec), train_tuned(spec): one run each, trained only when the "
      "store lacks it")

# %% [markdown]
# ## The runs
#
# The two searches are the first stage; the best model, which needs the first search's
# winner, the second. A fill trains what the store lacks, stage by stage; a publication
# loads every run and trains nothing.

# %% tags=["hide-output"]
search_specs = {
    f"hyperband-n{B.tune_train}+{B.tune_val}-max{B.max_epochs}-s{seed}": {
        **data_spec, "tune_train": B.tune_train, "tune_val": B.tune_val,
        "max_epochs": B.max_epochs, "factor": B.factor, "iterations": B.iterations,
        "tuner_seed": B.tuner_seed, "patience": B.patience, "batch_size": B.batch_size,
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
glue("search_device", " and ".join(sorted({s.provenance["device"]
                                            for s in searches.values()})))
glue("search_walls", " and ".join(format_duration(s.provenance["wall_s"])
                                  for s in searches.values()))

# %% [markdown]
# The searches took {glue}`search_walls` on {glue}`search_device` (each wall time
# counts the search and the re-scoring of its trials' checkpoints).
#
# ## The trials
#
# One row per trial of each search, best first within it: its candidate (the table
# above), bracket and round, the epoch it reached, its score (the best validation
# accuracy of its epochs), the same weights' accuracy predicted again, the most
# frequent class's share beside it, and the reading: *learned* where the trial's
# accuracy is above that share by more than two binomial standard errors of the share
# on these images, *not learned* otherwise.

# %%
def trials_of(name):
    """A search's trials as a table, one row each, best first."""
    a = searches[name].arrays
    t = pd.DataFrame({k: a[k] for k in ("trial", "candidate", "bracket", "round",
                                        "epochs", "score", "seconds")})
    t["right"] = list((a["val_class"] == tune_truth).astype("float64"))
    t["re-scored"] = [float(r.mean()) for r in t["right"]]
    t["learned"] = t["re-scored"] > chance + 2 * chance_se
    for k in HP_NAMES:
        t[k] = a[f"hp_{k}"]
    return t.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


trials = {n: trials_of(n) for n in SEARCHES}
rows = []
for n, t in trials.items():
    for _, r in t.iterrows():
        rows.append({"search": f"seed {searches[n].spec['seed']}", "trial": r["trial"],
                     "candidate": r["candidate"], "bracket": r["bracket"],
                     "round": r["round"], "epochs reached": r["epochs"],
                     "val accuracy": r["score"], "re-scored": r["re-scored"],
                     "most frequent class": chance,
                     "reading": "learned" if r["learned"] else "not learned",
                     "took (s)": r["seconds"]})
display(table(pd.DataFrame(rows), index=False,
              percent=["val accuracy", "re-scored", "most frequent class"],
              decimals={"took (s)": 0}))
first = SEARCHES[0]
glue("learned_text", "; ".join(
    f"seed {searches[n].spec['seed']}: {int(t['learned'].sum())} of {len(t)} trials"
    for n, t in trials.items()))
learned_bar = chance + 2 * chance_se
glue("learned_bar", learned_bar, ".1%")

# %% [markdown]
# Trials that beat the most frequent class (above {glue}`learned_bar`: its share, plus
# two binomial standard errors): {glue}`learned_text`.
#
# ## Does the search pick by noise?
#
# The winner is the trial with the best score; its **lead** is how far the best other
# candidate (each candidate counted once, at its best trial: a promoted trial repeats
# its parent's hyperparameters) trails it, in percentage points. Two kinds of noise move
# a score without any change of hyperparameters, and both are measured here:
#
# - **training**: the same candidate, trained to the same epoch in the two searches,
#   from the two training seeds; the difference between two trials' scores varies from
#   seed to seed by about the root mean square of these repeated pairs' differences
#   (our choice, a cautious one: the root mean square keeps any shift that one seed
#   gives all its trials, which cancels in a lead within one search);
# - **the validation images**: whether the winner and the runner-up classify each of
#   the same images right, resampled (2,000 bootstrap draws), gives the standard error
#   of the lead that another draw of {glue}`tune_val` validation images would bring
#   (the binomial standard error of one accuracy on these images is shown beside it).
#
# The two noises are added in quadrature. The rule, fixed before the runs: the search's
# pick stands out of the noise where the lead exceeds twice that noise, and it picks by
# noise otherwise (a lenient rule: the winner is the best of several candidates, which
# by itself widens its lead). Where no trial of the search beats the most frequent
# class, the reading is *not learned* whatever the lead.

# %%
def lead(name):
    """The winner's row (the search's own pick), the runner-up's (the best trial of
    another candidate, or None), and the lead (a difference of accuracies)."""
    t = trials[name]
    win = t[t["trial"] == int(searches[name].metrics["best_trial"])].iloc[0]
    others = t[t["candidate"] != win["candidate"]]
    if others.empty:
        return win, None, float("nan")
    runner = others.iloc[0]
    return win, runner, float(win["score"] - runner["score"])


def boot_se(win, runner, draws=2000):
    """The bootstrap standard error of the lead over the validation images."""
    d = win["right"] - runner["right"]
    idx = np.random.default_rng(0).integers(0, d.size, (draws, d.size))
    return float(np.std(d[idx].mean(1), ddof=1))


KEYS = ["candidate", "bracket", "round", "epochs"]
pairs = trials[SEARCHES[0]].merge(trials[SEARCHES[1]], on=KEYS, suffixes=(" 1", " 2"))
diff = (pairs["score 1"] - pairs["score 2"]).to_numpy()
train_noise = float(np.sqrt(np.mean(diff**2))) if diff.size else float("nan")
gap_col = f"seed {B.seeds[0]} − seed {B.seeds[1]} (pt)"
display(table(pairs[KEYS + ["score 1", "score 2"]].assign(
    **{gap_col: 100 * diff, "most frequent class": chance,
       "readings": [" / ".join("learned" if v else "not learned" for v in lv)
                    for lv in zip(pairs["learned 1"], pairs["learned 2"],
                                  strict=True)]}).rename(columns={
        "score 1": f"val accuracy, seed {B.seeds[0]}",
        "score 2": f"val accuracy, seed {B.seeds[1]}",
        "epochs": "epochs reached"}), index=False,
    percent=[f"val accuracy, seed {B.seeds[0]}", f"val accuracy, seed {B.seeds[1]}",
             "most frequent class"],
    decimals={gap_col: 2}))
glue("seed_shift",
     f"seed {B.seeds[0]} scored higher in {int((diff > 0).sum())} of {diff.size} "
     f"repeated trials, by {100 * diff.mean():+.2f} points on average"
     if diff.size else "no trial was repeated")

noise_rows, verdicts = [], {}
for n, t in trials.items():
    win, runner, lead_acc = lead(n)
    val_noise = boot_se(win, runner) if runner is not None else float("nan")
    noise = float(np.sqrt(np.nansum([train_noise**2, val_noise**2])))
    learned_any = bool(t["learned"].any())
    if runner is None:
        verdict = "one candidate only: no lead"
    elif lead_acc > 2 * noise:
        verdict = "stands out of the noise"
    else:
        verdict = "picks by noise"
    verdicts[n] = (verdict, learned_any)
    noise_rows.append({
        "search": f"seed {searches[n].spec['seed']}", "win": win, "runner": runner,
        "lead": 100 * lead_acc, "val_noise": 100 * val_noise, "noise": 100 * noise,
        "binomial": 100 * math.sqrt(win["score"] * (1 - win["score"]) / B.tune_val),
        "ratio": lead_acc / noise if noise else float("nan"),
        "reading": verdict if learned_any else f"not learned; {verdict}"})


def shown(value, fmt):
    """A number as text, blank where it is missing."""
    return "" if value is None or pd.isna(value) else format(value, fmt)


def who(row):
    """A trial as 'candidate: its val accuracy'."""
    return "" if row is None else f"{int(row['candidate'])}: {row['score']:.2%}"


display(table(pd.DataFrame({r["search"]: {
    "winner (candidate: val accuracy)": who(r["win"]),
    "runner-up (candidate: val accuracy)": who(r["runner"]),
    "most frequent class": f"{chance:.2%}",
    "lead (pt)": shown(r["lead"], ".2f"),
    "training noise (pt)": shown(100 * train_noise, ".2f"),
    "validation noise (pt)": shown(r["val_noise"], ".2f"),
    "noise (pt)": shown(r["noise"], ".2f"),
    "binomial SE of one score (pt)": shown(r["binomial"], ".2f"),
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
        f"{win1['candidate']}, scored {win1['score']:.2%} and the runner-up, candidate "
        f"{runner1['candidate']}, {runner1['score']:.2%}: a lead of "
        f"{row1['lead']:.2f} points against a noise of {row1['noise']:.2f} ("
        + (f"training {100 * train_noise:.2f}, from {diff.size} repeated "
           "trials" if diff.size else "training: no repeated trial to measure it")
        + f"; validation images {row1['val_noise']:.2f}; the binomial "
        f"standard error of one score is {row1['binomial']:.2f}): "
        f"the lead is {row1['ratio']:.2f} times the noise, so the search "
        + ("picks by noise" if verdict1 == "picks by noise"
           else "picks a winner that stands out of the noise"))
glue("noise_text", noise_text)
if runner1 is not None and diff.size >= 2:
    centred = float(np.std(diff, ddof=1))
    alt = {"the training noise taken about the seeds' mean shift":
           float(np.hypot(centred, row1["val_noise"] / 100)),
           "the validation images' noise alone": row1["val_noise"] / 100}
    glue("how_close", "How the reading depends on the noise counted: with "
         + " and with ".join(f"{k}, twice the noise is {200 * v:.2f} points"
                             for k, v in alt.items())
         + f", against the lead of {row1['lead']:.2f}; "
         + ("the reading holds either way." if all(lead1 <= 2 * v for v in alt.values())
            or all(lead1 > 2 * v for v in alt.values()) else
            "so the reading rests on which noise is counted."))
else:
    glue("how_close", "")
glue("winners_text",
     (f"both searches pick candidate {winners[0]} (they score on the same validation "
      f"images, so their agreement weighs the training noise alone: the lead is "
      f"{row1['lead'] / (100 * train_noise):.1f} times it)"
      if same_winner and runner1 is not None and diff.size else
      f"both searches pick candidate {winners[0]}" if same_winner else
      "the two searches pick different winners ("
      + ", ".join(f"seed {searches[n].spec['seed']}: candidate {w}"
                  for n, w in zip(SEARCHES, winners, strict=True)) + ")"))
if not learned1:
    headline = ("not learned: no trial of the first search beats the most frequent "
                "class, so the search ranks models that have not learned the task, "
                + ("and its winner's lead is within the noise besides"
                   if verdict1 == "picks by noise" else
                   "though its winner's lead stands out of the noise"))
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
    s1, s2 = 100 * pairs["score 1"], 100 * pairs["score 2"]
    ax.scatter(s1, s2, s=30)
    for (_, p), a, b in zip(pairs.iterrows(), s1, s2, strict=True):
        ax.annotate(str(int(p["candidate"])), (a, b), textcoords="offset points",
                    xytext=(4, 2), fontsize="small")
    bar = 100 * learned_bar
    lims = [min(s1.min(), s2.min(), 100 * chance) - 3,
            max(s1.max(), s2.max(), bar) + 3]
    ax.plot(lims, lims, color="grey", lw=0.8)
    ax.axvline(bar, color="grey", ls=":", lw=1.2)
    ax.axhline(bar, color="grey", ls=":", lw=1.2)
    ax.annotate("learned (above this)", (bar, lims[1]), ha="left", va="top",
                fontsize="small", color="grey", xytext=(3, -3),
                textcoords="offset points")
    ax.set_xlim(lims)
    ax.set_ylim(lims)
ax.set_xlabel(f"validation accuracy (%), seed {B.seeds[0]}")
ax.set_ylabel(f"validation accuracy (%), seed {B.seeds[1]}")
ax.set_title("The same trial from two training seeds\n(labels: candidate)")
fig.tight_layout()

# %% [markdown]
# Off the diagonal, a trial scored differently from the two seeds ({glue}`seed_shift`);
# right of and above the dotted lines it beat the most frequent class (above
# {glue}`learned_bar`). In short: {glue}`headline`. In numbers: {glue}`noise_text`;
# {glue}`winners_text`. {glue}`how_close`
#
# ## The best hyperparameters, beside the report's
#
# The report's values are read off its Figure 3.1 (64 filters in block 1 because its
# listing never used `f1`; 3×3 kernels, pooling 2 and 3, 256 filters with 5×5 kernels,
# 512 dense units), beside each search's winner. Shown without a verdict: one small
# search's winner is not an estimate of the report's.

# %%
best_hp = {n: {k: int(lead(n)[0][k]) for k in HP_NAMES} for n in SEARCHES}
hp_table = pd.DataFrame({"report (Figure 3.1)": REPORT_HP,
                         **{f"seed {searches[n].spec['seed']}": best_hp[n]
                            for n in SEARCHES}})
display(table(hp_table.rename_axis("hyperparameter")))
first_hp = best_hp[first]
glue("best_cost", macs(first_hp) / macs(REPORT_HP), ".2f")

# %% [markdown]
# ## The best model, trained with the main notebook's recipe
#
# A fresh model with the first search's best hyperparameters, with the main notebook's
# augmentation, on the profile's training images, validated on the validation images
# the searches did not use, for the profile's epochs. It is the second stage: its spec
# holds the winner's hyperparameters, so a search that picks another winner makes it
# stale.

# %% tags=["hide-output"]
tuned_name = f"tuned-n{B.n_train}-e{B.final_epochs}-s{B.seeds[0]}"
tuned_spec = {**data_spec, "tune_val": B.tune_val, "hp": first_hp, "search": first,
              "epochs": B.final_epochs, "batch_size": B.batch_size,
              "bn_momentum": B.bn_momentum, "seed": B.seeds[0]}
tuned = runs.get({tuned_name: tuned_spec}, train_tuned, group="best model")[tuned_name]

# %%
plots.plot_history(tuned.fit_run("tuned model"), metrics=("loss", "accuracy"),
                   labels=["tuned model"], best=None, title="The tuned model");
probs = tuned.arrays["probs"]
acc = float((probs.argmax(axis=1) == y_test).mean())
tuned_learned = acc > test_chance + 2 * test_chance_se
result = pd.DataFrame([{
    "seed": B.seeds[0], "parameters": int(tuned.metrics["parameters"]),
    "epochs": B.final_epochs, "test images": len(y_test),
    "test loss": tuned.metrics["test_loss"], "test accuracy": acc,
    "most frequent class": test_chance,
    "reading": "learned" if tuned_learned else "not learned"}],
    index=pd.Index(["tuned model"]))
display(table(result, percent=["test accuracy", "most frequent class"],
              decimals={"test loss": 3}))
glue("tuned_acc", acc, ".2%")
glue("test_chance", test_chance, ".1%")
glue("n_test", f"{len(y_test):,}")
glue("tuned_learned", "learned" if tuned_learned else "not learned")
glue("tuned_params", f"{int(tuned.metrics['parameters']):,}")
glue("final_epochs", B.final_epochs, "d")
glue("tuned_wall", format_duration(tuned.provenance["wall_s"]))
glue("tuned_device", tuned.provenance["device"])

# %% [markdown]
# The best model's run took {glue}`tuned_wall` on {glue}`tuned_device`.
#
# ## Reported versus reproduced
#
# The report's tuned model reached 85.4% test accuracy ("Accuracy | .854", its Figure
# 4.1). Ours comes from a smaller search over a space that is not the listing's as
# printed (above), and is trained at this profile's budget: it is shown beside the
# report's number without a verdict, and not counted on the scoreboard (the main
# notebook judges the report's model).

# %%
comparison = run.compare([
    Comparison("tuned model: test accuracy", 0.854, acc, kind="percent",
               unjudged=f"the most frequent class: {test_chance:.1%}; tested on "
               f"{len(y_test):,} images, one seed; judged in the main notebook; here "
               f"the winner of a search of "
               f"{len(trials[first])} trials (max_epochs {B.max_epochs} on "
               f"{B.tune_train:,} images, against the report's 30 on a training set "
               f"whose size it does not state), trained {B.final_epochs} epochs on "
               f"{B.n_train:,} images")],
    glue_counts=True)

# %% [markdown]
# ## What it shows
#
# At this budget: {glue}`headline`. Trials that beat the most frequent class:
# {glue}`learned_text`; {glue}`noise_text`; {glue}`winners_text`. The first search's
# winner has {glue}`tuned_params` parameters ({glue}`best_cost` times the report
# model's multiply-adds); trained for {glue}`final_epochs` epochs with augmentation
# from one training seed, it reaches {glue}`tuned_acc` on {glue}`n_test` test images
# (the most frequent class: {glue}`test_chance`; {glue}`tuned_learned`), against the
# report's 85.4% after its 45.
# These readings hold for this budget only.

# %%
run.finish()

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```

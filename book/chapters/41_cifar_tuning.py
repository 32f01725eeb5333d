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
# {cite}`li2018hyperband` (objective validation accuracy, `max_epochs` 30, factor 3,
# early stopping with patience 5). We run the same kind of search over the same ranges
# with a smaller budget, stated below, set the best hyperparameters beside the report's,
# and train the best model as the main notebook trains the report's.
#
# ```{glue} provenance
# ```
#
# ```{admonition} Run this chapter yourself
# :class: tip
# Download {download}`the source (.py) <41_cifar_tuning.py>` or
# {download}`the notebook (.ipynb) <41_cifar_tuning.ipynb>`. In a clone of the book's
# repository, `pip install -e .`; then
# `python -m shared.publish book/chapters/41_cifar_tuning.py` runs it at the `cpu`
# budget below (about half an hour on two cores), `--profile full` at the full budget
# (a GPU's work), and adding `--profile smoke --out try.ipynb` runs a one-minute
# version. An interrupted search resumes where it stopped when the notebook is run
# again; README's "a search on several machines" spreads it over several.
# ```

# %% tags=["remove-stderr"]
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter

import logging
import time

import keras
import keras_tuner as kt
import numpy as np
import pandas as pd
from IPython.display import display
from keras import layers

from shared import budget, derived, plots
from shared.reporting import Comparison, glue, start_run, table
from shared.training import RunPlan, fit, set_seed, step_cost
from shared.tuning import (
    hyperband,
    hyperband_schedule,
    search_folder,
    space_frame,
    trials_frame,
)

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices
run = start_run("41_cifar_tuning")
T0 = time.perf_counter()  # the plans below count the time spent before them
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
print(f"device: {run.provenance.device}")

# %% [markdown]
# ## Budgets
#
# The report's search: `max_epochs` 30 on 40,000 images (its listing validates on a
# fifth of the training set, `validation_split=.2`). Ours, at the full profile:
# `max_epochs` 9, factor 3, one Hyperband iteration, each candidate trained on 10,000
# training images and validated on 2,000, so that the search fits one notebook; the
# best model is then trained for the report's 45 epochs on all 40,000 (the listing's
# `N_EPOCH = 40` is never used in it; the report's prose says 45). The smoke profile
# runs the same code with `max_epochs` 2 on a few hundred images.
#
# **What two CPU cores can run.** The report's own model costs about 17 to 21 ms per
# training image here (a step at batch 32 0.56 to 0.69 s; AMD EPYC, two cores,
# TensorFlow, 3 December 2026), and the space's models cost on average several times
# that (counted below). The `cpu` profile keeps the space, Hyperband with the report's
# factor 3 and the objective, with `max_epochs` 3 (the trials below) on 500 training
# and 500 validation images (the first of the profile's training and validation
# images: random, since the split is drawn at random, but not themselves stratified);
# the early stopping (patience 5) is kept but cannot act within 3 epochs, nor much
# within the full profile's 9. It then trains the best model on the main notebook's
# `cpu` images (5,000 training, 2,000 test; validated on the 500 validation images the
# search did not use) for as many epochs, at most 8 (the main notebook's), as fit in
# what the search left of the 30 minutes. A search this small ranks its candidates
# after one or three epochs on 500 images: the notebook sets the best model's lead
# beside the sampling error of 500 validation images. Batch normalisation uses momentum
# 0.9 (the main notebook's `cpu` choice).

# %%
B = budget(
    full=dict(tune_train=10_000, tune_val=2_000, max_epochs=9, factor=3, iterations=1,
              n_train=40_000, n_val=10_000, n_test=10_000, final_epochs=45,
              final_fits_time=False, batch_size=32, bn_momentum=0.99, probe_steps=6,
              seed=1),
    cpu=dict(tune_train=500, tune_val=500, max_epochs=3, n_train=5_000, n_val=1_000,
             n_test=2_000, final_epochs=8, final_fits_time=True, bn_momentum=0.9),
    why=dict(tune_train="30 minutes on two cores: the space's models average several "
                        "times the report model's 17 ms per training image here",
             tune_val="30 minutes on two cores (validating is about a third of the "
                      "cost of training an image)",
             max_epochs="30 minutes on two cores: 11 candidate-epochs in all",
             n_train="30 minutes on two cores: the main notebook's cpu images",
             n_val="30 minutes on two cores: the main notebook's cpu images",
             n_test="30 minutes on two cores: the main notebook's cpu images",
             final_epochs="30 minutes on two cores: the main notebook's cpu epochs, "
                          "as a cap",
             final_fits_time="what the search leaves of 30 minutes decides the final "
                             "epochs (at least one)",
             bn_momentum="16 to 157 steps an epoch are too few for Keras' 0.99 (the "
                         "main notebook's cpu choice)"),
    smoke=dict(tune_train=64, tune_val=32, max_epochs=2, factor=3, iterations=1,
               n_train=200, n_val=50, n_test=100, final_epochs=1, final_fits_time=False,
               batch_size=32, bn_momentum=0.9, probe_steps=2, seed=1),
)
display(B.table())
if B.tune_val >= B.n_val:
    raise ValueError(f"tune_val ({B.tune_val}) must leave validation images for the "
                     f"final training (n_val {B.n_val})")
schedule = hyperband_schedule(B.max_epochs, B.factor, B.iterations)
display(table(schedule.set_index(["iteration", "bracket", "round"])))
glue("n_models", int(schedule["models"].sum()), "d")
glue("n_epochs", int(schedule["epochs trained"].sum()), "d")

# %% [markdown]
# The search trains {glue}`n_models` models for {glue}`n_epochs` epochs in all.
#
# ## Data

# %%
cifar = derived.cifar10_splits(B.n_train, B.n_val, n_test=B.n_test, seed=0)
x_train, x_val, x_test = cifar["x_train"], cifar["x_val"], cifar["x_test"]
y_test = cifar["y_test"]
y1 = {s: keras.utils.to_categorical(cifar[f"y_{s}"], 10)
      for s in ("train", "val", "test")}
print(f"train {x_train.shape}, validation {x_val.shape}, test {x_test.shape}")

# %% [markdown]
# ## The search space
#
# The report's listing (its Figure 3.2): block 1 of two convolutions (kernels `ks1`,
# `ks2`), batch normalisation, max pooling of size `ps1` and dropout 0.1; an attention
# layer; block 2 with `f2` filters (kernels `ks3`, `ks4`, pooling `ps2`) and dropout
# 0.25; a dense layer of `hpu` units, dropout 0.5, softmax.
#
# ```{admonition} Erratum: the listing cannot run as printed
# :class: warning
# The listing calls the attention on `p2` before `p2` is assigned, which raises an
# error in a fresh session (in a notebook where an earlier cell left a `p2` behind, it
# attends to that stale tensor, whose output is never used), and its last line calls
# `model.summary()` on a `model` it never defines. It also declares `f1` without using
# it. So the printed listing cannot be the search that produced Figure 3.1; the rates
# of its dropouts also differ from the report's prose, which puts dropout 0.25 after
# block 1 (see the main notebook's erratum on the dropouts).
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

# %%
def augmentation():
    return keras.Sequential([layers.RandomFlip("horizontal"),
                             layers.RandomRotation(0.05),
                             layers.RandomTranslation(0.1, 0.1),
                             layers.RandomZoom(0.1)], name="augment")


def builder(hp, augment=False):
    inputs = keras.Input(shape=(32, 32, 3))
    h = augmentation()(inputs) if augment else inputs
    f1 = hp.Int("f1", 16, 512, step=16)
    h = layers.Conv2D(f1, hp.Int("ks1", 3, 5, step=2), padding="same",
                      activation="relu")(h)
    h = layers.Conv2D(f1, hp.Int("ks2", 3, 5, step=2), padding="same",
                      activation="relu")(h)
    h = layers.BatchNormalization(momentum=B.bn_momentum)(h)
    h = layers.MaxPooling2D(hp.Int("ps1", 2, 3))(h)
    h = layers.Attention()([h, h])
    f2 = hp.Int("f2", 16, 512, step=16)
    h = layers.Conv2D(f2, hp.Int("ks3", 3, 5, step=2), padding="same",
                      activation="relu")(h)
    h = layers.Conv2D(f2, hp.Int("ks4", 3, 5, step=2), padding="same",
                      activation="relu")(h)
    h = layers.BatchNormalization(momentum=B.bn_momentum)(h)
    h = layers.Dropout(0.25)(layers.MaxPooling2D(hp.Int("ps2", 2, 3))(h))
    h = layers.Dense(hp.Int("hpu", 32, 1024, step=32), activation="relu")(
        layers.Flatten()(h))
    out = layers.Dense(10, activation="softmax")(layers.Dropout(0.5)(h))
    model = keras.Model(inputs, out)
    model.compile(optimizer=keras.optimizers.AdamW(), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


display(table(space_frame(builder)))


# %% [markdown]
# ### What the space's models cost
#
# Multiply-adds per image of the convolutions and the dense layers, for the report's
# model and for 2,000 draws from the space (each hyperparameter uniform over its
# values, as Hyperband's first rounds draw them), relative to the report's model.

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


rng = np.random.default_rng(0)
draws = [{"f1": rng.choice(np.arange(16, 513, 16)), "ks1": rng.choice([3, 5]),
          "ks2": rng.choice([3, 5]), "ps1": rng.choice([2, 3]),
          "f2": rng.choice(np.arange(16, 513, 16)), "ks3": rng.choice([3, 5]),
          "ks4": rng.choice([3, 5]), "ps2": rng.choice([2, 3]),
          "hpu": rng.choice(np.arange(32, 1025, 32))} for _ in range(2000)]
ratio = np.array([macs(d) for d in draws]) / macs(REPORT_HP)
cost = pd.Series({"report's model (million multiply-adds)": macs(REPORT_HP) / 1e6,
                  "space: mean, relative to the report's": ratio.mean(),
                  "space: median": np.median(ratio), "space: 90th percentile":
                  np.quantile(ratio, 0.9), "space: largest drawn": ratio.max()})
display(table(cost.to_frame("value").rename_axis("multiply-adds per image"),
              decimals=2))
glue("space_ratio", ratio.mean(), ".1f")

# %% [markdown]
# ## The plan
#
# The space's models cost on average {glue}`space_ratio` times the report's
# multiply-adds. A few training steps and one validation pass of the report's model
# are timed on a throwaway copy; the search's estimate scales them by the space's mean
# cost (a real search draws its own models, so its time can differ either way), and
# the final training is planned after the search, from the best model's own measured
# costs.

# %%
def predict_cost(model, images):
    model.predict(images, batch_size=512, verbose=0)  # traces
    start = time.perf_counter()
    model.predict(images, batch_size=512, verbose=0)
    return (time.perf_counter() - start) / len(images)


report_hp = kt.HyperParameters.from_config({"space": [], "values": REPORT_HP})
report_step_s = step_cost(builder(report_hp), x_train, y1["train"], B.batch_size,
                          steps=B.probe_steps, warmup=2)
report_val_s = predict_cost(builder(report_hp), x_val[:256])
tune_steps = int(schedule["epochs trained"].sum()) * int(np.ceil(B.tune_train /
                                                                  B.batch_size))
plan = RunPlan(B)
plan.add("search (at the space's mean cost)", tune_steps, report_step_s * ratio.mean())
val_s = int(schedule["epochs trained"].sum()) * B.tune_val * ratio.mean() * report_val_s
plan.check(other_s=val_s, elapsed_s=time.perf_counter() - T0);

# %% [markdown]
# ## The search
#
# One line per trial. The state lives in the book's cache, in a folder named by the
# settings and the code of `builder`: an interrupted search resumes.

# %% tags=["hide-output", "search"]
settings = {k: B[k] for k in ("tune_train", "tune_val", "max_epochs", "factor",
                              "iterations", "seed", "batch_size", "bn_momentum",
                              "n_train", "n_val")}
folder = search_folder("cifar", settings, builder)
tuner = hyperband(builder, objective="val_accuracy", max_epochs=B.max_epochs,
                  factor=B.factor, iterations=B.iterations, seed=B.seed,
                  directory=folder.parent, project=folder.name)
set_seed(B.seed)
start = time.perf_counter()
tuner.search(x_train[: B.tune_train], y1["train"][: B.tune_train],
             validation_data=(x_val[: B.tune_val], y1["val"][: B.tune_val]),
             batch_size=B.batch_size, verbose=0,
             callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=5)])
print(f"search: {time.perf_counter() - start:.0f} s in this run")

# %%
trials = trials_frame(tuner)
done = trials[trials.status == "completed"].sort_values("score", ascending=False)
display(table(done.head(10).rename_axis("trial (best 10)"), percent=["score"]))
glue("n_trials", len(done), "d")

# %% [markdown]
# How far apart are the best candidates? A trial that Hyperband promotes is a new trial
# with its parent's hyperparameters, so the table can hold one model twice; below,
# each distinct set of hyperparameters counts once, at its best score. Each score is
# the best epoch's validation accuracy on {glue}`tune_val` images, and the winner is
# the best of several candidates, each trained for one or three epochs: the standard
# error of one accuracy on those images is given for scale only, not as a test (a lead
# of a few standard errors can still be luck).

# %%
hp_cols = [c for c in done.columns if c not in ("status", "score", "epochs")]
distinct = (done.assign(score=done["score"].astype(float))
            .groupby(hp_cols, as_index=False)["score"].max()
            .sort_values("score", ascending=False))
top = distinct["score"].to_numpy()
se = float(np.sqrt(top[0] * (1 - top[0]) / B.tune_val))
if len(top) >= 2:
    lead_text = (f"the best of {len(top)} distinct candidates scored {top[0]:.2%}, "
                 f"{100 * (top[0] - top[1]):.2f} points above the next; for scale, "
                 f"one accuracy on {B.tune_val:,} validation images has a standard "
                 f"error of {100 * se:.2f} points")
else:
    lead_text = f"one distinct candidate only, which scored {top[0]:.2%}"
print(lead_text)
glue("tune_val", B.tune_val, ",d")
glue("lead_text", lead_text)

# %% [markdown]
# ## The best hyperparameters, beside the report's
#
# The report's values are read off its Figure 3.1 (64 filters in block 1 because its
# listing never used `f1`; 3×3 kernels, pooling 2 and 3, 256 filters with 5×5 kernels,
# 512 dense units). Shown without a verdict: one small search's winner is not an
# estimate of the report's.

# %%
best_hp = tuner.get_best_hyperparameters(1)[0]
hp_table = pd.DataFrame({"report (Figure 3.1)": REPORT_HP,
                         "ours": {k: best_hp.values[k] for k in REPORT_HP}})
display(table(hp_table.rename_axis("hyperparameter")))
glue("best_cost", macs(best_hp.values) / macs(REPORT_HP), ".1f")

# %% [markdown]
# ## The best model, trained as the main notebook trains the report's
#
# With the main notebook's augmentation, on the profile's training images, validated on
# the validation images the search did not use. At the
# `cpu` profile the epochs are as many as fit in what the search left of 30 minutes
# (keeping a minute and a half in hand), at most the profile's cap, from the best
# model's own step timed on a throwaway copy.

# %%
final_steps = int(np.ceil(len(x_train) / B.batch_size))
held_out = (x_val[B.tune_val:], y1["val"][B.tune_val:])  # not seen by the search
best_step_s = step_cost(builder(best_hp, augment=True), x_train, y1["train"],
                        B.batch_size, steps=B.probe_steps, warmup=2)
best_val_s = predict_cost(builder(best_hp), x_val[:256])
per_epoch_s = final_steps * best_step_s + len(held_out[0]) * best_val_s
test_s = len(x_test) * best_val_s
final_epochs = B.final_epochs
if B.final_fits_time:
    left = B.limit_s() - 90 - (time.perf_counter() - T0) - test_s
    final_epochs = int(min(B.final_epochs, max(1, left // per_epoch_s)))
final_plan = RunPlan(B)
final_plan.add(f"best model, {final_epochs} epochs", final_epochs * final_steps,
               best_step_s)
final_plan.check(other_s=final_epochs * len(held_out[0]) * best_val_s + test_s,
                 elapsed_s=time.perf_counter() - T0);
glue("final_epochs", final_epochs, "d")

# %% tags=["hide-output"]
set_seed(B.seed)
best = builder(best_hp, augment=True)
r = fit(best, x_train, y1["train"], validation_data=held_out,
        epochs=final_epochs, batch_size=B.batch_size, label="tuned")

# %%
plots.plot_history(r, metrics=("loss", "accuracy"), labels=["tuned model"], best=None,
                   title="The tuned model");
loss, acc = best.evaluate(x_test, y1["test"], batch_size=512, verbose=0)
print(f"{best.count_params():,} parameters; test loss {loss:.3f}, accuracy {acc:.2%}")
glue("tuned_acc", acc, ".2%")
glue("tuned_params", f"{best.count_params():,}")

# %% [markdown]
# ## Reported versus reproduced
#
# The report's tuned model reached 85.4% test accuracy. Ours comes from a smaller
# search over a space that is not the listing's as printed (above), and is trained at
# this profile's budget: it is shown beside the report's number without a verdict, and
# not counted on the scoreboard (the main notebook judges the report's model).

# %%
comparison = run.compare([
    Comparison("tuned model: test accuracy", 0.854, acc, kind="percent",
               unjudged=f"another search ({len(done)} trials, max_epochs "
               f"{B.max_epochs} on {B.tune_train:,} images, against the report's 30 on "
               f"40,000) and {final_epochs} final epochs on {B.n_train:,} images")],
    glue_counts=True)

# %% [markdown]
# ## What it shows
#
# {glue}`n_trials` trials: {glue}`lead_text`. The best model has {glue}`tuned_params`
# parameters ({glue}`best_cost` times the report model's multiply-adds) and reaches
# {glue}`tuned_acc` on the test images after {glue}`final_epochs` epochs, against the
# report's 85.4% after its 45.

# %%
run.finish()

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```

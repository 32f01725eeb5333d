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
# model's hyperparameters with keras-tuner's Hyperband {cite}`li2018hyperband`
# (`max_epochs` 20) over 21 to 22 hours. We run the same kind of search over the space
# the report lists with a budget that fits one notebook, stated below, print the
# schedule it
# follows and the candidates it will draw, set the best hyperparameters it finds beside
# the report's, and train the tuned model as the main notebook trains the report's.
#
# ```{glue} provenance
# ```
#
# ```{admonition} Run this chapter yourself
# :class: tip
# Download {download}`the source (.py) <31_digit_sums_tuning.py>` or
# {download}`the notebook (.ipynb) <31_digit_sums_tuning.ipynb>`. In a clone of the
# book's repository, `pip install -e .`; then
# `python -m shared.publish book/chapters/31_digit_sums_tuning.py` runs it at the `cpu`
# budget below (about half an hour on two cores), `--profile full` at the full budget
# (many hours of CPU; a GPU's work), and `--profile smoke --out try.ipynb` a one-minute
# version. An interrupted search resumes where it stopped when the notebook is run
# again, and the search can be spread over several machines (`python -m shared.tuning`;
# README: "a search on several machines").
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
from shared.training import RunPlan, fit, predict_cost, set_seed, step_cost
from shared.tuning import (
    hyperband,
    hyperband_costs,
    hyperband_draws,
    hyperband_schedule,
    search_folder,
    space_frame,
    trials_frame,
)

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices
run = start_run("31_digit_sums_tuning")
T0 = time.perf_counter()  # the plans below count the time spent before them
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
print(f"device: {run.provenance.device}")

# %% [markdown]
# ## Budgets
#
# The report's search ran Hyperband with `max_epochs` 20 for about 22 hours; it states
# neither its data sizes, its factor, its objective nor its batch size. At the full
# profile ours keeps `max_epochs` 20 and, as our choices, keras-tuner's default factor
# 3, one Hyperband iteration, the validation loss as the objective, batch 32 and seed
# 1; each candidate trains on 10,000 training images validated on 2,000, so that the
# search fits one (long) notebook. The tuned model is then trained like the report's:
# all 50,000 training images, up to 100 epochs, early stopping with patience 5 (on the
# validation loss, restoring the best epoch's weights: ours). The 2,000 validation
# images that choose the hyperparameters are not used again: the tuned model's early
# stopping and its validation MSE use the other validation images. These sizes and the
# split are ours; the report does not give them.
#
# **What two CPU cores can run.** The report's own model costs {glue}`report_step` s
# per training step at batch 32 in this run (measured below; 0.5 to 1.0 s on the
# machines that prepared this chapter, AMD EPYC, two cores, TensorFlow, 3 and 4
# December 2026), and the space's models average several times its multiply-adds
# (counted below). The `cpu` profile keeps the space, the objective, Hyperband with
# factor 3 and the final training's early stopping, and makes the rest small:
# `max_epochs` 3 (six trials, five distinct candidates) on 512 training and 250
# validation images, the first of the profile's; then the tuned model is trained on the
# attention companion's `cpu` images (1,000 training, 1,000 test; its report-form rows
# train the report's hyperparameters on them) and validated on the 250 validation images
# the search did not use, for as many epochs, at most 4 (the attention companion's), as
# fit in what the search left of the 30 minutes. A search this small ranks its
# candidates after one to three epochs, scored on 250 validation images; the notebook
# sets the winner's lead beside the sampling error of one such score. Batch
# normalisation uses momentum 0.9 at `cpu` (the main notebook's choice: a few steps an
# epoch are too few for Keras' 0.99). The smoke profile runs the same code with
# `max_epochs` 2 on a few dozen images.

# %%
B = budget(
    full=dict(n_train=50_000, n_val=5_000, n_test=10_000, tune_train=10_000,
              tune_val=2_000, max_epochs=20, factor=3, iterations=1, final_epochs=100,
              final_fits_time=False, patience=5, batch_size=32, bn_momentum=0.99,
              probe_steps=10, seed=1),
    cpu=dict(n_train=1_000, n_val=500, n_test=1_000, tune_train=512, tune_val=250,
             max_epochs=3, final_epochs=4, final_fits_time=True, bn_momentum=0.9),
    why=dict(n_train="30 minutes on two cores: the attention companion's cpu images "
                     "(a step at batch 32 cost 0.5 to 1.0 s here, 3 and 4 December "
                     "2026)",
             n_val="30 minutes on two cores: the attention companion's cpu images",
             n_test="30 minutes on two cores: the attention companion's cpu images",
             tune_train="30 minutes on two cores: the space's models average several "
                        "times the report model's 16 to 31 ms per training image (a "
                        "first cpu run with 256 took 11.6 minutes in all)",
             tune_val="30 minutes on two cores (validating is about a third of the "
                      "cost of training an image); half the validation images, the "
                      "other half kept for the tuned model",
             max_epochs="30 minutes on two cores: 11 candidate-epochs in all",
             final_epochs="30 minutes on two cores: the attention companion's cpu "
                          "epochs, as a cap",
             final_fits_time="what the search leaves of 30 minutes decides the final "
                             "epochs (at least one)",
             bn_momentum="16 to 32 steps an epoch are too few for Keras' 0.99 (the "
                         "main notebook's cpu choice)"),
    smoke=dict(n_train=100, n_val=50, n_test=50, tune_train=64, tune_val=32,
               max_epochs=2, factor=3, iterations=1, final_epochs=1,
               final_fits_time=False, patience=5, batch_size=32, bn_momentum=0.9,
               probe_steps=2, seed=1),
)
display(B.table())
if B.tune_val >= B.n_val or B.tune_train > B.n_train:
    raise ValueError(f"tune_val ({B.tune_val}) must leave validation images for the "
                     f"tuned model (n_val {B.n_val}), and tune_train ({B.tune_train}) "
                     f"be at most n_train ({B.n_train})")
schedule = hyperband_schedule(B.max_epochs, B.factor, B.iterations)
display(table(schedule.set_index(["iteration", "bracket", "round"])))
n_draws = int(schedule.loc[schedule["round"] == 1, "models"].sum())
glue("n_models", int(schedule["models"].sum()), "d")
glue("n_draws", n_draws, "d")
glue("n_epochs", int(schedule["epochs trained"].sum()), ",d")

# %% [markdown]
# The search trains {glue}`n_models` models ({glue}`n_draws` drawn at random, the rest
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

# %%
def build_model(hp):
    inputs = keras.Input(shape=(40, 168, 1))
    h = inputs
    for i in range(1, 6):
        h = layers.Conv2D(hp.Int(f"filters_{i}", 32, 512, step=32),
                          hp.Choice(f"kernel_{i}", [3, 5]), padding="same",
                          activation="relu")(h)
        h = layers.BatchNormalization(momentum=B.bn_momentum)(h)
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


display(table(space_frame(build_model)))


# %% [markdown]
# ## Data
#
# The main notebook's data (`shared.derived.digit_sums` with a validation part whose
# digits no training image uses), at this profile's sizes; the search uses the first
# training and validation images.

# %%
ds = derived.digit_sums(B.n_train, B.n_test, n_val=B.n_val)
SPLITS = ("train", "val", "test")
x = {s: (ds[f"x_{s}"] / 255.0).astype("float32")[..., None] for s in SPLITS}
y = {s: ds[f"y_{s}"].astype("float32") for s in SPLITS}
print({s: x[s].shape for s in x})

# %% [markdown]
# ## The candidates, and what the search will cost
#
# Hyperband's random draws depend on its seed and the space only, never on a score (a
# promoted model reuses a drawn model's hyperparameters), so the candidates are known
# before the search runs (`shared.tuning.hyperband_draws` asks a fresh oracle for
# them). Their cost is counted in the convolutions' multiply-adds per image (the
# attention and dense layers add well under 1%), relative to the report's model, and
# set beside the space's: 2,000 draws, each hyperparameter uniform over its values.

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


draws = hyperband_draws(build_model, n_draws, B.seed)
ratios = np.array([macs(d) / macs(REPORT_HP) for d in draws])
shown = ["filters_1", "filters_2", "filters_3", "filters_4", "filters_5", "kernel_1",
         "kernel_3"]
candidates = pd.DataFrame([{k: d[k] for k in shown} for d in draws],
                          index=pd.RangeIndex(1, len(draws) + 1, name="draw"))
candidates["multiply-adds (relative)"] = ratios
display(table(candidates, decimals={"multiply-adds (relative)": 2}))
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
# The report's model takes {glue}`report_macs` million multiply-adds per image; the
# space's models average {glue}`space_ratio` times that, and the candidates drawn here
# {glue}`draws_ratio` times. A few training steps and one
# prediction pass of the report's model are timed on a throwaway copy and scaled by
# each candidate's multiply-adds (an approximation: time does not follow multiply-adds
# exactly), and a round that promotes models is costed at its dearest candidates;
# building, tracing and checkpointing each trial are not counted, so the estimate can
# miss either way. The trials' table below sets each trial's planned time beside what
# it took. The plan also keeps one epoch of the tuned model (at the candidates' mean
# cost) and the test pass. At the `cpu` profile a plan past 30 minutes stops here; the
# final training is planned after the search, from the best model's own measured
# costs.

# %%
report_point = kt.HyperParameters.from_config({"space": [], "values": REPORT_HP})
report_step_s = step_cost(build_model(report_point), x["train"], y["train"],
                          batch_size=B.batch_size, steps=B.probe_steps, warmup=2)
report_val_s = predict_cost(build_model(report_point), x["val"][:256])
glue("report_step", report_step_s, ".2f")
tune_steps = int(np.ceil(B.tune_train / B.batch_size))
costed = hyperband_costs(schedule, ratios)  # in epochs of the report's model
plan = RunPlan(B)
for _, row in costed.iterrows():
    model_epochs = int(row["models"] * row["new epochs"])
    plan.add(f"search: bracket {int(row['bracket'])}, round {int(row['round'])}, "
             f"{int(row['models'])} model(s) x {int(row['new epochs'])} epoch(s)",
             model_epochs * tune_steps, row["cost"] / model_epochs * report_step_s)
report_epoch_s = tune_steps * report_step_s + B.tune_val * report_val_s  # validated
epoch_s = ratios * report_epoch_s  # each candidate's epoch, validation included
final_steps = int(np.ceil(B.n_train / B.batch_size))
plan.add("tuned model: one epoch at the candidates' mean cost", final_steps,
         ratios.mean() * report_step_s)
final_eval_s = ratios.mean() * report_val_s * (B.n_val - B.tune_val + B.n_test)
plan.check(other_s=costed["cost"].sum() * B.tune_val * report_val_s + final_eval_s,
           elapsed_s=time.perf_counter() - T0);

# %% [markdown]
# ## The search
#
# One line per trial: its bracket and round, the epoch it trains to, its best
# validation loss and its time. The search keeps its state in the book's cache, in a
# folder named by its settings and the code of `build_model`: run again after an
# interruption, it picks up where it stopped.

# %% tags=["hide-output", "search"]
settings = {k: B[k] for k in ("tune_train", "tune_val", "max_epochs", "factor",
                              "iterations", "seed", "batch_size", "bn_momentum",
                              "n_train", "n_val")}
folder = search_folder("digit_sums", settings, build_model)
tuner = hyperband(build_model, objective="val_loss", max_epochs=B.max_epochs,
                  factor=B.factor, iterations=B.iterations, seed=B.seed,
                  directory=folder.parent, project=folder.name)
set_seed(B.seed)
start = time.perf_counter()
tuner.search(x["train"][: B.tune_train], y["train"][: B.tune_train],
             validation_data=(x["val"][: B.tune_val], y["val"][: B.tune_val]),
             batch_size=B.batch_size, verbose=0)
search_seconds = time.perf_counter() - start
print(f"search: {search_seconds:.0f} s in this run")

# %% [markdown]
# The trials, best first: each one's candidate (its draw in the table above), and the
# time it took in this run beside its plan, its own candidate's epochs at the cost
# scaled from the report's model (building, tracing and checkpointing, which the plan
# leaves out, are in what it took; a trial finished in an earlier, interrupted run has
# no time here).

# %%
trials = trials_frame(tuner)
done = trials[trials.status == "completed"].sort_values("score")
hp_cols = [c for c in done.columns if c not in ("status", "score", "epochs")]
planned, drawn = {}, {}
for trial_id, trial in tuner.oracle.trials.items():
    values = trial.hyperparameters.values
    draw = next((i for i, d in enumerate(draws)
                 if all(values.get(k) == v for k, v in d.items())), None)
    new_epochs = values["tuner/epochs"] - values["tuner/initial_epoch"]
    planned[trial_id] = np.nan if draw is None else epoch_s[draw] * new_epochs
    drawn[trial_id] = "" if draw is None else str(draw + 1)
timing = pd.DataFrame({"draw": pd.Series(drawn), "planned (s)": pd.Series(planned),
                       "took (s)": pd.Series(tuner.trial_seconds, dtype=float)})
shown_trials = done[["score", "epochs", "learning_rate", "dropout"]].join(timing)
display(table(shown_trials.rename_axis("trial"),
              decimals={"score": 3, "learning_rate": 5, "dropout": 1,
                        "planned (s)": 0, "took (s)": 0}))
glue("search_min", search_seconds / 60, ".1f")
glue("search_plan_min", costed["cost"].sum() * report_epoch_s / 60, ".1f")
glue("n_trials", len(done), "d")

# %% [markdown]
# How far apart are the best candidates? Each distinct set of hyperparameters counts
# once, at its best score (a promoted trial repeats its parent's). Each score is the
# best epoch's validation MSE on {glue}`tune_val` images, and the winner is the best of
# several candidates trained for {glue}`trial_epochs` epochs: the standard error of one
# MSE on those images (from the best model's own squared errors) is given for scale
# only, not as a test.

# %%
distinct = (done.assign(score=done["score"].astype(float))
            .groupby(hp_cols, as_index=False)["score"].min()
            .sort_values("score"))
top = distinct["score"].to_numpy()
best_trial_model = tuner.get_best_models(1)[0]
sq_err = (best_trial_model.predict(x["val"][: B.tune_val], batch_size=256,
                                   verbose=0).ravel() - y["val"][: B.tune_val]) ** 2
se = float(sq_err.std(ddof=1) / np.sqrt(len(sq_err)))
print(f"best trial's checkpoint, re-scored: validation MSE {sq_err.mean():.3f} "
      f"(its score {top[0]:.3f})")
if len(top) >= 2:
    lead_text = (f"the best of {len(top)} distinct candidates reached a validation MSE "
                 f"of {top[0]:.2f}, {top[1] - top[0]:.2f} below the next; for scale, "
                 f"that MSE on {B.tune_val:,} validation images has a standard error "
                 f"of {se:.2f}")
else:
    lead_text = f"one distinct candidate only, with a validation MSE of {top[0]:.2f}"
print(lead_text)
glue("tune_val", B.tune_val, ",d")
lo, hi = int(schedule["epochs"].min()), int(schedule["epochs"].max())
glue("trial_epochs", f"{lo} to {hi}" if lo < hi else f"{lo}")
glue("lead_text", lead_text)

# %% [markdown]
# ## The best hyperparameters, beside the report's
#
# Shown without a verdict: one small search's winner is not an estimate of the
# report's.

# %%
best_hp = tuner.get_best_hyperparameters(1)[0]
hp_table = pd.DataFrame({"report": {k: str(v) for k, v in REPORT_HP.items()},
                         "ours": {k: str(best_hp.values[k]) for k in REPORT_HP}})
hp_table["same"] = ["yes" if np.isclose(float(best_hp.values[k]), float(v), rtol=1e-6)
                    else "" for k, v in REPORT_HP.items()]  # numbers, not their text
display(table(hp_table.rename_axis("hyperparameter")))
glue("n_same", int((hp_table["same"] == "yes").sum()), "d")
glue("n_hp", len(hp_table), "d")
glue("best_cost", macs(best_hp.values) / macs(REPORT_HP), ".1f")

# %% [markdown]
# ## The tuned model, trained like the report's
#
# A fresh model with the best hyperparameters, trained on the profile's training
# images with early stopping (patience 5, best weights restored) on the validation
# images the search did not use, then scored on the test images as in the main
# notebook. At the `cpu` profile the epochs are as many as fit in what the search left
# of 30 minutes (keeping a minute and a half in hand, and a fifth more per epoch than
# measured, since epochs vary), at most the profile's cap, from the best model's own
# step and prediction timed on a throwaway copy.

# %%
held_out = (x["val"][B.tune_val:], y["val"][B.tune_val:])  # not seen by the search
best_step_s = step_cost(build_model(best_hp), x["train"], y["train"],
                        batch_size=B.batch_size, steps=B.probe_steps, warmup=2)
best_val_s = predict_cost(build_model(best_hp), x["val"][:256])
per_epoch_s = final_steps * best_step_s + len(held_out[0]) * best_val_s
test_s = len(x["test"]) * best_val_s
final_epochs = B.final_epochs
if B.final_fits_time:
    left = B.limit_s() - 90 - (time.perf_counter() - T0) - test_s
    final_epochs = int(min(B.final_epochs, max(1, left // (1.2 * per_epoch_s))))
final_plan = RunPlan(B)
final_plan.add(f"tuned model, at most {final_epochs} epochs",
               final_epochs * final_steps, best_step_s)
final_plan.check(other_s=final_epochs * len(held_out[0]) * best_val_s + test_s,
                 elapsed_s=time.perf_counter() - T0);
glue("final_epochs", final_epochs, "d")

# %% tags=["hide-output"]
set_seed(B.seed)
tuned = build_model(best_hp)
stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=B.patience,
                                     restore_best_weights=True)
r = fit(tuned, x["train"], y["train"], validation_data=held_out, epochs=final_epochs,
        batch_size=B.batch_size, callbacks=[stop], label="tuned")

# %%
plots.plot_history(r, metrics=("loss", "mae"), labels=["tuned model"],
                   title="The tuned model");
pred = tuned.predict(x["test"], batch_size=256, verbose=0).ravel()
err = pred - y["test"]
result = {"parameters": tuned.count_params(), "epochs": r.epochs,
          "best validation MSE": min(r.history["val_loss"]),
          "test MSE": np.mean(err**2), "test MAE": np.mean(np.abs(err)),
          "within 0.5": np.mean(np.abs(err) < 0.5),
          "within 0.8": np.mean(np.abs(err) < 0.8),
          "within 0.9": np.mean(np.abs(err) < 0.9),
          "exact after rounding": np.mean(np.rint(pred) == y["test"])}
shares = ["within 0.5", "within 0.8", "within 0.9", "exact after rounding"]
display(table(pd.DataFrame({"tuned model": result}).T, percent=shares,
              decimals={"best validation MSE": 3, "test MSE": 3, "test MAE": 3}))
glue("tuned_val_mse", result["best validation MSE"], ".2f")
glue("tuned_mse", result["test MSE"], ".2f")
glue("tuned_exact", result["exact after rounding"], ".2%")
glue("tuned_params", f"{tuned.count_params():,}")
glue("tuned_epochs", r.epochs, "d")

# %% [markdown]
# ## Reported versus reproduced
#
# The report says that "during tuning and final training" the training and validation
# losses settle "around 2.5–3.0, sometimes dipping to below 2.0", without saying which
# model or which run. The tuned model's best validation MSE (on the images the search
# did not use) sits beside the range's middle, 2.75 (our reading), without a verdict,
# and is not counted on the scoreboard: it comes from another search and another
# training budget, and the main notebook judges the report's own model.

# %%
comparison = run.compare([
    Comparison("tuned model: best validation MSE (2.5-3.0)", 2.75,
               result["best validation MSE"], kind="number", decimals=3,
               unjudged=f"another search ({len(done)} trials, max_epochs "
               f"{B.max_epochs} on {B.tune_train:,} images, against the report's 20 on "
               f"its full data) and {r.epochs} final epochs on {B.n_train:,} images")],
    glue_counts=True)

# %% [markdown]
# ## What it shows
#
# The search ran {glue}`n_trials` trials; it took {glue}`search_min` minutes in this
# run (planned at {glue}`search_plan_min`), against the report's 22 hours:
# {glue}`lead_text`. The best
# trial shares {glue}`n_same` of its {glue}`n_hp` hyperparameters with the report's
# best and costs {glue}`best_cost` times its multiply-adds. Trained for
# {glue}`tuned_epochs` epochs, the tuned model ({glue}`tuned_params` parameters)
# reaches a best validation MSE of {glue}`tuned_val_mse` and a test MSE of
# {glue}`tuned_mse`, and gets {glue}`tuned_exact` of the test sums exactly right after
# rounding. The attention companion (`31_digit_sums_attention`) trains the report's
# hyperparameters on the same training and test images (for 4 epochs, over three seeds,
# validated on all 500 validation images).

# %%
run.finish()

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```

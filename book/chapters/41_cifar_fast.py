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
# # CIFAR-10: the same model family, a better recipe
#
# A companion to {doc}`41_cifar_attention`, beyond the report {cite}`report004`. How far
# does the report's model family go in the time its own recipe (45 epochs of AdamW at
# batch 32) takes on the same device, if the training recipe changes: a larger batch, a
# one-cycle learning-rate schedule {cite}`smith2019superconvergence`, label smoothing,
# and random crops with flips? As a practical anchor, airbench
# {cite}`jordan2024airbench` reaches 94% test accuracy in a few seconds on one GPU with
# a network and recipe designed for speed.
#
# ```{glue} provenance
# ```
#
# ```{admonition} Run this chapter yourself
# :class: tip
# Download {download}`the source (.py) <41_cifar_fast.py>` or
# {download}`the notebook (.ipynb) <41_cifar_fast.ipynb>`. In a clone of the book's
# repository, `pip install -e .`; then
# `python -m shared.publish book/chapters/41_cifar_fast.py` runs it at the full budget
# below, and adding `--profile smoke --out try.ipynb` runs a one-minute version.
# ```

# %% tags=["remove-stderr"]
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter

import logging
import time

import keras
import numpy as np
import pandas as pd
from IPython.display import display
from keras import layers

from shared import budget, derived, plots
from shared.reporting import Comparison, glue, start_run, table
from shared.training import fit, set_seed

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices
run = start_run("41_cifar_fast")
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
print(f"device: {run.provenance.device}")

# %% [markdown]
# ## Budgets
#
# The time budget is measured, not assumed: one epoch of the report's recipe on this
# device, times 45. The new recipe then trains for as many epochs as fit in that time.
# The report's model (Figure 3.1, with its row-wise attention) is kept, and so is the
# data split. The smoke profile measures on a slice of the data and caps the epochs.

# %%
B = budget(
    full=dict(n_train=40_000, n_val=10_000, n_test=10_000, report_epochs=45,
              report_batch=32, batch_size=512, peak_lr=3e-3, label_smoothing=0.1,
              max_epochs=200, seed=1),
    smoke=dict(n_train=256, n_val=64, n_test=100, report_epochs=45, report_batch=32,
               batch_size=64, peak_lr=3e-3, label_smoothing=0.1, max_epochs=2, seed=1),
)
display(B.table())

# %%
cifar = derived.cifar10_splits(B.n_train, B.n_val, n_test=B.n_test, seed=0)
x_train, x_val, x_test = cifar["x_train"], cifar["x_val"], cifar["x_test"]
y_test = cifar["y_test"]
y1 = {s: keras.utils.to_categorical(cifar[f"y_{s}"], 10)
      for s in ("train", "val", "test")}
print(f"train {x_train.shape}, validation {x_val.shape}, test {x_test.shape}")

# %% [markdown]
# ## The model and the two recipes
#
# The model is the report's Figure 3.1 network; only its augmentation changes with the
# recipe. **Report's recipe**: flips, rotations, translations and zooms, AdamW at its
# default learning rate, batch 32. **New recipe**: flips and random crops (shifts of up
# to 4 pixels with zero fill), AdamW with a one-cycle schedule (linear warm-up over the
# first 20% of the steps to the peak learning rate, then cosine decay to zero), batch
# 512, label smoothing 0.1.

# %%
def build(augment, optimizer, smoothing=0.0):
    inputs = keras.Input(shape=(32, 32, 3))
    h = augment(inputs)
    h = layers.Conv2D(64, 3, padding="same", activation="relu")(h)
    h = layers.Conv2D(64, 3, padding="same", activation="relu")(h)
    p1 = layers.MaxPooling2D(2)(layers.BatchNormalization()(h))
    h = layers.Attention()([p1, p1])
    h = layers.Conv2D(256, 5, padding="same", activation="relu")(h)
    h = layers.Conv2D(256, 5, padding="same", activation="relu")(h)
    h = layers.MaxPooling2D(3)(layers.BatchNormalization()(h))
    h = layers.Dense(512, activation="relu")(layers.Flatten()(layers.Dropout(0.25)(h)))
    out = layers.Dense(10, activation="softmax")(layers.Dropout(0.5)(h))
    model = keras.Model(inputs, out)
    model.compile(optimizer=optimizer,
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=smoothing),
                  metrics=["accuracy"])
    return model


def report_augment():
    return keras.Sequential([layers.RandomFlip("horizontal"),
                             layers.RandomRotation(0.05),
                             layers.RandomTranslation(0.1, 0.1),
                             layers.RandomZoom(0.1)])


def crop_flip():
    # a shift of up to 4 pixels with zero fill: padding by 4 and cropping at random,
    # and the identity at inference
    return keras.Sequential([layers.RandomFlip("horizontal"),
                             layers.RandomTranslation(4 / 32, 4 / 32,
                                                      fill_mode="constant")])


def one_cycle(steps, peak):
    warm = max(1, int(0.2 * steps))
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=steps - warm, warmup_target=peak, warmup_steps=warm)


print(f"{build(crop_flip(), keras.optimizers.AdamW()).count_params():,} parameters, "
      "as in the main notebook")


# %% [markdown]
# ## The time budget
#
# One epoch of the report's recipe (after a first epoch that includes compilation),
# timed on this device.

# %%
set_seed(B.seed)
report_model = build(report_augment(), keras.optimizers.AdamW())
report_model.fit(x_train, y1["train"], batch_size=B.report_batch, epochs=1, verbose=0)
start = time.perf_counter()
report_model.fit(x_train, y1["train"], batch_size=B.report_batch, epochs=1, verbose=0)
epoch_s = time.perf_counter() - start
budget_s = epoch_s * B.report_epochs
print(f"one epoch of the report's recipe: {epoch_s:.1f} s; 45 epochs: {budget_s:.0f} s")
glue("budget_min", budget_s / 60, ".1f")

# %% [markdown]
# ## The new recipe, within that time
#
# One epoch at the new batch size is timed first (after compilation); the number of
# epochs is what fits in the budget, at most the profile's cap.

# %%
steps_per_epoch = int(np.ceil(len(x_train) / B.batch_size))
probe = build(crop_flip(), keras.optimizers.AdamW(1e-3), B.label_smoothing)
probe.fit(x_train, y1["train"], batch_size=B.batch_size, epochs=1, verbose=0)
start = time.perf_counter()
probe.fit(x_train, y1["train"], batch_size=B.batch_size, epochs=1, verbose=0)
new_epoch_s = time.perf_counter() - start
epochs = int(min(B.max_epochs, max(1, budget_s // new_epoch_s)))
print(f"one epoch at batch {B.batch_size}: {new_epoch_s:.1f} s, so {epochs} epochs fit")
glue("new_epochs", epochs, "d")

# %% tags=["hide-output"]
set_seed(B.seed)
model = build(crop_flip(),
              keras.optimizers.AdamW(one_cycle(epochs * steps_per_epoch, B.peak_lr)),
              B.label_smoothing)
r = fit(model, x_train, y1["train"], validation_data=(x_val, y1["val"]),
        epochs=epochs, batch_size=B.batch_size, label="new recipe")

# %%
plots.plot_history(r, metrics=("loss", "accuracy"), labels=["new recipe"], best=None,
                   title="The report's model, new recipe");
loss, acc = model.evaluate(x_test, y1["test"], batch_size=512, verbose=0)
summary = pd.DataFrame({
    "report (45 epochs, batch 32)": {"test accuracy": 0.854,
                                     "training time": "not given"},
    "report's recipe, here": {"test accuracy": np.nan,
                              "training time": f"{budget_s:.0f} s (estimated)"},
    "new recipe, here": {"test accuracy": acc, "training time": f"{r.wall_time:.0f} s"},
    "airbench (published)": {"test accuracy": 0.94, "training time": "seconds (A100)"},
}).T.rename_axis("run")
summary["test accuracy"] = summary["test accuracy"].map(
    lambda v: "not run" if pd.isna(v) else f"{100 * v:.2f}%")
display(table(summary))
glue("fast_acc", acc, ".2%")
glue("fast_min", r.wall_time / 60, ".1f")

# %% [markdown]
# ## Reported versus reproduced
#
# Not a reproduction: the report's accuracy beside what the new recipe reaches in the
# same time, shown without a verdict (another recipe), and not counted on the
# scoreboard.

# %%
comparison = run.compare([
    Comparison("test accuracy, new recipe in the report recipe's time", 0.854, acc,
               kind="percent", unjudged="another recipe: batch 512, one-cycle AdamW, "
               "label smoothing, in the time of the report's 45 epochs")],
    glue_counts=True)

# %% [markdown]
# ## What it shows
#
# In {glue}`fast_min` minutes ({glue}`new_epochs` epochs; the report's recipe would take
# {glue}`budget_min` minutes here), the report's own network reaches {glue}`fast_acc` on
# the test images with the new recipe, against the report's 85.4%. airbench's 94% in
# seconds comes from a network and recipe built for speed.

# %%
run.finish()

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```

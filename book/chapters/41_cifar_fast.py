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
# # CIFAR-10: the report's model with another training recipe
#
# A companion to {doc}`41_cifar_attention`, beyond the report {cite}`report004`: the
# book's own question. The report's network (its Figure 3.1, row-wise attention
# included) is trained here with two recipes: the report's, and another one (a larger
# batch, a one-cycle learning-rate schedule {cite}`smith2019superconvergence`, label
# smoothing, and random crops with flips), for the same number of epochs each (at the
# full budget only the new recipe: the report's is the main notebook's). What test
# accuracy does each reach, how long did each take to train, and do the two differ?
# The report's own run: "The model was trained for 45 epochs on 50000 training
# examples, with 10000 of these set aside for validation, and was tested on 10000
# examples", with a test accuracy of .854 (its Figure 4.1). As a practical anchor,
# airbench {cite}`jordan2024airbench` reaches 94% test accuracy in a few seconds on one
# GPU with a network and recipe designed for speed.
#
# **What to look for.** One trained model per recipe and seed. With one seed per
# recipe (the `cpu` budget) the test below compares two trained models on one set of
# test images; whether the *recipes* differ is not tested, since another seed would
# train other models. With more seeds per recipe the budget lists, the page tests the
# recipes over the seeds instead. The two recipes get the same epochs, not the same
# time: each run's training time is measured and shown, and they need not agree.
#
# ```{glue} provenance
# ```
#
# ```{admonition} Run this chapter yourself
# :class: tip
# Download {download}`the source (.py) <41_cifar_fast.py>` or
# {download}`the notebook (.ipynb) <41_cifar_fast.ipynb>`. In a clone of the book's
# repository, `pip install -e .`; then
# `python -m shared.publish book/chapters/41_cifar_fast.py --fill --for 1h` trains the
# runs of the `cpu` budget below that the run store lacks (it stops at a run boundary
# and can be started again), and
# `python -m shared.publish book/chapters/41_cifar_fast.py` then executes the page with
# every run loaded from the store (`--profile full` for the full budget, a GPU's
# work). Adding `--profile smoke --out try.ipynb` runs a small version in a temporary
# store.
# ```

# %% tags=["remove-stderr"]
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter

import functools
import itertools
import logging
import math

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from keras import layers
from scipy import stats

from shared import budget, derived, store
from shared.reporting import (
    ALPHA,
    Comparison,
    format_duration,
    glue,
    mean_sd,
    paired_frame,
    paired_test,
    start_run,
    table,
)
from shared.training import fit, set_seed

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices
run = start_run("41_cifar_fast")
runs = store.open("41_cifar_fast")
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
print(f"device: {run.provenance.device}")

# %% [markdown]
# ## Budgets
#
# Each training run (one recipe, one seed) is a stored unit of the book's run store:
# the page loads it, and each run's own provenance gives the machine, the date and the
# time it took (under "What the runs cost" below). A stored run's spec fixes everything
# the run depends on before it starts, its epochs included. An earlier version of this
# chapter fitted each recipe's epochs to a planned training time from a few timed
# steps, which a stored run cannot do (the count would change with the machine's speed
# on the day): the budget now fixes the epochs, and the page shows what each run's
# training took.
#
# **Full profile**: the new recipe on the report's split (40,000 training images,
# 10,000 for validation, the 10,000 test images) for 45 epochs, the report's count (the
# book's choice: the two recipes then see the same images), at batch 512, from the
# budget's seeds for the new recipe. The report's recipe at that budget is the main
# notebook's to train; it is not trained here, and the two are not compared.
#
# **`cpu` profile**: both recipes on the main notebook's `cpu` training and validation
# images (5,000 and 1,000) and a stratified 2,000 of the 10,000 test images (the main
# notebook's count when this budget was set; it now scores all 10,000), for 7 epochs
# each: the count that the earlier version's
# plans of an equal training time gave both recipes on two cores (3 December 2026).
# Trained for equal epochs, the two recipes see the same number of images; their
# training times are measured, not equalised. One seed per recipe, as in the earlier
# version. The budget holds a list of seeds for each recipe, so that a later fill that
# adds seeds trains only the new runs (adding seeds 2 and 3 to both recipes would be
# four more runs). The new recipe's batch is 128 instead of 512: at 512 an epoch of
# 5,000 images is 10 steps, too few for a warm-up and a decay over 7 epochs. Batch
# normalisation's moving averages use momentum 0.9 (the main notebook's `cpu` choice:
# too few steps for Keras' 0.99).
#
# Training times leave out the validation pass at each epoch's end (each run's first
# epoch includes compiling the model); each run's wall time is shown beside them. The
# smoke profile runs the same code on a slice of the data for one epoch, from two seeds
# per recipe, so that the test over seeds is exercised too.

# %%
B = budget(
    full=dict(n_train=40_000, n_val=10_000, n_test=10_000,
              report_seeds=[], report_epochs=45, report_batch=32,
              new_seeds=[1], new_epochs=45, new_batch=512, peak_lr=3e-3,
              label_smoothing=0.1, bn_momentum=0.99),
    cpu=dict(n_train=5_000, n_val=1_000, n_test=2_000, report_seeds=[1],
             report_epochs=7, new_epochs=7, new_batch=128, bn_momentum=0.9),
    why=dict(n_train="two cores: the main notebook's cpu images",
             n_val="two cores: the main notebook's cpu images",
             n_test="the main notebook's cpu count when this budget was set (it now "
                    "scores all 10,000); kept, since more would re-train both runs",
             report_seeds="at full the main notebook trains the report's recipe; at "
                          "cpu it is trained here, so that the two can be compared",
             report_epochs="two cores: the report's 45 epochs would take far longer "
                           "than a working session (the measured rate is under 'What "
                           "the runs cost'); 7 is what the earlier version's plan of "
                           "an equal training time gave",
             new_epochs="the report's recipe's epochs at cpu, so that both see the "
                        "same images",
             new_batch="at 512 an epoch of 5,000 images is 10 steps, too few for a "
                       "warm-up and a decay",
             bn_momentum="about 40 steps an epoch at batch 128 (157 at 32) are too few "
                         "for Keras' 0.99 (the main notebook's cpu choice)"),
    smoke=dict(n_train=64, n_val=32, n_test=100,
               report_seeds=[1, 2], report_epochs=1, report_batch=32,
               new_seeds=[1, 2], new_epochs=1, new_batch=32, peak_lr=3e-3,
               label_smoothing=0.1, bn_momentum=0.9),
)
display(B.table())

# %% [markdown]
# ## Data
#
# The main notebook's split (`shared.derived.cifar10_splits`, stratified by class,
# seed 0; the test images a stratified {glue}`n_test_text` of the 10,000), one-hot
# labels. The training, validation and test images are the same for
# every run.

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
x_train, y_test = cifar["x_train"], cifar["y_test"]
print(f"train {x_train.shape}, validation {cifar['x_val'].shape}, "
      f"test {cifar['x_test'].shape}")

# %% [markdown]
# ## The model and the two recipes
#
# The model is the report's Figure 3.1 network, as the main notebook builds it (dropout
# rates from the report's listing). **Report's recipe**: the main notebook's
# augmentation (flips, rotations, translations and zooms: its kinds and amounts are the
# book's, since the report says only "In this project, only geometric transformations
# have been used"), AdamW at Keras' defaults (learning rate $10^{-3}$, weight decay
# 0.004: the report gives neither), batch 32 (Keras' default: the report gives none).
# **New recipe** (all of it the book's choice): flips and random shifts of up to 4
# pixels with zero fill, AdamW with a one-cycle schedule (linear warm-up over the first
# 20% of the steps to the peak learning rate, then cosine decay to zero; Keras AdamW's
# default weight decay of 0.004, scaled by the scheduled rate), the profile's batch,
# label smoothing. A seed sets the initial weights, the augmentation's draws,
# the dropout masks and the order of the batches. Each run keeps its softmax outputs on
# the test images, from which the page scores it.

# %% tags=["train"]
def build(augment, optimizer, bn_momentum, smoothing=0.0):
    inputs = keras.Input(shape=(32, 32, 3))
    h = augment(inputs)
    h = layers.Conv2D(64, 3, padding="same", activation="relu")(h)
    h = layers.Conv2D(64, 3, padding="same", activation="relu")(h)
    p1 = layers.MaxPooling2D(2)(layers.BatchNormalization(momentum=bn_momentum)(h))
    h = layers.Attention()([p1, p1])
    h = layers.Conv2D(256, 5, padding="same", activation="relu")(h)
    h = layers.Conv2D(256, 5, padding="same", activation="relu")(h)
    h = layers.MaxPooling2D(3)(layers.BatchNormalization(momentum=bn_momentum)(h))
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


def shift_flip():
    # whole-pixel shifts of -4..4 in each direction, each equally likely, zero fill:
    # what padding by 4 and cropping 32x32 at random does (checked below); the
    # identity at inference
    return keras.Sequential([layers.RandomFlip("horizontal"),
                             layers.RandomTranslation(4.5 / 32, 4.5 / 32,
                                                      fill_mode="constant",
                                                      interpolation="nearest")])


def one_cycle(steps, peak):
    warm = max(1, int(0.2 * steps))
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=max(1, steps - warm), warmup_target=peak, warmup_steps=warm)


def make_model(spec, steps):
    """The spec's recipe (augmentation, optimizer, loss) on the Figure 3.1 model."""
    if spec["recipe"] == "report":
        return build(report_augment(), keras.optimizers.AdamW(), spec["bn_momentum"])
    if spec["recipe"] == "new":
        return build(shift_flip(),
                     keras.optimizers.AdamW(one_cycle(steps, spec["peak_lr"])),
                     spec["bn_momentum"], spec["label_smoothing"])
    raise ValueError(f"unknown recipe {spec['recipe']!r}")


def train_recipe(spec):
    """One recipe from one seed on the spec's split: trained with the validation images
    read after every epoch, then the test images predicted once."""
    cifar, hot = load(spec["n_train"], spec["n_val"], spec["n_test"],
                      spec["split_seed"])
    steps = spec["epochs"] * -(-len(hot["train"]) // spec["batch_size"])
    set_seed(spec["seed"])
    model = make_model(spec, steps)
    r = fit(model, cifar["x_train"], hot["train"],
            validation_data=(cifar["x_val"], hot["val"]), epochs=spec["epochs"],
            batch_size=spec["batch_size"],
            label=f"{spec['recipe']} recipe, seed {spec['seed']}")
    probs = model.predict(cifar["x_test"], batch_size=512, verbose=0)
    return {"fit": r, "steps": steps,
            "metrics": {"test_accuracy": float(np.mean(probs.argmax(axis=1)
                                                       == cifar["y_test"])),
                        "parameters": model.count_params()},
            "arrays": {"probs": probs.astype("float32")}}


print("build, report_augment, shift_flip, one_cycle, make_model(spec, steps), "
      "train_recipe(spec): one run, trained only when the store lacks it")

# %% [markdown]
# The parameters of each recipe's model (an untrained copy; the augmentation layers
# have none). The report's Figure 3.1 counts 5,370,954; the main notebook checks its
# count against that number (a structural fact, judged there once), so it is shown here
# without a verdict.

# %%
RECIPES = {"report": "report's recipe", "new": "new recipe"}
params = {RECIPES["report"]: build(report_augment(), keras.optimizers.AdamW(),
                                   B.bn_momentum).count_params(),
          RECIPES["new"]: build(shift_flip(), keras.optimizers.AdamW(), B.bn_momentum,
                                B.label_smoothing).count_params()}
display(table(pd.DataFrame({"parameters": params,
                            "report's Figure 3.1 (unjudged here)": 5_370_954})
              .rename_axis("model"), decimals=0))
counts = sorted(set(params.values()))
glue("params_text", f"the same {counts[0]:,} parameters" if len(counts) == 1 else
     " and ".join(f"{v:,} parameters ({k})" for k, v in params.items()))

# %% [markdown]
# The two recipes train {glue}`params_text`.
#
# ### The shifts are pad-and-crop
#
# Keras' `RandomTranslation` interpolates bilinearly by default, which blurs a shifted
# image by sub-pixel amounts. With nearest interpolation and shifts drawn from ±4.5
# pixels, every shift rounds to a whole number of pixels from −4 to 4, each equally
# likely: the shifts of padding by 4 pixels and cropping at random. The check below
# shifts 300 training images (at the smoke profile its fewer images, repeated) and
# finds, for each, the whole-pixel shift that reproduces it exactly.

# %%
def shifted(img, dy, dx):
    out = np.zeros_like(img)
    out[max(0, dy):32 + min(0, dy), max(0, dx):32 + min(0, dx)] = \
        img[max(0, -dy):32 + min(0, -dy), max(0, -dx):32 + min(0, -dx)]
    return out


probe_layer = layers.RandomTranslation(4.5 / 32, 4.5 / 32, fill_mode="constant",
                                       interpolation="nearest", seed=0)
# 300 images (the smoke profile's fewer repeated: each gets its own draw); no zero
# pixels, so that the fill is told apart
sample = x_train[np.arange(300) % len(x_train)] + 0.01
moved = keras.ops.convert_to_numpy(probe_layer(sample, training=True))
found = [next(((dy, dx) for dy in range(-5, 6) for dx in range(-5, 6)
               if np.array_equal(shifted(img, dy, dx), out)), None)
         for img, out in zip(sample, moved, strict=True)]
assert all(f is not None for f in found), "a shift that is not a whole-pixel one"
shifts = np.array(found)
counts = pd.DataFrame({axis: pd.Series(shifts[:, i]).value_counts().sort_index()
                       for i, axis in enumerate(("vertical", "horizontal"))}).T
assert list(counts.columns) == list(range(-4, 5)), counts.columns
chi2 = [stats.chisquare(counts.loc[a]).pvalue for a in counts.index]
assert min(chi2) > 0.001, chi2  # uniform over the nine shifts
assert np.array_equal(keras.ops.convert_to_numpy(probe_layer(sample, training=False)),
                      sample)
display(table(counts.rename_axis("shift (pixels)"), decimals=0))
print(f"every one of {len(sample)} images is a whole-pixel shift of its original; "
      "the nine shifts per axis are consistent with equal frequencies (chi-square "
      f"p = {min(chi2):.3g} at the lowest; the check fails below 0.001)")

# %% [markdown]
# ## Training
#
# One stored run per recipe and seed, listed seed by seed (the report's recipe first),
# so that a fill that stops early leaves whole seeds. Each run is trained only when the
# store lacks it (a fill); a publication loads them all.

# %% tags=["hide-output"]
def run_name(recipe, seed):
    if recipe == "report":
        return (f"report-recipe-n{B.n_train}-e{B.report_epochs}-b{B.report_batch}"
                f"-s{seed}")
    return f"new-recipe-n{B.n_train}-e{B.new_epochs}-b{B.new_batch}-s{seed}"


def run_spec(recipe, seed):
    if recipe == "report":
        return {**data_spec, "recipe": "report", "epochs": B.report_epochs,
                "batch_size": B.report_batch, "bn_momentum": B.bn_momentum,
                "seed": seed}
    return {**data_spec, "recipe": "new", "epochs": B.new_epochs,
            "batch_size": B.new_batch, "peak_lr": B.peak_lr,
            "label_smoothing": B.label_smoothing, "bn_momentum": B.bn_momentum,
            "seed": seed}


SEEDS = {"report": list(B.report_seeds), "new": list(B.new_seeds)}
EPOCHS = {"report": B.report_epochs, "new": B.new_epochs}
order = [(r, s) for s in sorted(set(SEEDS["report"]) | set(SEEDS["new"]))
         for r in ("report", "new") if s in SEEDS[r]]
specs = {run_name(r, s): run_spec(r, s) for r, s in order}
stored = runs.get(specs, train_recipe,
                  group={run_name(r, s): RECIPES[r] for r, s in order})
by = {(st.spec["recipe"], st.spec["seed"]): st for st in stored.values()}

# %% [markdown]
# ## What the runs cost
#
# Measured on the runs themselves, on the machine that trained each: the time of the
# run's training epochs alone (validation passes left out), that time per training step
# and per training image, and the run's wall time (training, its validation passes and
# the test pass).

# %%
spent = pd.DataFrame([
    {"run": n, "trained on": p["device"], "epochs": st.spec["epochs"],
     "batch": st.spec["batch_size"],
     "training steps": p["steps"], "training (min)": p["train_s"] / 60,
     "s per step": p["s_per_step"],
     "ms per image": 1000 * p["train_s"] / (st.spec["epochs"] * st.spec["n_train"]),
     "slowest / fastest epoch": (max(p["epoch_train_s"][1:] or p["epoch_train_s"])
                                 / min(p["epoch_train_s"][1:] or p["epoch_train_s"])),
     "wall (min)": p["wall_s"] / 60}
    for n, st, p in ((n, st, st.provenance) for n, st in stored.items())])
display(table(spent, index=False,
              decimals={"training (min)": 1, "s per step": 3, "ms per image": 1,
                        "slowest / fastest epoch": 2, "wall (min)": 1}))
glue("epoch_spread", float(spent["slowest / fastest epoch"].max()), ".1f")
glue("n_test_text", f"{B.n_test:,}")


def span(seconds):
    return (format_duration(seconds) if seconds < 2 * 3600
            else f"about {seconds / 3600:.1f} hours")


walls = [st.provenance["wall_s"] for st in stored.values()]
glue("cost_device", " and ".join(sorted({st.provenance["device"]
                                         for st in stored.values()})))
glue("all_wall", span(sum(walls)))
glue("n_runs", len(stored), "d")
report_runs = [st for (r, _), st in by.items() if r == "report"]
if report_runs:
    report_steps = 45 * math.ceil(40_000 / 32)  # the report's 45 epochs, 40,000 images
    per_epoch = [t / math.ceil(st.spec["n_train"] / st.spec["batch_size"])
                 for st in report_runs
                 for t in (st.provenance["epoch_train_s"][1:]
                           or st.provenance["epoch_train_s"])]
    report_rate = (f"At the report's recipe's measured rates ({min(per_epoch):.2f} to "
                   f"{max(per_epoch):.2f} s a step at batch 32, from its fastest and "
                   "slowest epochs after the first), the report's 45 epochs of 40,000 "
                   f"images would take {span(report_steps * min(per_epoch))} to "
                   f"{span(report_steps * max(per_epoch))} of training steps alone on "
                   "that machine, before their validation passes.")
else:
    report_rate = ("The report's recipe is not trained at this profile, so its cost on "
                   "this machine is not measured here.")
glue("report_rate", report_rate)

# %% [markdown]
# The {glue}`n_runs` runs took {glue}`all_wall` together on {glue}`cost_device`.
# {glue}`report_rate`

# %% [markdown]
# ## Results
#
# One row per run: its test accuracy (the arg-max of its stored softmax outputs against
# this page's test labels), its test cross-entropy without label smoothing (the new
# recipe trains with it, so its training loss is not comparable), and its training
# time. For scale, the trivial predictor that always answers the test images' most
# frequent class: a run *learned* where its accuracy is above that share by more than
# two binomial standard errors of the share on these images, *not learned* otherwise.

# %%
chance = float(np.bincount(y_test, minlength=10).max() / len(y_test))
chance_se = math.sqrt(chance * (1 - chance) / len(y_test))
pred, accuracy, learned, rows = {}, {}, {}, []
for (recipe, seed), st in by.items():
    probs = st.arrays["probs"]
    assert len(probs) == len(y_test), "the stored outputs are not this page's images"
    pred[recipe, seed] = probs.argmax(axis=1)
    acc = accuracy[recipe, seed] = float(np.mean(pred[recipe, seed] == y_test))
    right = np.clip(probs[np.arange(len(y_test)), y_test], 1e-7, 1)
    learned[recipe, seed] = acc > chance + 2 * chance_se
    rows.append({"recipe": RECIPES[recipe], "seed": seed, "epochs": st.spec["epochs"],
                 "batch": st.spec["batch_size"],
                 "training (min)": st.provenance["train_s"] / 60,
                 "test accuracy": acc,
                 "test cross-entropy": float(-np.log(right).mean()),
                 "beats chance": learned[recipe, seed]})
res = pd.DataFrame(rows)
display(table(res.assign(reading=res["beats chance"].map(
    {True: "learned", False: "not learned"})).drop(columns="beats chance"),
    index=False, percent=["test accuracy"],
    decimals={"training (min)": 1, "test cross-entropy": 3}))
acc_of = {r: [accuracy[r, s] for s in SEEDS[r] if (r, s) in by] for r in RECIPES}
time_of = {r: [by[r, s].provenance["train_s"] for s in SEEDS[r] if (r, s) in by]
           for r in RECIPES}
glue("chance", chance, ".1%")


def acc_text(values):
    return (f"{100 * values[0]:.2f}% (one seed)" if len(values) == 1
            else f"{mean_sd(values)} (mean ± sd over {len(values)} seeds)")


def minutes_text(values):
    return (span(values[0]) if len(values) == 1
            else f"{span(float(np.mean(values)))} on average over {len(values)} runs")

# %% [markdown]
# The most frequent class is {glue}`chance` of the test images.
#
# Validation accuracy against training time (validation passes left out), each run's
# epochs at the times its provenance records:

# %%
fig, ax = plt.subplots(figsize=(7, 3.4))
for i, recipe in enumerate(RECIPES):
    for j, seed in enumerate(s for s in SEEDS[recipe] if (recipe, s) in by):
        r = by[recipe, seed].fit_run(f"{RECIPES[recipe]}, seed {seed}")
        t = np.cumsum(r.epoch_train_times) / 60
        ax.plot(t, 100 * np.array(r.history["val_accuracy"]), "o-", color=f"C{i}",
                ms=4, lw=1, label=RECIPES[recipe] if j == 0 else None)
ax.axhline(85.4, color="k", ls="--", lw=1,
           label="report's test accuracy, 45 epochs (.854)")
ax.set_xlabel("training time (min)")
ax.set_ylabel("validation accuracy (%)")
ax.set_title("The report's model, two recipes, the same epochs")
ax.legend(fontsize=8, loc="lower right")
fig.tight_layout()

summary = pd.DataFrame({
    "report (45 epochs)": {"epochs": "45", "images seen": f"{45 * 40_000:,}",
                           "training time": "not given", "test accuracy": ".854"},
    **{RECIPES[r]: {"epochs": str(EPOCHS[r]),
                    "images seen": f"{EPOCHS[r] * B.n_train:,}",
                    "training time": minutes_text(time_of[r]),
                    "test accuracy": acc_text(acc_of[r])}
       for r in RECIPES if acc_of[r]},
    "airbench (published)": {"epochs": "its own", "images seen": "its own",
                             "training time": "seconds (A100)",
                             "test accuracy": "94%"},
}).T.rename_axis("run")
display(table(summary))
glue("fast_acc", acc_text(acc_of["new"]))
glue("fast_time", minutes_text(time_of["new"]))
glue("new_epochs", B.new_epochs, "d")
glue("new_batch", B.new_batch, "d")

# %% [markdown]
# ### The two recipes on the same test images
#
# The comparison depends on how many seeds the budget gives both recipes (seeds that
# only one recipe has are shown above and left out here); each reading gives the
# direction of the difference and how many seeds point that way beside the test's
# verdict, and reads *not learned* where a model compared does not beat the most
# frequent class.
#
# - **One seed per recipe** (the `cpu` budget): the test compares two trained models,
#   not two recipes: an exact McNemar test (two-sided, 5%) on the test images that one
#   model classifies correctly and the other not. A difference it detects belongs to
#   these two models and these test images; another seed trains other models, so the
#   recipes' difference is not tested.
# - **Two seeds or more**: the test is over the seeds: each seed's new-recipe accuracy
#   minus its report's-recipe accuracy, a two-sided paired t-test at 5% (pairing by
#   seed number, which keeps the test valid whether or not the two runs of a seed share
#   anything), the test right for few seeds that the book's other seed comparisons use
#   ({doc}`41_cifar_attention_variants`). Beside it, the exact sign-flip test, which
#   assumes only that each difference is as likely positive as negative when the
#   recipes do not differ, and cannot go below $p = 2/2^n$ with $n$ seeds; and the
#   t-test with each seed left out.
#
# Either way the two recipes trained for the budget's epochs, not for the same time:
# the training times measured are set beside the verdict.

# %%
common = [s for s in sorted(set(SEEDS["report"]) & set(SEEDS["new"]))
          if ("report", s) in pred and ("new", s) in pred]
alone = sorted(f"{RECIPES[r]}, seed {s}" for r, s in by if s not in common)


def sign_flip_p(d):
    """The exact two-sided sign-flip test of paired differences ``d``: the share of the
    2^n patterns of signs whose mean is at least as far from zero as the observed."""
    d = np.asarray(d, dtype=float)
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=d.size)))
    means = np.abs(signs @ np.abs(d)) / d.size
    return float(np.mean(means >= abs(d.mean()) * (1 - 1e-9)))


def drop_one(d):
    """The t-test's p with each seed left out in turn (None under three seeds, or where
    the remaining differences have no spread)."""
    if d.size < 3:
        return None
    ps = [stats.ttest_1samp(np.delete(d, i), 0).pvalue for i in range(d.size)]
    ps = [float(p) for p in ps if np.isfinite(p)]
    return (min(ps), max(ps)) if ps else None


def short_of_chance(seeds):
    """'not learned' detail where a compared model does not beat chance, else ''."""
    short = [f"{RECIPES[r]}, seed {s}" for s in seeds for r in RECIPES
             if not learned[r, s]]
    return (f"not learned (not above the most frequent class's share: "
            f"{', '.join(short)})") if short else ""


if not common:
    time_text = ""
    comparison_text = ("The report's recipe is not trained at this profile (the main "
                       "notebook trains it), so the two recipes are not compared here.")
    print(comparison_text)
else:
    t_old = [by["report", s].provenance["train_s"] for s in common]
    t_new = [by["new", s].provenance["train_s"] for s in common]
    ratio = sum(t_new) / sum(t_old)
    machines = sorted({by[r, s].provenance["device"] for r in RECIPES for s in common})
    same_epochs = EPOCHS["report"] == EPOCHS["new"]
    time_text = (
        ("The two recipes trained for the same epochs, not for the same time: "
         if same_epochs else f"The report's recipe trained for {EPOCHS['report']} "
         f"epochs, the new one for {EPOCHS['new']}, and not for the same time: ")
        + f"the report's recipe's training took {minutes_text(t_old)}, the new "
        f"recipe's {minutes_text(t_new)}, {ratio:.2f} times the report's ("
        + ("less" if ratio < 1 else "more") + " time for the new recipe, in one "
        "measurement on a machine shared with other work: a run's slowest epoch took "
        f"up to {spent['slowest / fastest epoch'].max():.1f} times its fastest, so the "
        "ratio carries the load of the moment as well as the recipes). "
        + (f"The runs compared were trained on different machines "
           f"({' and '.join(machines)}), so even these times are not comparable. "
           if len(machines) > 1 else "")
        + "The accuracies are compared "
        + ("at equal epochs, " if same_epochs else "as trained, ")
        + "not in equal time.")
    d = np.array([accuracy["new", s] - accuracy["report", s] for s in common])
    per_seed = pd.DataFrame({
        "seed": common,
        "report's recipe": [accuracy["report", s] for s in common],
        "new recipe": [accuracy["new", s] for s in common],
        "new minus report's (pt)": 100 * d,
        "only the new recipe's model right": [
            int(np.sum((pred["new", s] == y_test) & (pred["report", s] != y_test)))
            for s in common],
        "only the report recipe's model right": [
            int(np.sum((pred["new", s] != y_test) & (pred["report", s] == y_test)))
            for s in common],
        "training time, new / report's": [
            by["new", s].provenance["train_s"] / by["report", s].provenance["train_s"]
            for s in common]})
    not_learned = short_of_chance(common)
    if len(common) == 1:
        s = common[0]
        only_new = int(per_seed["only the new recipe's model right"].iloc[0])
        only_old = int(per_seed["only the report recipe's model right"].iloc[0])
        p = (stats.binomtest(only_new, only_new + only_old).pvalue
             if only_new + only_old else 1.0)
        outcome = ("not learned" if not_learned else "no difference detected"
                   if p > ALPHA else "higher" if d[0] > 0 else "lower")
        per_seed["p (exact McNemar)"] = f"{p:.3g}"
        per_seed["between these two models"] = outcome
        clause = {
            "not learned": not_learned + ", so the difference is not read",
            "no difference detected": "the two models' accuracies are not detectably "
                                      "different beyond the test images' sampling",
            "higher": "the new recipe's model classifies more of these test images "
                      "correctly than the report recipe's model, beyond the test "
                      "images' sampling",
            "lower": "the new recipe's model classifies fewer of these test images "
                     "correctly than the report recipe's model, beyond the test "
                     "images' sampling"}[outcome]
        way = ("the new recipe's model is the more accurate" if d[0] > 0
               else "the report recipe's model is the more accurate" if d[0] < 0
               else "the two models are equally accurate")
        comparison_text = (
            f"With one seed per recipe, the test compares two trained models, not the "
            f"two recipes. Seed {s}'s new-recipe model's test accuracy "
            f"({accuracy['new', s]:.2%}) minus its report's-recipe model's "
            f"({accuracy['report', s]:.2%}) is {100 * d[0]:+.2f} points ({way}, in "
            f"the one seed there is): {clause} (exact McNemar on the "
            f"{len(y_test):,} test images, two-sided, p = {p:.3g}). Another seed "
            "would train two other models, and one seed measures nothing of how far "
            "the difference moves from seed to seed: whether the recipes differ is "
            "not tested here.")
    else:
        r = paired_test(d, label="new recipe minus report's recipe")
        flip_p = sign_flip_p(d)
        flip_min = 2 / 2 ** d.size
        k = int((np.sign(d) == np.sign(d.mean())).sum()) if d.mean() else 0
        way = ("no mean difference" if d.mean() == 0 else
               f"the new recipe is {'more' if d.mean() > 0 else 'less'} accurate in "
               f"{k} of {d.size} seeds (mean {100 * d.mean():+.2f} points)")
        verdict = not_learned or {
            "higher": "the new recipe's test accuracy is higher than the report "
                      "recipe's over the seeds",
            "lower": "the new recipe's test accuracy is lower than the report "
                     "recipe's over the seeds",
            "no difference detected": "no difference between the recipes is detected "
                                      "over the seeds (which is what the seeds "
                                      "measured, not evidence that the recipes are "
                                      "equal)",
            "undecided": "the seeds cannot decide"}[r.outcome]
        comparison_text = (
            f"Over {d.size} seeds per recipe: {verdict}; {way}; the test: {r.line()}. "
            "The exact "
            f"sign-flip test gives p = {flip_p:.3g} for the same differences"
            + (f" (it cannot go below {flip_min:.3g} with {d.size} seeds: it needs "
               f"{math.ceil(math.log2(2 / ALPHA))} seeds or more to reach 5%)"
               if flip_min > ALPHA else "") + ".")
        if r.outcome in ("higher", "lower") and not not_learned:
            comparison_text += (
                f" The verdict rests on a t-test with {d.size - 1} degrees of freedom "
                "and its assumption of normal differences, which so few values cannot "
                "check" + ("; the sign-flip test agrees." if flip_p <= ALPHA
                           else "; the sign-flip test does not reach 5%."))
        left_out = drop_one(d)
        if left_out:
            comparison_text += (f" With any one seed left out, the t-test's p lies "
                                f"between {left_out[0]:.3g} and {left_out[1]:.3g}.")
        paired = paired_frame([r]).rename(columns={"verdict": "the test's verdict"})
        paired["sign-flip p"] = flip_p
        paired["direction"] = way
        paired["reading"] = not_learned or r.outcome
        display(table(paired, decimals=3))
    if alone:
        comparison_text += (" Runs without a partner of the other recipe are left out "
                            f"of the comparison: {'; '.join(alone)}.")
    places = {"new minus report's (pt)": 2, "p (exact McNemar)": 3,
              "training time, new / report's": 2}
    display(table(per_seed, index=False, percent=["report's recipe", "new recipe"],
                  decimals={k: v for k, v in places.items() if k in per_seed}))
glue("time_text", time_text or "The two recipes are not compared at this profile.")
glue("comparison_text", comparison_text)

# %% [markdown]
# ## Reported versus reproduced
#
# Not a reproduction: the report's accuracy beside what each recipe trained here
# reaches in this notebook's budget, shown without a verdict (another recipe, or the
# report's at another budget; the main notebook judges the report's run), and not
# listed on the scoreboard as not judged.

# %%
rows = [Comparison(
    "test accuracy, new recipe", 0.854, acc_of["new"], kind="percent",
    unjudged=f"another recipe: batch {B.new_batch}, one-cycle AdamW, label smoothing "
    f"{B.label_smoothing}, {B.new_epochs} epochs on {B.n_train:,} images")]
if acc_of["report"]:
    rows.append(Comparison(
        "test accuracy, report's recipe", 0.854, acc_of["report"], kind="percent",
        unjudged=f"another budget: {B.report_epochs} epochs on {B.n_train:,} images "
        "against the report's 45 on 40,000; judged in the main notebook"))
comparison = run.compare(rows, glue_counts=True)

# %% [markdown]
# ## What it shows
#
# In {glue}`new_epochs` epochs at batch {glue}`new_batch` ({glue}`fast_time` of
# training), the report's own network reaches {glue}`fast_acc` test accuracy with the
# new recipe, against the report's .854 after 45 epochs on 40,000 images (another
# budget: shown, not judged).
#
# {glue}`time_text`
#
# {glue}`comparison_text`
#
# airbench's 94% in seconds comes from a network and a recipe built for speed, on a
# GPU.

# %%
run.finish()

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```

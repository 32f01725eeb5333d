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
# # Digit sums: does the attention layer matter?
#
# A companion to {doc}`31_digit_sums`. The report {cite}`report000` introduces its
# multi-head self-attention "to capture higher-level interactions in the feature space",
# but applies it after global average pooling. Read as the main notebook builds it (the
# pooled features as one token; see its erratum for the other reading), the layer sees a
# single token, every attention weight is 1 and the layer is a linear map. Here the
# enhanced model is trained from several seeds in three forms: as the report builds it;
# without the attention layer; and with attention over the spatial positions of the last
# feature map *before* pooling, where it has more than one token to weigh. Every MSE on
# this page stands beside the error of the constant predictor, which always answers the
# mean training sum: a form that does not beat it has not learned, and a comparison of
# forms that have not learned is read as such, not as a test of the attention.
#
# ```{glue} provenance
# ```
#
# ```{admonition} Run this chapter yourself
# :class: tip
# Download {download}`the source (.py) <31_digit_sums_attention.py>` or
# {download}`the notebook (.ipynb) <31_digit_sums_attention.ipynb>`. In a clone of the
# book's repository, `pip install -e .`; then
# `python -m shared.publish book/chapters/31_digit_sums_attention.py --fill --for 1h`
# trains whatever runs of the `cpu` budget below the run store lacks, and
# `python -m shared.publish book/chapters/31_digit_sums_attention.py` then executes the
# page with every run loaded from the store, in minutes (`--profile full` for the full
# budget, a GPU's work). Adding `--profile smoke --out try.ipynb` runs a few-minute
# version in a temporary store.
# ```

# %% tags=["remove-stderr"]
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter

import functools
import logging
import math
import warnings

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from keras import layers

from shared import budget, derived, store
from shared.reporting import (
    Comparison,
    READINGS,
    claim_reading,
    format_duration,
    glue,
    mean_sd,
    paired_frame,
    paired_tests,
    start_run,
    table,
)
from shared.training import fit, set_seed, step_cost

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices
# The report's form runs its attention over one token, and Keras warns, wherever the
# model is built or called, that a softmax over an axis of size 1 is always 1: the main
# notebook's erratum, which records the warning; here it is silenced.
SOFTMAX_OF_ONE = "You are using a softmax over axis .* This axis has size 1"
warnings.filterwarnings("ignore", message=SOFTMAX_OF_ONE, category=UserWarning)
run = start_run("31_digit_sums_attention")
runs = store.open("31_digit_sums_attention")
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
print(f"device: {run.provenance.device}")

# %% [markdown]
# ## Budgets
#
# The main notebook's data and training (up to 100 epochs, early stopping with patience
# 5, best weights restored, batch 32), for each of the three forms from three seeds. The
# smoke profile runs the same code for one epoch on a few hundred images. Every training
# run (one form, one seed) is a stored unit of the book's run store: the page loads it
# from there, and the provenance table at the top says how many runs it used, where and
# when they were trained.
#
# **What two CPU cores can run.** All three forms share the report's convolutions
# ({glue}`madds` multiply-adds per image). In the runs this page uses (trained on
# {glue}`run_device`), one training step at batch 32 took {glue}`step_s` s on average:
# nine runs of the main notebook's full training (at most 100 epochs of 50,000 images)
# would take up to {glue}`full_nine`, and nine on the main notebook's `cpu` data (2,000
# images, at most 14 epochs) up to {glue}`cpu_nine`. The `cpu` profile keeps the three
# forms, the three seeds and the recipe, and trains each run for at most 4 epochs on
# 1,000 training images (validated on 500 and tested on 1,000, drawn as the main
# notebook draws its data), with batch normalisation's moving averages at momentum 0.9
# (the main notebook's `cpu` choice). Its runs took {glue}`run_walls` each. That is a
# small fraction of the report's training: the comparison asks whether the attention
# layer changes the error early in training, not at its end.

# %%
B = budget(
    full=dict(n_train=50_000, n_val=5_000, n_test=10_000, max_epochs=100, patience=5,
              batch_size=32, bn_momentum=0.99, seeds=[1, 2, 3], probe_steps=10),
    cpu=dict(n_train=1_000, n_val=500, n_test=1_000, max_epochs=4, bn_momentum=0.9),
    why=dict(n_train="two cores: nine runs of the report's convolutions (their "
                     "measured cost per step is in the Budgets text); the report "
                     "states no data size",
             n_val="two cores: every run is validated every epoch; scaled down with "
                   "the training images",
             n_test="two cores: as for the validation images",
             max_epochs="two cores: keeps the nine runs within a working session (what "
                        "each took is in the table of runs)",
             bn_momentum="32 steps an epoch are too few for Keras' 0.99 (measured in "
                         "the main notebook on 3 December 2026: validation MSE 176 in "
                         "inference mode against 14.5 with batch statistics)"),
    smoke=dict(n_train=128, n_val=64, n_test=64, max_epochs=1, patience=5,
               batch_size=32, bn_momentum=0.9, seeds=[1, 2], probe_steps=2),
)
display(B.table())

# %% [markdown]
# ## Data and the three forms
#
# The data are the main notebook's (`shared.derived.digit_sums` with a validation part
# whose digits no training image uses).

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
# the constant predictor: always the mean training sum
const = float(y["train"].mean())
const_mse = {s: float(np.mean((y[s] - const) ** 2)) for s in SPLITS}
glue("const", const, ".2f")
glue("const_val_mse", const_mse["val"], ".2f")
glue("const_test_mse", const_mse["test"], ".2f")

# %% [markdown]
# For scale: the constant predictor, which always answers the mean training sum
# ({glue}`const`), has a validation MSE of {glue}`const_val_mse` and a test MSE of
# {glue}`const_test_mse`. A form whose error is not below it has not learned anything
# about the images.
#
# All three forms share the report's five convolutional blocks (filters 128, 64, 256,
# 128, 192; kernels 5, 3, 5, 3, 3; batch normalisation; 2×2 max pooling), which leave a
# 1×5 map of 192 channels, and its head (dense 192 with ReLU, dropout 0.3, a linear
# output), trained on the MSE with Adam at the report's learning rate 0.00103 (Adam and
# the loss are our choice, as in the main notebook):
#
# - **pooled (the report's)**: global average pooling, then attention (8 heads, key
#   dimension 64) over the one pooled token;
# - **none**: global average pooling straight into the head;
# - **spatial**: attention over the 5 positions of the last map (5 tokens of 192), then
#   average pooling over the positions.
#
# The trainer keeps each run's predictions on the validation and test images, which the
# tables below score, and, for the spatial form, the attention weights over the
# positions for the first test images.

# %% tags=["train"]
FILTERS, KERNELS = [128, 64, 256, 128, 192], [5, 3, 5, 3, 3]
N_SHOWN = 6  # test images whose spatial attention the trainer keeps


def build(form, bn_momentum):
    inputs = keras.Input(shape=(40, 168, 1))
    h = inputs
    for i, (f, k) in enumerate(zip(FILTERS, KERNELS, strict=True)):
        h = layers.Conv2D(f, k, padding="same", activation="relu",
                          name=f"conv{i + 1}")(h)
        h = layers.BatchNormalization(momentum=bn_momentum)(h)
        h = layers.MaxPooling2D(2)(h)
    if form == "spatial":
        tokens = layers.Reshape((-1, FILTERS[-1]), name="positions")(h)
        h = layers.MultiHeadAttention(8, 64, name="mha")(tokens, tokens)
        h = layers.GlobalAveragePooling1D()(h)
    else:
        h = layers.GlobalAveragePooling2D()(h)
        if form == "pooled":
            token = layers.Reshape((1, FILTERS[-1]))(h)
            mha = layers.MultiHeadAttention(8, 64, name="mha")
            h = layers.Flatten()(mha(token, token))
    h = layers.Dropout(0.3)(layers.Dense(192, activation="relu")(h))
    model = keras.Model(inputs, layers.Dense(1)(h), name=form)
    model.compile(optimizer=keras.optimizers.Adam(0.0010331041248433069),
                  loss="mse", metrics=["mae"])
    return model


def train_form(spec):
    """One form from one seed: early stopping on the validation MSE, best weights
    restored; predictions on the validation and test images."""
    x, y = load(spec["n_train"], spec["n_val"], spec["n_test"])
    set_seed(spec["seed"])
    model = build(spec["form"], spec["bn_momentum"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=spec["patience"],
                                         restore_best_weights=True)
    r = fit(model, x["train"], y["train"], validation_data=(x["val"], y["val"]),
            epochs=spec["max_epochs"], batch_size=spec["batch_size"], callbacks=[stop],
            label=f"{spec['form']}, seed {spec['seed']}")
    arrays = {f"pred_{s}": model.predict(x[s], batch_size=256, verbose=0).ravel()
              .astype("float32") for s in ("val", "test")}
    if spec["form"] == "spatial":
        to_tokens = keras.Model(model.input, model.get_layer("positions").output)
        tok = to_tokens.predict(x["test"][:N_SHOWN], verbose=0)
        _, scores = model.get_layer("mha")(tok, tok, return_attention_scores=True)
        # averaged over heads and queries: the weight each position receives
        arrays["attention_test"] = (keras.ops.convert_to_numpy(scores).mean(axis=(1, 2))
                                    .astype("float32"))
    steps = r.epochs * math.ceil(len(y["train"]) / spec["batch_size"])
    return {"fit": r, "steps": steps,
            "metrics": {"epochs": r.epochs, "best_epoch": r.best_epoch(),
                        "best_val_mse": min(r.history["val_loss"]),
                        "parameters": model.count_params()},
            "arrays": arrays}


print("build(form, bn_momentum), train_form(spec): one run, trained only when the "
      "store lacks it")

# %%
FORMS = ["pooled", "none", "spatial"]
params = {f: build(f, B.bn_momentum).count_params() for f in FORMS}
display(table(pd.DataFrame({"parameters": params}).rename_axis("form")))
convs = [la for la in build("none", B.bn_momentum).layers
         if isinstance(la, layers.Conv2D)]
madds = sum(math.prod(la.output.shape[1:3]) * math.prod(la.kernel.shape)
            for la in convs)
glue("madds", f"{madds / 1e6:,.0f} million")
print(f"multiply-adds per image in the convolutions: {madds:,}")

# %% [markdown]
# ## The runs and what they cost
#
# Each run is trained only when the store lacks it (a fill); a publication loads them
# all. The runs are listed seed by seed, so that a fill that stops early leaves whole
# seeds. Before a fill, one training step of each form is timed on a throwaway copy,
# and each missing run's estimate is its training steps at that cost, with its
# validation and test passes counted as forward passes at a third of a step each (our
# assumption); the fill uses the estimates to stop at a run boundary rather than pass
# its deadline. Nothing is timed outside a fill. The table after the runs gives what
# each one took where it was trained.

# %%
specs = {
    f"{form}-n{B.n_train}-e{B.max_epochs}-s{seed}": {
        **data_spec, "form": form, "max_epochs": B.max_epochs, "patience": B.patience,
        "batch_size": B.batch_size, "bn_momentum": B.bn_momentum, "seed": seed}
    for seed in B.seeds for form in FORMS}
held = {n: runs.state(n, s)[0] == "stored" for n, s in specs.items()}
estimates = {}
if not all(held.values()) and runs.mode == "fill":  # a publication trains nothing
    cost = {f: step_cost(build(f, B.bn_momentum), x["train"], y["train"],
                         batch_size=B.batch_size, steps=B.probe_steps) for f in FORMS}
    steps_per_epoch = math.ceil(B.n_train / B.batch_size)
    passes = B.max_epochs * B.n_val + B.n_val + B.n_test  # images predicted
    for n, s in specs.items():
        c = cost[s["form"]]
        estimates[n] = (s["max_epochs"] * steps_per_epoch * c
                        + passes * c / B.batch_size / 3)
run_plan = runs.plan(specs, estimates, form="form", seed="seed",
                    at_most_epochs="max_epochs")
display(table(run_plan, index=False, decimals={"estimate (s)": 0}))
print(runs.plan_summary(run_plan))

# %% tags=["hide-output"]
stored = runs.get(specs, train_form, group={n: s["form"] for n, s in specs.items()},
                  estimate_s={n: estimates.get(n) for n in specs})

# %%
by_form = {f: [stored[n] for n, s in specs.items() if s["form"] == f] for f in FORMS}
spent = pd.DataFrame([
    {"run": s.name, "trained on": s.provenance["device"], "epochs": s.metrics["epochs"],
     "training (s)": s.provenance["train_s"], "s per step": s.provenance["s_per_step"],
     "wall (s)": s.provenance["wall_s"]} for s in stored.values()])
display(table(spent, index=False, decimals={"training (s)": 0, "s per step": 3,
                                            "wall (s)": 0}))


def span(seconds):
    return (format_duration(seconds) if seconds < 2 * 3600
            else f"about {seconds / 3600:.1f} hours")


step_s = float(np.mean([s.provenance["s_per_step"] for s in stored.values()]))
walls = [s.provenance["wall_s"] for s in stored.values()]
glue("run_device", ", ".join(sorted({s.provenance["device"] for s in stored.values()})))
glue("step_s", step_s, ".2f")
glue("full_nine", span(9 * 100 * math.ceil(50_000 / 32) * step_s))
glue("cpu_nine", span(9 * 14 * math.ceil(2_000 / 32) * step_s))
glue("run_walls", span(walls[0]) if len(walls) == 1
     else f"{span(min(walls))} to {span(max(walls))}")
glue("all_wall", span(sum(walls)))

# %% [markdown]
# The runs took {glue}`all_wall` together.
#
# ## Training
#
# One row per run: the epochs run and the epoch whose weights early stopping kept; the
# lowest validation MSE (the kept epoch's) and the test MSE with those weights, each
# beside the constant predictor's on the same images; the share of test images whose
# rounded prediction is the sum, and of predictions within 0.9 of it. The last column
# reads the run against the constant predictor, image by image on the test images:
# *learned* where its squared error is below the constant's by more than two standard
# errors of the paired difference, *not learned* otherwise (the main notebook's rule).

# %%
def beats(pred, truth):
    """Whether predictions beat the constant predictor on these images: their squared
    error is lower by more than two standard errors of the paired difference."""
    d = (np.asarray(pred, "float64") - truth) ** 2 - (const - truth) ** 2
    return bool(d.mean() + 2 * d.std(ddof=1) / math.sqrt(d.size) < 0)


def learned(flags):
    """The reading of one or more runs against the constant predictor."""
    k, n = sum(flags), len(flags)
    word = "learned" if k == n else "not learned" if k == 0 else "mixed"
    return word if n == 1 else f"{word} ({k} of {n} seeds)"


rows = []
for f in FORMS:
    for s in by_form[f]:
        pred = s.arrays["pred_test"].astype("float64")
        err = pred - y["test"]
        rows.append({
            "seed": s.spec["seed"], "form": f, "epochs": s.metrics["epochs"],
            "kept epoch": s.metrics["best_epoch"],
            "best val MSE": s.metrics["best_val_mse"],
            "constant's val MSE": const_mse["val"],
            "test MSE": float(np.mean(err**2)),
            "constant's test MSE": const_mse["test"],
            "exact after rounding": float(np.mean(np.rint(pred) == y["test"])),
            "within 0.9": float(np.mean(np.abs(err) < 0.9)),
            "beats the constant": beats(pred, y["test"])})
res = pd.DataFrame(rows)
shown = res.assign(reading=res["beats the constant"].map(
    {True: "learned", False: "not learned"})).drop(columns="beats the constant")
display(table(shown, index=False, percent=["exact after rounding", "within 0.9"],
              decimals={"best val MSE": 3, "constant's val MSE": 3, "test MSE": 3,
                        "constant's test MSE": 3}))

# %% [markdown]
# ## Results
#
# Mean ± sd over the seeds, each form's test MSE beside the constant predictor's and
# read against it (how many seeds beat it), and the differences between forms, seed by
# seed: each form minus the report's, and spatial minus none, one family of three
# paired t-tests, Holm-corrected, at 5%. Each comparison's reading gives the test's
# verdict with the direction of the mean difference and how many seeds point that
# way. A comparison is read only where both forms beat the constant predictor in every
# seed; otherwise its reading is *not learned*, whatever the test says: a difference
# between forms that have not learned the task is not a test of the attention. With
# {glue}`n_seeds` seeds a difference is detected only when it is large against its
# spread, and "no difference detected" is what those seeds measured, not evidence that
# the forms are equal. The report's claim for its attention layer ("to capture
# higher-level interactions in the feature space") is read, at its nearest measurable,
# as "removing the layer raises the test MSE", against the first comparison.

# %%
mse = res.pivot(index="seed", columns="form", values="test MSE")[FORMS]
exact = res.pivot(index="seed", columns="form", values="exact after rounding")[FORMS]
ok = res.pivot(index="seed", columns="form", values="beats the constant")[FORMS]
ok = {f: [bool(v) for v in ok[f]] for f in FORMS}
PAIRS = {"none minus pooled": ("none", "pooled"),
         "spatial minus pooled": ("spatial", "pooled"),
         "spatial minus none": ("spatial", "none")}
family = {k: (mse[a] - mse[b]).to_numpy() for k, (a, b) in PAIRS.items()}
results = dict(zip(PAIRS, paired_tests(family), strict=True))


def direction(label):
    """The mean difference's direction and how many seeds point that way."""
    (a, b), d = PAIRS[label], family[label]
    if d.mean() == 0:
        return f"no mean difference over {d.size} seeds"
    word = "higher" if d.mean() > 0 else "lower"
    k = int((np.sign(d) == np.sign(d.mean())).sum())
    return f"{a} {word} MSE than {b} in {k} of {d.size} seeds"


# the forms of each comparison that do not beat the constant predictor in every seed
short_of = {k: [f for f in pair if not all(ok[f])] for k, pair in PAIRS.items()}


def reading(label, full=True):
    """The comparison's reading: 'not learned' where a form compared does not beat the
    constant predictor in every seed, else the test's verdict; ``full`` adds the
    direction (and, where not learned, the test's verdict)."""
    r, short = results[label], short_of[label]
    if short:
        head = ("not learned (beating the constant predictor: "
                + ", ".join(f"{f} in {sum(ok[f])} of {len(ok[f])} seeds" for f in short)
                + ")")
        tail = f"{direction(label)}; the test: {r.outcome}"
    else:
        head = {"higher": "higher MSE", "lower": "lower MSE"}.get(r.outcome, r.outcome)
        tail = direction(label)
    return f"{head}; {tail}" if full else head


readings = {k: reading(k) for k in PAIRS}
# the report: its attention helps, so none minus pooled > 0 in MSE
if short_of["none minus pooled"]:
    claim, claim_meaning = "not learned", ("the forms compared do not both beat the "
                                           "constant predictor in every seed: the test "
                                           "compares models that have not learned")
else:
    claim = claim_reading(results["none minus pooled"], reported=1.0)
    claim_meaning = READINGS[claim]
print(f"the report's claim that removing the attention raises the MSE: {claim} "
      f"({claim_meaning})")
summary = pd.DataFrame({f: {
    "parameters": params[f], "test MSE": mean_sd(mse[f], percent=False, decimals=3),
    "constant's test MSE": const_mse["test"],
    "against the constant": learned(ok[f]),
    "exact after rounding": mean_sd(exact[f]),
    "MSE minus pooled": (mse[f] - mse["pooled"]).mean(),
    "against pooled": "reference" if f == "pooled" else readings[f"{f} minus pooled"],
} for f in FORMS}).T.rename_axis("form")
for c in ("MSE minus pooled", "constant's test MSE"):
    summary[c] = summary[c].astype(float)
summary["parameters"] = summary["parameters"].astype(int)
display(table(summary, decimals=3))
paired = paired_frame(list(results.values()), scale=1.0, unit="MSE").rename(
    columns={"verdict": "the test's verdict"})
paired["direction"] = [direction(k) for k in paired.index]
paired["reading"] = [reading(k, full=False) for k in paired.index]
display(table(paired, decimals=3))
for f in FORMS:
    glue(f"mse_{f}", mean_sd(mse[f], percent=False, decimals=3))
    glue(f"exact_{f}", mean_sd(exact[f]))
    glue(f"learned_{f}", learned(ok[f]))
for k, (a, b) in PAIRS.items():
    glue(f"reading_{a}_{b}", readings[k])
glue("n_seeds", len(B.seeds), "d")
glue("claim", claim)
glue("claim_meaning", claim_meaning)

fig, ax = plt.subplots(figsize=(6, 3))
for i, f in enumerate(FORMS):
    ax.scatter(np.full(len(mse), i) + np.linspace(-0.1, 0.1, len(mse)), mse[f], s=30)
ax.axhline(const_mse["test"], color="grey", ls=":", lw=1.2)
ax.annotate("constant predictor", (1, const_mse["test"]),
            xycoords=("axes fraction", "data"), ha="right", va="bottom",
            fontsize="small", color="grey")
ax.set_xticks(range(len(FORMS)), FORMS)
ax.set_ylabel("test MSE")
ax.set_title("Test MSE of each form, one point per seed")
fig.tight_layout()

# %% [markdown]
# What the spatial attention looks at: its weights over the 5 positions of the last
# feature map (each covers roughly a 34-pixel-wide strip of the image), averaged over
# heads and queries, for the first test images (seed {glue}`first_seed`, a run that
# reads {glue}`first_spatial_learned` against the constant predictor).

# %%
first = by_form["spatial"][0]
glue("first_seed", first.spec["seed"], "d")
glue("first_spatial_learned", learned([beats(first.arrays["pred_test"], y["test"])]))
received = first.arrays["attention_test"]
fig, axes = plt.subplots(len(received), 1, figsize=(8, 6.5))
for i, ax in enumerate(axes):
    ax.imshow(x["test"][i, ..., 0], cmap="gray", extent=(0, 168, 40, 0))
    ax.imshow(received[i][None], cmap="magma", alpha=0.45, extent=(0, 168, 40, 0),
              vmin=0, vmax=received.max())
    ax.set_axis_off()
    ax.set_title(f"sum {int(y['test'][i])}", fontsize=8)
fig.tight_layout()

# %% [markdown]
# ## Reported versus reproduced
#
# The report's enhanced model settles at a training and validation MSE of "2.5 to
# 3.0", its validation MSE "sometimes dipping to below 2.0". Beside the latter, the
# lowest validation MSE of each of our runs of the report's form (the kept epoch's),
# over the seeds, without a verdict: the main notebook judges the report's number
# against its own run, and a companion that asks its own question does not count the
# same reported number again (the book's rule; here also at another budget).

# %%
pooled_runs = by_form["pooled"]
best_val = [s.metrics["best_val_mse"] for s in pooled_runs]
comparison = run.compare([
    Comparison("enhanced (report's form): validation MSE, kept epoch = its lowest", 1.0,
               best_val, kind="number", decimals=3,
               reported_text="sometimes dipping to below 2.0",
               unjudged=f"judged in the main notebook; here {B.max_epochs} epochs at "
               f"most on {B.n_train:,} images, over {len(B.seeds)} seeds")],
    glue_counts=True)
val_flags = [beats(s.arrays["pred_val"], y["val"]) for s in pooled_runs]
display(table(pd.DataFrame([{
    "quantity": "enhanced (report's form): validation MSE, kept epoch",
    "ours": float(np.mean(best_val)),
    "predicted again": float(np.mean([np.mean((s.arrays["pred_val"] - y["val"]) ** 2)
                                      for s in pooled_runs])),
    "constant predictor": const_mse["val"], "reading": learned(val_flags)}]),
    index=False, decimals=3))
glue("val_mse_pooled", mean_sd(best_val, percent=False, decimals=3))
glue("val_learned_pooled", learned(val_flags))

# %% [markdown]
# Beside the constant predictor's validation MSE ({glue}`const_val_mse`), our runs of
# the report's form reach a lowest validation MSE of {glue}`val_mse_pooled`:
# {glue}`val_learned_pooled` (the reading rests on the kept weights' predictions of the
# validation images, the *predicted again* column, by the rule above).
#
# ## What it shows
#
# Over {glue}`n_seeds` seeds, against the constant predictor's test MSE of
# {glue}`const_test_mse`, the test MSE is {glue}`mse_pooled` for the report's form
# ({glue}`learned_pooled`), {glue}`mse_none` without attention ({glue}`learned_none`)
# and {glue}`mse_spatial` with attention over positions ({glue}`learned_spatial`).
# Without attention against the report's form: {glue}`reading_none_pooled`. With
# attention over positions against the report's form: {glue}`reading_spatial_pooled`;
# against none: {glue}`reading_spatial_none`. The rounded prediction is exactly right
# for {glue}`exact_pooled`, {glue}`exact_none` and {glue}`exact_spatial` of the test
# images respectively. The report's claim for its attention layer, read as "removing
# it raises the test MSE": {glue}`claim` ({glue}`claim_meaning`). These readings hold
# at this profile's budget only.

# %%
run.finish()

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```

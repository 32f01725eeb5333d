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
# # Spoken digits beyond the report: other splits, and unseen speakers
#
# The companion of {doc}`11_spoken_digits_mfcc`, which re-runs problem 1 of the report
# {cite}`report001` on the Free Spoken Digit Dataset {cite}`jackson2018fsdd`, on a
# split drawn the same way as the report's (stratified 70/15/15, seed 42; almost surely
# not the report's recordings, since the order in which it listed its files is not
# given): a baseline MLP on each recording's mean MFCC frame, approach A (an autoencoder
# on the zero-padded frames, its bottleneck swept from 50 to 400, the code into the same
# MLP) and approach B (a chained two-frame embedding into a larger MLP). There, as in
# the report, every number comes from one training run on one split.
# {glue}`speakers_sentence` Here we ask what the report does not:
#
# - **Other splits.** When only the split changes (split seeds other than 42), how much
#   do the accuracies move, and do the report's two conclusions hold: the ranking
#   baseline > approach A > approach B, and approach A's gain from a wider bottleneck?
# - **Unseen speakers** (full profile only). How well do the baseline and approach A
#   recognise a speaker whose voice was never heard in training?
#
# ```{glue} provenance
# ```
#
# ```{admonition} Run this chapter yourself
# :class: tip
# Download {download}`the source (.py) <11_spoken_digits_mfcc_seeds.py>` or
# {download}`the notebook (.ipynb) <11_spoken_digits_mfcc_seeds.ipynb>`. In a clone of
# the book's repository, `pip install -e .`; then
# `python -m shared.publish book/chapters/11_spoken_digits_mfcc_seeds.py` runs it at the
# `cpu` budget below (`--profile full` for every bottleneck size, approach B and the
# held-out speakers), and adding `--profile smoke --out try.ipynb` runs a one-minute
# version.
# ```

# %% tags=["remove-stderr"]
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter

import logging
import time
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm, no ipywidgets
# TensorFlow's notices that many small models each traced their predict function
logging.getLogger("tensorflow").setLevel(logging.ERROR)

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from keras import layers
from sklearn.model_selection import train_test_split

from shared import budget, data, derived
from shared.reporting import (
    glue,
    mean_sd,
    paired_frame,
    paired_test,
    paired_tests,
    start_run,
    table,
)
from shared.training import RunPlan, fit, set_seed

run = start_run("11_spoken_digits_mfcc_seeds")
t_start = time.perf_counter()
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
print(f"device: {run.provenance.device}")

# %% [markdown]
# ## Budgets
#
# Every run keeps the report's epochs, batch sizes and early stopping, as in the first
# notebook. The full profile repeats the baseline, approach A at all eight bottleneck
# sizes and approach B on three split seeds, and holds out each of the six speakers in
# turn: about an hour on two CPU cores. The `cpu` profile keeps the three split seeds
# (fewer would leave the paired tests almost nothing to stand on) and the baseline, and
# cuts, in this order, what costs the most and tests the least: the held-out speakers,
# approach B's repeats (its single run on the seed-42 split is in the first notebook)
# and six of the eight bottleneck sizes (the two ends, 50 and 400, still show whether a
# wider bottleneck helps; with two sizes the slope is their difference over 350 units).
# Each reduction's reason, with the measured cost behind it, is in the table. The
# smoke profile runs the same code for one epoch on two split seeds.

# %%
B = budget(
    full=dict(
        split_seeds=[1, 2, 3],  # seed 42, the report's, is the first notebook's
        bottlenecks=[50, 100, 150, 200, 250, 300, 350, 400],
        b_seeds=[1, 2, 3],  # the split seeds on which approach B is repeated
        loso_speakers=6,  # speakers held out in turn (baseline and approach A)
        mlp_epochs=100,  # baseline and approach A classifiers (patience 10)
        ae_epochs=100,  # approach A autoencoders (patience 15)
        pair_epochs=50,  # approach B: two-frame autoencoder and merger (patience 5)
        mlp2_epochs=50,  # approach B classifier (patience 10)
        max_pairs=None,  # frame pairs used to train approach B's networks (None: all)
    ),
    cpu=dict(bottlenecks=[50, 400], b_seeds=[], loso_speakers=0),
    why=dict(
        bottlenecks="30 minutes on two cores: an approach-A run took 125-222 s on "
                    "the publishing machine (2 December 2026), so 8 sizes x 3 split "
                    "seeds would need 55 min or more; the plan stopped runs at 4 sizes "
                    "and at 3 (31 min each); the two ends, 50 and 400, keep the "
                    "report's claim (a wider bottleneck helps) testable",
        b_seeds="30 minutes on two cores: an approach-B run takes about as long as "
                "two or three approach-A runs; 3 more would add 6 min or more; "
                "dropped before any split seed",
        loso_speakers="30 minutes on two cores: 6 held-out speakers x (baseline + "
                      "approach A), about 110 s each, would add 11 min: full only",
    ),
    smoke=dict(split_seeds=[1, 2], bottlenecks=[50, 300], b_seeds=[1],
               loso_speakers=1, mlp_epochs=1, ae_epochs=1, pair_epochs=1,
               mlp2_epochs=1, max_pairs=2000),
)
display(B.table())

# %% [markdown]
# ## Data
#
# The MFCCs are those of the first notebook (`shared.derived.spoken_mfcc`: 13
# coefficients per 15 ms frame every 7.5 ms, from 40 mel bands at 8 kHz), computed once.
# For each split seed the 3,000 recordings are split 70/15/15, stratified by digit, as
# `spoken_mfcc` splits them for seed 42, and every frame is z-scored with the mean and
# standard deviation of that split's training frames; from those come each recording's
# mean frame (the baseline's input) and its zero-padded, flattened frames (approach
# A's).

# %%
SPLITS = ("train", "val", "test")
mfcc = derived.spoken_mfcc(seed=42)
# every recording's MFCC frames, un-normalised, in the dataset's order
by_split = [f * mfcc["std"] + mfcc["mean"] for s in SPLITS
            for f in derived.frames_of(mfcc, s)]
order = np.argsort(np.concatenate([mfcc[f"{s}_index"] for s in SPLITS]))
raw = [by_split[i] for i in order]
digits = np.concatenate([mfcc[f"{s}_y"] for s in SPLITS])[order]
MAX_FRAMES = mfcc["train_padded"].shape[1] // 13
FRACTIONS = (0.7, 0.15, 0.15)


def make_split(parts):
    """The three approaches' inputs for index arrays (train, val, test), z-scored on the
    training frames."""
    train = np.concatenate([raw[i] for i in parts[0]])
    mu, sd = train.mean(axis=0), train.std(axis=0)
    return {name: {**derived.mfcc_inputs([raw[i] for i in idx], mu, sd, MAX_FRAMES),
                   "y": digits[idx]}
            for name, idx in zip(SPLITS, parts, strict=True)}


def seed_split(seed):
    return make_split(derived.stratified_split(digits, FRACTIONS, seed))


counts = [len(p) for p in derived.stratified_split(digits, FRACTIONS, B.split_seeds[0])]
print(f"{len(raw):,} recordings, {MAX_FRAMES} frames at most; each split seed: "
      f"{', '.join(f'{n:,} {k}' for k, n in zip(SPLITS, counts, strict=True))}")

# who speaks in each part, for seed 42 (the first notebook's) and each split seed here:
# the splits are stratified by digit, not by speaker
speakers = np.asarray(data.load_fsdd(progress=False)["speaker"])
n_speakers = len(set(speakers))
parts_of = {42: [mfcc[f"{s}_index"] for s in SPLITS]}
parts_of.update({s: derived.stratified_split(digits, FRACTIONS, s)
                 for s in B.split_seeds})
heard = pd.DataFrame(
    {seed: {f"speakers in {k}": len(set(speakers[idx]))
            for k, idx in zip(SPLITS, parts, strict=True)}
     for seed, parts in parts_of.items()}).T.rename_axis("split seed")
display(table(heard))
all_everywhere = bool((heard == n_speakers).all(axis=None))
all_in_val = bool((heard.loc[B.split_seeds, "speakers in val"] == n_speakers).all())
seeds_text = ", ".join(map(str, heard.index))
speakers_sentence = (
    f"In each of the splits with seeds {seeds_text}, "
    + (f"all {n_speakers} speakers have recordings in training, validation and test "
       "alike (the table in the Data section), so every test voice was also heard in "
       "training." if all_everywhere else
       f"not all {n_speakers} speakers have recordings in every part (the table in the "
       "Data section).")
)
print(speakers_sentence)
glue("speakers_sentence", speakers_sentence)

# %% [markdown]
# ## The three approaches, as in the first notebook
#
# The same networks and training as in {doc}`11_spoken_digits_mfcc`, where each is
# described and its parameters counted, written here more compactly:
#
# - **baseline**: an MLP of 256, 128, 64 and 32 ReLU units, each followed by dropout
#   0.3, into a 10-way softmax, on the 13-number mean frame; Adam, batch 32, up to 100
#   epochs, early stopping on the validation loss (patience 10, best weights restored);
# - **approach A**: an autoencoder of the padded frames, 256 ReLU units, a ReLU
#   bottleneck, 256 ReLU units and a linear output, L2 weight decay $10^{-3}$, MSE,
#   batch 32, up to 100 epochs (patience 15, best weights restored); its codes into the
#   baseline's MLP;
# - **approach B**: a two-frame autoencoder (26 → 128 → 32 → 128 → 26) and a merger
#   ([32-number code, next frame] → 64 → 32), each Adam $10^{-3}$, MSE, batch 64, up to
#   50 epochs (patience 5); each utterance folded frame by frame into one 32-number
#   code; a classifier of 512, 256, 128 and 64 ReLU units, each with batch normalisation
#   and dropout 0.2, batch 16, up to 50 epochs (patience 10, learning rate halved after
#   3 epochs without improvement).
#
# The choices the report leaves open are made as in the first notebook, where each is
# listed: a linear output layer for approach A's autoencoder, and the best weights
# restored in approach A's MLP as in the baseline's; for approach B, a linear 32-number
# code, no best weights restored in the two-frame autoencoder, the merger or the
# classifier, the first two validated on the validation split's pairs, and the merger
# trained only on utterances of three frames or more; librosa's defaults for the MFCCs
# besides the 40 mel bands. Here, in place of seed 42, each split seed also seeds the
# training (next section).

# %%
def classifier(dim, units, dropout, batch_norm=False):
    body = []
    for u in units:
        body += [layers.Dense(u, activation="relu")]
        body += [layers.BatchNormalization()] if batch_norm else []
        body += [layers.Dropout(dropout)]
    model = keras.Sequential([keras.Input((dim,)), *body,
                              layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def autoencoder(dim, code, hidden, code_activation=None, l2=None):
    """dim → hidden → code → hidden → dim (ReLU hidden layers), and its encoder."""
    reg = keras.regularizers.l2(l2) if l2 else None
    inputs = keras.Input((dim,))
    z = layers.Dense(code, activation=code_activation, kernel_regularizer=reg)(
        layers.Dense(hidden, activation="relu", kernel_regularizer=reg)(inputs))
    outputs = layers.Dense(dim, kernel_regularizer=reg)(
        layers.Dense(hidden, activation="relu", kernel_regularizer=reg)(z))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    return model, keras.Model(inputs, z)


def stop(patience, restore=True):
    return keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                         restore_best_weights=restore)


def scored(model, x, d, start):
    return {**{f"{s} accuracy": model.evaluate(x[s], d[s]["y"], batch_size=512,
                                               verbose=0)[1] for s in ("val", "test")},
            "wall time (s)": time.perf_counter() - start}


def baseline_mlp(x, d, seed, start=None):
    """The report's MLP on x[split] (the mean frames, or approach A's codes)."""
    start = time.perf_counter() if start is None else start
    set_seed(seed)
    model = classifier(x["train"].shape[1], (256, 128, 64, 32), 0.3)
    fit(model, x["train"], d["train"]["y"], validation_data=(x["val"], d["val"]["y"]),
        epochs=B.mlp_epochs, batch_size=32, callbacks=[stop(10)], log=False)
    return scored(model, x, d, start)


def approach_a(d, bottleneck, seed):
    start = time.perf_counter()
    x = {s: d[s]["padded"] for s in SPLITS}
    set_seed(seed)
    ae, encoder = autoencoder(x["train"].shape[1], bottleneck, 256, "relu", l2=1e-3)
    fit(ae, x["train"], x["train"], validation_data=(x["val"], x["val"]),
        epochs=B.ae_epochs, batch_size=32, callbacks=[stop(15)], log=False)
    codes = {s: encoder.predict(x[s], batch_size=512, verbose=0) for s in SPLITS}
    return baseline_mlp(codes, d, seed, start)


for name, model in (("baseline MLP", classifier(13, (256, 128, 64, 32), 0.3)),
                    ("approach A autoencoder (300)",
                     autoencoder(MAX_FRAMES * 13, 300, 256, "relu", 1e-3)[0])):
    print(f"{name}: {model.count_params():,} parameters")


# %%
def pairs(frames):
    """(frame t, frame t+1) of every utterance with two frames or more."""
    return np.concatenate([np.hstack([f[:-1], f[1:]]) for f in frames if len(f) > 1])


def merger_pairs(frames, encoder):
    """Inputs [code of pair (t-1, t), frame t+1], targets the code of pair (t, t+1)."""
    usable = [f for f in frames if len(f) > 2]
    codes = np.split(encoder.predict(pairs(usable), batch_size=4096, verbose=0),
                     np.cumsum([len(f) - 1 for f in usable])[:-1])
    return (np.concatenate([np.hstack([z[:-1], f[2:]])
                            for f, z in zip(usable, codes, strict=True)]),
            np.concatenate([z[1:] for z in codes]))


def chain(split, encoder, merger):
    """Each utterance as one code: its first pair encoded, one frame merged a step."""
    n = np.array([len(f) for f in split["frames"]])
    frames = split["padded"].reshape(len(n), MAX_FRAMES, 13)
    second = np.where(n[:, None] > 1, frames[:, 1], frames[:, 0])  # one frame: twice
    z = keras.ops.convert_to_numpy(encoder(np.hstack([frames[:, 0], second])))
    for t in range(2, n.max()):
        step = keras.ops.convert_to_numpy(merger(np.hstack([z, frames[:, t]])))
        z = np.where((n > t)[:, None], step, z)
    return z


def at_most(n, seed, *arrays):
    """At most n rows (the same ones of each array), drawn without replacement."""
    if n is None or len(arrays[0]) <= n:
        return arrays
    keep = np.random.default_rng(seed).choice(len(arrays[0]), n, replace=False)
    return tuple(a[keep] for a in arrays)


def approach_b(d, seed):
    start = time.perf_counter()
    set_seed(seed)
    pair_ae, encoder = autoencoder(26, 32, 128)
    p_train = at_most(B.max_pairs, seed, pairs(d["train"]["frames"]))[0]
    p_val = pairs(d["val"]["frames"])
    fit(pair_ae, p_train, p_train, validation_data=(p_val, p_val), epochs=B.pair_epochs,
        batch_size=64, callbacks=[stop(5, restore=False)], log=False)
    set_seed(seed)
    merger = keras.Sequential([keras.Input((32 + 13,)),
                               layers.Dense(64, activation="relu"), layers.Dense(32)])
    merger.compile(keras.optimizers.Adam(1e-3), "mse")
    m_train = at_most(B.max_pairs, seed, *merger_pairs(d["train"]["frames"], encoder))
    fit(merger, *m_train, validation_data=merger_pairs(d["val"]["frames"], encoder),
        epochs=B.pair_epochs, batch_size=64, callbacks=[stop(5, restore=False)],
        log=False)
    emb = {s: chain(d[s], encoder, merger) for s in SPLITS}
    set_seed(seed)
    model = classifier(32, (512, 256, 128, 64), 0.2, batch_norm=True)
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                                patience=3)
    fit(model, emb["train"], d["train"]["y"],
        validation_data=(emb["val"], d["val"]["y"]), epochs=B.mlp2_epochs,
        batch_size=16, callbacks=[stop(10, restore=False), plateau], log=False)
    return scored(model, emb, d, start)


for name, model in (("approach B two-frame autoencoder", autoencoder(26, 32, 128)[0]),
                    ("approach B classifier",
                     classifier(32, (512, 256, 128, 64), 0.2, batch_norm=True))):
    print(f"{name}: {model.count_params():,} parameters")

# %% [markdown]
# ## Training on each split seed
#
# On each split seed: the baseline, approach A at every bottleneck size of the budget,
# and approach B where the budget repeats it; one line per run. The split seed also
# seeds the networks' initialisation and the order of their training batches, as seed
# 42 does in the first notebook, so the spread over split seeds is that of the split and
# of the training together, the spread a re-run of the report's protocol with another
# seed would show. Each run's length depends on where early stopping ends it, so
# rather than a cost per step, the first split seed's runs are timed, and the rest of
# the notebook is estimated from them before it runs: a `cpu` run that could not finish
# in its 30 minutes stops there.

# %%
test_rows, val_rows = [], []
for i, s in enumerate(B.split_seeds):
    t0 = time.perf_counter()
    d = seed_split(s)
    runs = {"baseline": baseline_mlp({k: d[k]["mean"] for k in SPLITS}, d, s)}
    for b in B.bottlenecks:
        runs[f"approach A ({b})"] = approach_a(d, b, s)
    if s in B.b_seeds:
        runs["approach B"] = approach_b(d, s)
    for name, r in runs.items():
        print(f"split seed {s}, {name}: test {r['test accuracy']:.2%}, "
              f"validation {r['val accuracy']:.2%} ({r['wall time (s)']:.0f} s)",
              flush=True)
    for rows, what in ((test_rows, "test accuracy"), (val_rows, "val accuracy")):
        rows.append({"split seed": s, **{k: r[what] for k, r in runs.items()}})
    if i == 0:
        per_a = np.mean([r["wall time (s)"] for k, r in runs.items()
                         if k.startswith("approach A")])
        plan = RunPlan(B)
        plan.add(f"{len(B.split_seeds) - 1} more split seeds, each as long as seed {s}",
                 steps=len(B.split_seeds) - 1,
                 seconds_per_step=time.perf_counter() - t0)
        plan.add(f"{B.loso_speakers} held-out speakers: baseline and approach A",
                 steps=B.loso_speakers,
                 seconds_per_step=runs["baseline"]["wall time (s)"] + per_a)
        plan.check(other_s=30, elapsed_s=time.perf_counter() - t_start)
        print("(a 'step' of this plan is a whole split seed, or one held-out speaker; "
              "its cost is measured on split seed", s, "above)")

# %% [markdown]
# ## Results over the split seeds
#
# Test accuracy per split seed. For approach A the bottleneck is chosen per split seed,
# among the sizes run, on validation accuracy, as the first notebook chooses it on its
# seed-42 split; the last two columns give that size's test accuracy and the size.

# %%
acc = pd.DataFrame(test_rows).set_index("split seed")
val = pd.DataFrame(val_rows).set_index("split seed")
size_of = {f"approach A ({b})": b for b in B.bottlenecks}
a_cols = list(size_of)
chosen = val[a_cols].idxmax(axis=1)  # per split seed, the best size on validation
A_CHOSEN = "approach A, chosen size"
acc[A_CHOSEN] = [acc.loc[s, chosen[s]] for s in acc.index]
shown = acc.assign(**{"chosen size": [str(size_of[c]) for c in chosen]})
display(table(shown, percent=list(acc.columns), summary=True))
glue("n_split_seeds", len(acc), "d")
glue("chosen_sizes", ", ".join(f"{size_of[c]} (split seed {s})"
                               for s, c in chosen.items()))
glue("seeds_base", mean_sd(acc["baseline"]))
glue("seeds_a", mean_sd(acc[A_CHOSEN]))
b_acc = acc["approach B"].dropna() if "approach B" in acc else pd.Series(dtype=float)
b_spread = (f"approach B {mean_sd(b_acc)} over the {len(b_acc)} split seeds it was "
            "repeated on" if len(b_acc) else
            f"approach B was not repeated at the {B.profile} profile")
glue("seeds_b_sentence", b_spread)

# %% [markdown]
# **The report's ranking.** Seed by seed, the baseline minus approach A at the size
# chosen on validation, and (where approach B was repeated) approach A minus approach
# B, tested as one family of paired t-tests over the split seeds with Holm's correction.

# %%
family = {"baseline minus approach A (chosen size)": acc["baseline"] - acc[A_CHOSEN]}
if len(b_acc):  # over the split seeds where approach B ran
    a_minus_b = acc.loc[b_acc.index, A_CHOSEN] - b_acc
    family["approach A (chosen size) minus approach B"] = a_minus_b
ranking = paired_tests(family)
display(table(paired_frame(ranking), decimals={"mean (pt)": 2, "sd (pt)": 2,
                                               "p (Holm)": 3}))
glue("rank_base_a", ranking[0].line())
ahead = acc["baseline"] > acc[A_CHOSEN]
if len(b_acc):
    in_order = ahead[b_acc.index] & (acc.loc[b_acc.index, A_CHOSEN] > b_acc)
    rank_a_b = (f"Approach A minus approach B: {ranking[1].line()}. The full order "
                f"baseline > approach A > approach B held on {int(in_order.sum())} of "
                f"{len(b_acc)} split seeds.")
else:
    rank_a_b = (f"The baseline was ahead on {int(ahead.sum())} of {len(acc)} split "
                f"seeds. Approach B was not repeated at the {B.profile} profile (see "
                "the budgets), so its place at the bottom rests on single runs: the "
                "report's, and the first notebook's on its seed-42 split.")
print(rank_a_b)
glue("rank_a_b_sentence", rank_a_b)

# %% [markdown]
# **Does accuracy change with the bottleneck?** For each split seed, the
# least-squares slope of approach A's test accuracy against the bottleneck size, over
# the sizes run, in points per 100 units; the slopes are then tested against zero over
# the split seeds. A positive slope means that accuracy rises as the bottleneck widens,
# as the report found.
#
# This test is a family of one, apart from the ranking family above, and so is the
# held-out-speaker test further down: each asks a different question (does accuracy
# change with the size; does the baseline stay ahead on a voice never heard), decided
# on its own, so Holm's correction is applied within the ranking family only (whose
# comparisons together test one claim, the report's order).

# %%
sizes = np.array(B.bottlenecks, dtype=float)
slopes = np.array([np.polyfit(sizes / 100, acc.loc[s, a_cols].astype(float), 1)[0]
                   for s in acc.index])
slope_test = paired_test(slopes, label="slope")
report_a = dict(zip([50, 100, 150, 200, 250, 300, 350, 400],
                    [75.56, 86.67, 85.33, 88.89, 91.33, 91.56, 90.67, 91.78],
                    strict=True))
report_slope = np.polyfit(sizes / 100, [report_a[b] for b in B.bottlenecks], 1)[0]
print("slope per split seed (pt per 100 units):", np.round(100 * slopes, 2).tolist())
reading = {"higher": "rises as the bottleneck widens",
           "lower": "falls as the bottleneck widens",
           "no difference detected": "shows no slope that the split seeds can tell "
                                     "from zero",
           "undecided": "has a slope these split seeds cannot decide on"}
reading = reading[slope_test.outcome]
trend = (f"Over {len(acc)} split seeds, at sizes {', '.join(map(str, B.bottlenecks))}, "
         f"approach A's test accuracy {reading}; the slope against zero: "
         f"{slope_test.line(unit='pt per 100 units')}. The report's single run at the "
         f"same sizes gives {report_slope:+.2f} pt per 100 units.")
print(trend)
glue("trend_sentence", trend)

fig, ax = plt.subplots(figsize=(6.5, 3.4))
for j, s in enumerate(acc.index):
    ax.plot(B.bottlenecks, 100 * acc.loc[s, a_cols].astype(float), "o-", color=f"C{j}",
            label=f"split seed {s}")
ax.plot(list(report_a), list(report_a.values()), "s:", color="grey",
        label="report (seed 42, one run)")
ax.set_xlabel("bottleneck size")
ax.set_ylabel("test accuracy (%)")
ax.grid(alpha=0.3)
ax.legend(fontsize="small", loc="lower right")
ax.set_title("Approach A over split seeds")
fig.tight_layout()

# %% [markdown]
# ## Unseen speakers
#
# Each speaker in turn is held out for testing, while the other five train the baseline
# and approach A, 15% of their recordings kept for validation (stratified by digit), the
# MFCCs z-scored on the training speakers only; this runs at the full profile only. The
# split and the training are seeded with the first split seed. Approach A uses the size
# with the best mean validation accuracy over the split seeds above, a choice that
# leaks: {glue}`loso_leak`
#
# The baseline-minus-approach-A test over the held-out speakers is a family of one (see
# the slope test above for why).

# %%
def loso_split(speakers, held_out, seed):
    """Train and validate on the other speakers, test on `held_out`."""
    others = np.flatnonzero(speakers != held_out)
    train, val_idx = train_test_split(others, test_size=0.15, stratify=digits[others],
                                      random_state=seed)
    return make_split([np.sort(train), np.sort(val_idx),
                       np.flatnonzero(speakers == held_out)])


loso_b = size_of[val[a_cols].mean().idxmax()]
seeds_listed = ", ".join(map(str, B.split_seeds))
loso_leak = (
    f"the validation sets of split seeds {seeds_listed}, on which size {loso_b} was "
    "chosen, all hold recordings of every speaker (the table in the Data section), so "
    "each held-out speaker's voice was among those that chose approach A's size: the "
    "choice is not blind to the voice it is then tested on." if all_in_val else
    f"size {loso_b} was chosen on the validation sets of split seeds {seeds_listed}, "
    "and some of those hold recordings of speakers that are held out below (the table "
    "in the Data section), so their voices were among those that chose approach A's "
    "size: the choice is not blind to the voices it is then tested on.")
print(loso_leak)
glue("loso_leak", loso_leak)
LOSO_SEED = B.split_seeds[0]
loso_rows = []
if B.loso_speakers:
    for spk in sorted(set(speakers))[: B.loso_speakers]:
        d = loso_split(speakers, spk, LOSO_SEED)
        sb = baseline_mlp({k: d[k]["mean"] for k in SPLITS}, d, LOSO_SEED)
        sa = approach_a(d, loso_b, LOSO_SEED)
        loso_rows.append({"held-out speaker": spk,
                          "test recordings": len(d["test"]["y"]),
                          "baseline": sb["test accuracy"],
                          f"approach A ({loso_b})": sa["test accuracy"]})
        print(f"{spk}: baseline {sb['test accuracy']:.2%}, approach A ({loso_b}) "
              f"{sa['test accuracy']:.2%} "
              f"({sb['wall time (s)'] + sa['wall time (s)']:.0f} s)", flush=True)
else:
    print(f"no speaker is held out at the {B.profile} profile (see the budgets)")

# %%
a_loso = f"approach A ({loso_b})"
if loso_rows:
    loso = pd.DataFrame(loso_rows).set_index("held-out speaker")
    display(table(loso, percent=["baseline", a_loso], summary=True))
    gap = loso["baseline"] - loso[a_loso]
    gap_line = (paired_test(gap).line().replace("seeds", "held-out speakers")
                .replace("seed", "held-out speaker"))
    loso_summary = (
        f"Holding out each of {len(loso)} speakers in turn, the baseline scores "
        f"{mean_sd(loso['baseline'])} (from {loso['baseline'].min():.2%} to "
        f"{loso['baseline'].max():.2%}, depending on who is held out) and approach A "
        f"at {loso_b} {mean_sd(loso[a_loso])}, against {mean_sd(acc['baseline'])} and "
        f"{mean_sd(acc[a_loso])} over the split seeds"
        + (", where every voice was heard in training. " if all_everywhere else ". ")
        + f"The baseline was ahead of approach A for {int((gap > 0).sum())} of "
        f"the {len(loso)} held-out speakers; baseline minus approach A: {gap_line}.")
else:
    loso_summary = (f"Not run at the {B.profile} profile (see the budgets); the full "
                    "profile holds out each of the six speakers in turn.")
print(loso_summary)
glue("loso_summary", loso_summary)

# %% [markdown]
# ## What holds up
#
# Each sentence below follows the tests computed above. The report's numbers themselves
# are compared with ours in the first notebook, on its seed-42 split; here there is no
# second reported-versus-reproduced table, only the questions the report left open.
#
# - **How much the split moves the numbers.** Over {glue}`n_split_seeds` split seeds
#   (mean ± sd, the sd in points), the baseline scores {glue}`seeds_base` and approach
#   A at the size chosen on validation {glue}`seeds_a` (sizes chosen:
#   {glue}`chosen_sizes`); {glue}`seeds_b_sentence`. The first notebook's single numbers
#   on its seed-42 split are one draw from such a spread, and so, if its setup matches
#   ours, are the report's.
# - **The ranking baseline > approach A > approach B.** Baseline minus approach A:
#   {glue}`rank_base_a`. {glue}`rank_a_b_sentence`
# - **Approach A against the bottleneck size.** {glue}`trend_sentence`
# - **Unseen speakers** (full profile only). {glue}`speakers_sentence`
#   {glue}`loso_summary`

# %%
run.finish()

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```

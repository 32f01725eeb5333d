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
# # Spoken digits: MFCCs and autoencoders
#
# Problem 1 of the report *Assignment 3: AE, GAN and Attention* {cite}`report001`
# classifies the 3,000 recordings of the Free Spoken Digit Dataset
# {cite}`jackson2018fsdd` from their MFCCs, and asks how to turn a variable number of
# MFCC frames into one fixed-length vector for a classifier. It compares three answers:
#
# - **baseline**: the mean of the frames, 13 numbers, into a small MLP;
# - **approach A**: all frames, zero-padded and flattened, compressed by an autoencoder
#   whose bottleneck is swept from 50 to 400, the code into the same MLP;
# - **approach B**: a two-frame autoencoder and a "merger" network that folds an
#   utterance frame by frame into one 32-number embedding, into a larger MLP.
#
# ```{glue} provenance
# ```
#
# **What to look for.** The report finds the simple baseline best (93.11%, or 95.11% in
# one place: see the erratum), approach A close behind at large bottlenecks (91.56% at
# 300), and approach B far behind (72.89%), all from one training run each on one random
# split of 450 test recordings. This notebook re-runs all three, at the report's budget,
# on a split drawn the same way (stratified 70/15/15, seed 42), and sets our numbers
# beside the report's. It is not the report's split: a seeded split picks positions in
# a list of recordings, ours are listed by digit, speaker and take, and the report does
# not say in which order it listed its files, so the recordings in each part are almost
# surely different ones. How much the numbers move when only the split changes, whether
# the report's ranking and its trend with the bottleneck hold over other splits, and
# (full profile only) how the approaches fare on a speaker never heard in training are
# the subject of the companion notebook, {doc}`11_spoken_digits_mfcc_seeds`.
#
# ```{admonition} Run this chapter yourself
# :class: tip
# Download {download}`the source (.py) <11_spoken_digits_mfcc.py>` or
# {download}`the notebook (.ipynb) <11_spoken_digits_mfcc.ipynb>`. In a clone of the
# book's repository, `pip install -e .`; then
# `python -m shared.publish book/chapters/11_spoken_digits_mfcc.py` runs it at the `cpu`
# budget below, which is the report's own (`full` is the same), and adding
# `--profile smoke --out try.ipynb` runs a one-minute version.
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

from shared import budget, data, derived, plots
from shared.reporting import Comparison, Tolerance, glue, start_run, table
from shared.training import fit, set_seed

run = start_run("11_spoken_digits_mfcc")
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
print(f"device: {run.provenance.device}")

# %% [markdown]
# ## Budgets
#
# The full profile is the report's protocol on a split drawn as the report draws its
# own: the baseline, approach A at each of its eight bottleneck sizes, and approach B,
# one training run each, with the report's epochs and early stopping. It fits two CPU
# cores: on the machine that publishes the book, two earlier runs of these trainings
# took 16 and 21 minutes in all (an approach-A run, the longest, about 100 s; this run's
# wall times are in the tables below), so the `cpu` profile is the full one, unreduced.
# The smoke profile runs the same code for one or two epochs at two bottleneck sizes.

# %%
B = budget(
    full=dict(
        bottlenecks=[50, 100, 150, 200, 250, 300, 350, 400],
        mlp_epochs=100,  # baseline and approach A classifiers (patience 10)
        ae_epochs=100,  # approach A autoencoders (early stopping, patience 15)
        pair_epochs=50,  # approach B: two-frame autoencoder and merger (patience 5)
        mlp2_epochs=50,  # approach B classifier (patience 10)
        max_pairs=None,  # frame pairs used to train approach B's networks (None: all)
    ),
    smoke=dict(bottlenecks=[50, 300], mlp_epochs=2, ae_epochs=2, pair_epochs=1,
               mlp2_epochs=2, max_pairs=3000),
)
SEED = 42  # the report's split seed; seeding the training with it too is our choice
# the report's approach A accuracies (%), bottleneck 50 to 400
report_a = dict(zip([50, 100, 150, 200, 250, 300, 350, 400],
                    [75.56, 86.67, 85.33, 88.89, 91.33, 91.56, 90.67, 91.78],
                    strict=True))
# the comparisons below look up the report's pick (300) and the report's accuracy at
# every size run: a budget without them cannot be compared
assert 300 in B.bottlenecks, (
    f"the {B.profile} budget's bottlenecks {B.bottlenecks} must include 300, the "
    "report's pick, which the comparison tables look up")
assert set(B.bottlenecks) <= set(report_a), (
    f"the {B.profile} budget's bottlenecks {B.bottlenecks} must be sizes the report "
    f"ran ({sorted(report_a)}), so that each can be set against the report's accuracy")
display(B.table())

# %% [markdown]
# ## Data
#
# The book's `shared.derived.spoken_mfcc` builds the features as the report describes
# them: 13 MFCCs per 15 ms frame every 7.5 ms at the recordings' native 8 kHz, a
# stratified 70/15/15 split with seed 42, and every frame z-scored with the mean and
# standard deviation of all training frames (the Datasets appendix gives the recipe).
# The report does not say how many mel bands its MFCCs come from; 40 is our choice
# (librosa's default of 128 would leave most bands empty with the 61 frequency bins of
# a 15 ms frame at 8 kHz). Everything else about the MFCCs is librosa's default, our
# choice where the report is silent: a centred Hann window with zero padding at the
# ends, the power spectrum, mel filters on the Slaney scale and Slaney-normalised from
# 0 Hz to 4 kHz, decibels against a reference of 1 (floored 80 dB below each
# recording's peak) and an orthonormal DCT-II without liftering.
# For each recording it keeps the frame sequence, the mean frame (the baseline's input)
# and the zero-padded, flattened frames (approach A's input). {glue}`speakers_sentence`

# %%
SPLITS = ("train", "val", "test")


def split_data(features):
    """One split's inputs for the three approaches, from `spoken_mfcc`'s arrays."""
    return {s: {"frames": derived.frames_of(features, s), "mean": features[f"{s}_mean"],
                "padded": features[f"{s}_padded"], "y": features[f"{s}_y"]}
            for s in SPLITS}


mfcc = derived.spoken_mfcc(seed=SEED)
D = split_data(mfcc)
sizes = pd.DataFrame(
    {s: {"recordings": len(D[s]["y"]),
         "frames": int(sum(len(f) for f in D[s]["frames"])),
         "mean-vector input": str(D[s]["mean"].shape),
         "padded input": str(D[s]["padded"].shape)} for s in SPLITS}
).T.rename_axis("split")
display(table(sizes))
lengths = mfcc["train_lengths"]
print(f"frames per recording: {lengths.min()} to {lengths.max()} "
      f"(median {int(np.median(lengths))}); "
      f"padded to {mfcc['train_padded'].shape[1] // 13}")
# who speaks in each split: the split is stratified by digit, not by speaker
speakers = np.asarray(data.load_fsdd(progress=False)["speaker"])
per_split = pd.DataFrame({s: pd.Series(speakers[mfcc[f"{s}_index"]]).value_counts()
                          for s in SPLITS}).fillna(0).astype(int)
per_split = per_split.rename_axis("speaker").sort_index()
display(table(per_split))
n_speakers = len(per_split)
everywhere = int((per_split > 0).all(axis=1).sum())
speakers_sentence = (
    f"Of the {n_speakers} speakers, {everywhere} "
    + ("(all of them) have" if everywhere == n_speakers else "have")
    + " recordings in each of training, validation and test in this split "
    + f"(from {per_split['test'].min()} to {per_split['test'].max()} test recordings "
    + "a speaker; the table above)"
    + (", so every test voice was also heard in training." if everywhere == n_speakers
       else "; the others are missing from at least one part.")
)
print(speakers_sentence)
glue("speakers_sentence", speakers_sentence)

# %% [markdown]
# ## Baseline: the mean frame into an MLP
#
# Four hidden layers of 256, 128, 64 and 32 ReLU units, each followed by dropout 0.3,
# and a 10-way softmax; Adam, sparse categorical cross-entropy, batch 32, up to 100
# epochs with early stopping on the validation loss (patience 10, best weights
# restored). The same network classifies approach A's codes below.

# %%
def build_mlp(dim):
    model = keras.Sequential(
        [keras.Input(shape=(dim,))]
        + [block for units in (256, 128, 64, 32)
           for block in (layers.Dense(units, activation="relu"), layers.Dropout(0.3))]
        + [layers.Dense(10, activation="softmax")],
        name=f"mlp_{dim}",
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train_mlp(x, d, seed, log=True):
    """Fit the report's MLP on `x[split]`; return the model, its run and its scores."""
    set_seed(seed)
    model = build_mlp(x["train"].shape[1])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10,
                                         restore_best_weights=True)
    r = fit(model, x["train"], d["train"]["y"],
            validation_data=(x["val"], d["val"]["y"]),
            epochs=B.mlp_epochs, batch_size=32, callbacks=[stop], log=log)
    loss, acc = model.evaluate(x["test"], d["test"]["y"], batch_size=512, verbose=0)
    _, val_acc = model.evaluate(x["val"], d["val"]["y"], batch_size=512, verbose=0)
    return model, r, {"test accuracy": acc, "test loss": loss, "val accuracy": val_acc,
                      "epochs": r.epochs, "wall time (s)": r.wall_time}


build_mlp(13).summary()

# %% tags=["hide-output"]
base_model, base_run, base = train_mlp({s: D[s]["mean"] for s in SPLITS}, D, SEED)

# %%
print(f"baseline: test accuracy {base['test accuracy']:.2%}, "
      f"test loss {base['test loss']:.4f}, {base['epochs']} epochs")
glue("base_acc", base["test accuracy"], ".2%")
glue("base_loss", base["test loss"], ".4f")
plots.plot_history(base_run, metrics=("loss", "accuracy"), labels=["baseline MLP"],
                   title="Baseline: the mean MFCC frame into the MLP");

# %% [markdown]
# ## Approach A: padded frames through an autoencoder
#
# Every recording's normalised frames are zero-padded to the longest recording and
# flattened. An autoencoder compresses that vector: a 256-unit ReLU layer, a bottleneck,
# a 256-unit ReLU layer and a linear output of the input's size, L2 weight decay
# $10^{-3}$ on every dense layer, mean squared error, Adam, batch 32, up to 100 epochs
# with early stopping on the validation loss (patience 15, best weights restored). The
# trained encoder's codes go through the baseline's MLP. The report sweeps the
# bottleneck from 50 to 400. Where the report is silent, these are our choices:
#
# - a ReLU on the bottleneck layer (a linear bottleneck is the other common one);
# - a linear output layer (the report says only that it matches the input's size);
# - best weights restored by the MLP's early stopping on the codes, as for the baseline
#   (the report states the restore for the baseline and the autoencoder, not for this
#   MLP);
# - training seeded with 42, the split's seed, before each network is built.
#
# Keras's validation loss includes the L2 penalty, which grows with the bottleneck, so
# it cannot compare the sizes' reconstructions: we compute the reconstruction MSE on the
# validation recordings directly (the "AE val MSE" column below). To say whether the
# size changes it, we take a rule of our own: the size that reconstructs worst and the
# one that reconstructs best are scored on the same validation recordings, and the
# width is said to matter when their mean per-recording difference exceeds two standard
# errors of that difference (the factor of two the comparison table uses); a smaller
# difference is one these recordings cannot tell from the spread between recordings.

# %%
def build_autoencoder(dim, bottleneck):
    l2 = keras.regularizers.l2(1e-3)
    inputs = keras.Input(shape=(dim,))
    h = layers.Dense(256, activation="relu", kernel_regularizer=l2)(inputs)
    code = layers.Dense(bottleneck, activation="relu", kernel_regularizer=l2,
                        name="code")(h)
    h = layers.Dense(256, activation="relu", kernel_regularizer=l2)(code)
    outputs = layers.Dense(dim, kernel_regularizer=l2)(h)
    autoencoder = keras.Model(inputs, outputs, name=f"autoencoder_{bottleneck}")
    autoencoder.compile(optimizer="adam", loss="mse")
    return autoencoder, keras.Model(inputs, code, name=f"encoder_{bottleneck}")


def approach_a(d, bottleneck, seed, log=True):
    """Train the autoencoder, encode every split, classify the codes with the MLP."""
    start = time.perf_counter()
    x = {s: d[s]["padded"] for s in SPLITS}
    set_seed(seed)
    autoencoder, encoder = build_autoencoder(x["train"].shape[1], bottleneck)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=15,
                                         restore_best_weights=True)
    r_ae = fit(autoencoder, x["train"], x["train"],
               validation_data=(x["val"], x["val"]),
               epochs=B.ae_epochs, batch_size=32, callbacks=[stop], log=log)
    codes = {s: encoder.predict(x[s], batch_size=512, verbose=0) for s in SPLITS}
    # Keras's val_loss adds the L2 penalty, which grows with the bottleneck: the
    # reconstruction error alone, per validation recording (the restored best weights)
    rec = keras.ops.convert_to_numpy(autoencoder(x["val"], training=False))
    val_mse = ((rec - x["val"]) ** 2).mean(axis=1)
    mlp, r_mlp, scores = train_mlp(codes, d, seed, log=log)
    scores.update({"AE epochs": r_ae.epochs, "AE val MSE": float(val_mse.mean()),
                   "wall time (s)": time.perf_counter() - start})
    return autoencoder, mlp, scores, val_mse


build_autoencoder(D["train"]["padded"].shape[1], 300)[0].summary()

# %% [markdown]
# The log of all eight sweeps is folded away: one line per epoch, first the
# autoencoder's, then the MLP's.

# %% tags=["hide-output"]
sweep, autoencoders, a_mlps, val_mse = {}, {}, {}, {}
for b in B.bottlenecks:
    print(f"--- bottleneck {b}")
    autoencoders[b], a_mlps[b], sweep[b], val_mse[b] = approach_a(D, b, SEED)

# %%
sweep_table = pd.DataFrame(sweep).T.rename_axis("bottleneck")
display(table(sweep_table, percent=["test accuracy", "val accuracy"],
              decimals={"wall time (s)": 1}))
best_b = int(sweep_table["val accuracy"].idxmax())
print(f"best bottleneck by validation accuracy: {best_b}")
glue("best_b", best_b, "d")
glue("best_b_acc", sweep[best_b]["test accuracy"], ".2%")
glue("a_min_acc", sweep_table["test accuracy"].min(), ".2%")
glue("a_max_acc", sweep_table["test accuracy"].max(), ".2%")
glue("a_time", sweep_table["wall time (s)"].sum() / 60, ".1f")
# least-squares slopes of test accuracy against size (pt per 100 units), one run each
ran = np.array(B.bottlenecks, dtype=float)
slope_ours = np.polyfit(ran / 100, 100 * sweep_table["test accuracy"].values, 1)[0]
slope_report = np.polyfit(ran / 100, [report_a[b] for b in B.bottlenecks], 1)[0]
glue("a_slope", f"{slope_ours:+.2f}")
glue("a_slope_report", f"{slope_report:+.2f}")
# reconstruction MSE on the validation recordings, without the L2 penalty
ae_mse = sweep_table["AE val MSE"]
lo, hi = int(ae_mse.idxmin()), int(ae_mse.idxmax())
ae_spread = ae_mse.max() / ae_mse.min() - 1
# the worst size against the best on the same validation recordings: the mean
# per-recording difference and two standard errors of it
diff = val_mse[hi] - val_mse[lo]
two_se = 2 * diff.std(ddof=1) / np.sqrt(len(diff))
width_matters = diff.mean() > two_se
ae_sentence = (
    f"Measured without the weight-decay penalty (which Keras adds to the validation "
    f"loss, and which grows with the bottleneck), the autoencoders' reconstruction MSE "
    f"on the {len(diff)} validation recordings lies between {ae_mse.min():.4f} (size "
    f"{lo}) and {ae_mse.max():.4f} (size {hi}), {ae_spread:.1%} apart; the mean "
    f"per-recording difference between those two sizes is {diff.mean():.4f} against "
    f"two standard errors of {two_se:.4f}: "
    + ("the bottleneck's width does change how well the input is reconstructed on "
       "these recordings." if width_matters else
       "within what these validation recordings can resolve, so the width of the code "
       "is not shown to limit the reconstruction here, and a wider code need not give "
       "the classifier more to work with."))
print(ae_sentence)
glue("ae_sentence", ae_sentence)

fig, ax = plt.subplots(figsize=(6.5, 3.4))
ax.plot(sweep_table.index, 100 * sweep_table["test accuracy"], "o-",
        label="approach A (ours)")
ax.plot(list(report_a), list(report_a.values()), "s:", color="grey",
        label="approach A (report)")
ax.axhline(100 * base["test accuracy"], ls="--", color="C3", label="baseline (ours)")
ax.set_xlabel("bottleneck size")
ax.set_ylabel("test accuracy (%)")
ax.grid(alpha=0.3)
ax.legend(fontsize="small", loc="lower right")
ax.set_title("Approach A: test accuracy against bottleneck size")
fig.tight_layout()

# %% [markdown]
# The model is selected on the validation split, not on the test set: the bottleneck
# with the highest validation accuracy is {glue}`best_b`, whose test accuracy is
# {glue}`best_b_acc`. The report picked 300 by its test accuracy, "closely approaching"
# that of 400, the highest, with a smaller code; our 300 is shown too, in the tables
# below. Here, three test utterances' MFCCs beside their reconstructions by the
# autoencoder chosen on validation: the padding after each utterance's end is zero, and
# the decoder has to reproduce it too.

# %%
n_frames = D["train"]["padded"].shape[1] // 13
picks = [int(np.flatnonzero(D["test"]["y"] == digit)[0]) for digit in (0, 4, 8)]
decoded = autoencoders[best_b].predict(D["test"]["padded"][picks], verbose=0)
fig, axes = plt.subplots(len(picks), 2, figsize=(9, 1.9 * len(picks)), sharex=True)
for row, (i, dec) in enumerate(zip(picks, decoded, strict=True)):
    used = len(D["test"]["frames"][i]) + 10
    for col, (matrix, what) in enumerate(((D["test"]["padded"][i], "original"),
                                          (dec, f"decoded ({best_b}-d code)"))):
        ax = axes[row, col]
        im = ax.imshow(matrix.reshape(n_frames, 13)[:used].T, aspect="auto",
                       origin="lower", cmap="coolwarm", vmin=-3, vmax=3)
        ax.set_title(f"digit {D['test']['y'][i]}: {what}", fontsize=10)
        ax.set_ylabel("MFCC")
for ax in axes[-1]:
    ax.set_xlabel("frame (7.5 ms)")
fig.colorbar(im, ax=axes, shrink=0.6, label="z-scored value")

# %% [markdown]
# ## Approach B: chained two-frame embeddings
#
# **Two-frame autoencoder.** Every pair of consecutive frames (26 numbers) is encoded
# through a 128-unit ReLU layer into 32 numbers and decoded through a 128-unit ReLU
# layer; Adam ($10^{-3}$), MSE, batch 64, up to 50 epochs, early stopping patience 5.
#
# **Merger.** Given the code of the pair ending at frame $t$ and frame $t+1$ (32 + 13
# numbers), a 64-unit ReLU layer and a linear layer predict the code of the next pair,
# the one ending at $t+1$; same training settings.
#
# **Utterance embedding.** The first pair is encoded, then the merger folds in one frame
# at a time until the last; an utterance of a single frame duplicates it into a pair. We
# compute the chain for all utterances of a split at once, one step per frame position.
#
# **Classifier.** 512, 256, 128 and 64 ReLU units, each followed by batch normalisation
# and dropout 0.2; Adam ($10^{-3}$), batch 16, up to 50 epochs, early stopping patience
# 10 and the learning rate halved after 3 epochs without improvement.
#
# Where the report is silent, these are our choices:
#
# - the 32-number code of the two-frame autoencoder is linear (no activation);
# - neither the two-frame autoencoder nor the merger restores its best weights when
#   early stopping ends it, and neither does the classifier (the report says so for
#   none of the three);
# - the two-frame autoencoder and the merger are both validated, for early stopping,
#   on the pairs of the validation split's utterances (the report names no validation
#   data for the merger);
# - the merger is trained only on utterances of three frames or more, the shortest
#   that give it an input (a pair's code and a next frame) and a target;
# - the classifier's early stopping and learning-rate schedule both watch the
#   validation loss;
# - training is seeded with 42, the split's seed, before each network is built.

# %%
def build_pair_autoencoder():
    inputs = keras.Input(shape=(26,))
    code = layers.Dense(32, name="code")(layers.Dense(128, activation="relu")(inputs))
    outputs = layers.Dense(26)(layers.Dense(128, activation="relu")(code))
    autoencoder = keras.Model(inputs, outputs, name="pair_autoencoder")
    autoencoder.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return autoencoder, keras.Model(inputs, code, name="pair_encoder")


def build_merger():
    inputs = keras.Input(shape=(32 + 13,))
    outputs = layers.Dense(32)(layers.Dense(64, activation="relu")(inputs))
    merger = keras.Model(inputs, outputs, name="merger")
    merger.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return merger


def build_mlp2(dim):
    model = keras.Sequential(
        [keras.Input(shape=(dim,))]
        + [block for units in (512, 256, 128, 64)
           for block in (layers.Dense(units, activation="relu"),
                         layers.BatchNormalization(), layers.Dropout(0.2))]
        + [layers.Dense(10, activation="softmax")],
        name="improved_mlp",
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def frame_pairs(frames):
    """(frame t, frame t+1) of every utterance with two frames or more, concatenated."""
    return np.concatenate([np.hstack([f[:-1], f[1:]]) for f in frames if len(f) > 1])


def merger_data(frames, encoder):
    """Inputs [code of pair (t-1, t), frame t+1] and targets code of pair (t, t+1)."""
    usable = [f for f in frames if len(f) > 2]
    codes = encoder.predict(frame_pairs(usable), batch_size=4096, verbose=0)
    ends = np.cumsum([len(f) - 1 for f in usable])
    x, y = [], []
    for f, z in zip(usable, np.split(codes, ends[:-1]), strict=True):
        x.append(np.hstack([z[:-1], f[2:]]))
        y.append(z[1:])
    return np.concatenate(x), np.concatenate(y)


def embed(frames, encoder, merger):
    """Chain every utterance of a split into one 32-d code, one frame step at a time."""
    lengths = np.array([len(f) for f in frames])
    padded = np.zeros((len(frames), lengths.max(), 13), np.float32)
    for i, f in enumerate(frames):
        padded[i, : len(f)] = f
    # an utterance of one frame duplicates it into a pair
    second = np.where(lengths[:, None] > 1, padded[:, 1], padded[:, 0])
    z = keras.ops.convert_to_numpy(encoder(np.hstack([padded[:, 0], second])))
    # every row at every step (one input shape), the result kept where t < T
    for t in range(2, lengths.max()):
        step = keras.ops.convert_to_numpy(merger(np.hstack([z, padded[:, t]])))
        z = np.where((lengths > t)[:, None], step, z)
    return z


def subsample(x, y, n, seed):
    """At most `n` rows of `x` (and of `y`, if given), drawn without replacement."""
    if n is None or len(x) <= n:
        return x, y
    keep = np.random.default_rng(seed).choice(len(x), n, replace=False)
    return x[keep], (None if y is None else y[keep])


def approach_b(d, seed, log=True):
    start = time.perf_counter()
    stop = {"monitor": "val_loss", "patience": 5}
    set_seed(seed)
    pair_ae, encoder = build_pair_autoencoder()
    p_train = subsample(frame_pairs(d["train"]["frames"]), None, B.max_pairs, seed)[0]
    p_val = frame_pairs(d["val"]["frames"])
    fit(pair_ae, p_train, p_train, validation_data=(p_val, p_val),
        epochs=B.pair_epochs, batch_size=64,
        callbacks=[keras.callbacks.EarlyStopping(**stop)], log=log)
    set_seed(seed)
    merger = build_merger()
    m_train = subsample(*merger_data(d["train"]["frames"], encoder), B.max_pairs, seed)
    m_val = merger_data(d["val"]["frames"], encoder)
    fit(merger, *m_train, validation_data=m_val, epochs=B.pair_epochs,
        batch_size=64, callbacks=[keras.callbacks.EarlyStopping(**stop)], log=log)
    emb = {s: embed(d[s]["frames"], encoder, merger) for s in SPLITS}
    set_seed(seed)
    mlp2 = build_mlp2(32)
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=10),
                 keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                                   patience=3)]
    r_mlp2 = fit(mlp2, emb["train"], d["train"]["y"],
                 validation_data=(emb["val"], d["val"]["y"]), epochs=B.mlp2_epochs,
                 batch_size=16, callbacks=callbacks, log=log)
    loss, acc = mlp2.evaluate(emb["test"], d["test"]["y"], batch_size=512, verbose=0)
    _, val_acc = mlp2.evaluate(emb["val"], d["val"]["y"], batch_size=512, verbose=0)
    # the final networks' errors on the validation pairs (no best weights restored),
    # and the variance, per number, of what each one predicts: the z-scored pairs for
    # the autoencoder, the next pair's code for the merger
    def mse(model, x, target):
        out = keras.ops.convert_to_numpy(model(x, training=False))
        return float(((out - target) ** 2).mean())

    scores = {"test accuracy": acc, "test loss": loss, "val accuracy": val_acc,
              "pair AE val MSE": mse(pair_ae, p_val, p_val),
              "pair val variance": float(p_val.var(axis=0).mean()),
              "merger val MSE": mse(merger, *m_val),
              "merger target variance": float(m_val[1].var(axis=0).mean()),
              "wall time (s)": time.perf_counter() - start}
    return mlp2, r_mlp2, emb, scores


for model in (build_pair_autoencoder()[0], build_merger(), build_mlp2(32)):
    model.summary()

# %% tags=["hide-output"]
b_model, b_run, b_emb, b_scores = approach_b(D, SEED)

# %%
print(f"approach B: test accuracy {b_scores['test accuracy']:.2%}; "
      f"two-frame AE val MSE {b_scores['pair AE val MSE']:.4f} "
      f"(variance of the pairs {b_scores['pair val variance']:.4f}), "
      f"merger val MSE {b_scores['merger val MSE']:.4f} "
      f"(variance of its targets {b_scores['merger target variance']:.4f})")
glue("b_acc", b_scores["test accuracy"], ".2%")
# each network's validation error as a share of the variance of what it predicts
pair_share = b_scores["pair AE val MSE"] / b_scores["pair val variance"]
merge_share = b_scores["merger val MSE"] / b_scores["merger target variance"]
NEAR_EXACT = 0.1  # our bar for "almost exactly": under a tenth of the variance left
near_exact = pair_share < NEAR_EXACT and merge_share < NEAR_EXACT
b_sentence = (
    f"On the validation split's pairs, the two-frame autoencoder's MSE is "
    f"{b_scores['pair AE val MSE']:.4f} against a variance of "
    f"{b_scores['pair val variance']:.4f} per number of the z-scored pairs it "
    f"reproduces ({pair_share:.1%} of it left), and the merger's is "
    f"{b_scores['merger val MSE']:.4f} against a variance of "
    f"{b_scores['merger target variance']:.4f} per number of the codes it predicts "
    f"({merge_share:.1%}). "
    + ("Both are under a tenth of the variance, our bar for \"almost exactly\", so "
       "ours come close to that limit: the chained embedding is then close to the "
       "code of the utterance's last two frames, and it remembers little of what came "
       "before them." if near_exact else
       "At least one is not under a tenth of the variance, our bar for \"almost "
       "exactly\", so ours stop short of that limit, and this argument alone does not "
       "say how much of the utterance the chained embedding keeps."))
print(b_sentence)
glue("b_sentence", b_sentence)
plots.plot_history(b_run, metrics=("loss", "accuracy"), labels=["improved MLP"],
                   title="Approach B: the classifier on chained 32-d embeddings");

# %% [markdown]
# ## The three approaches side by side

# %%
compare = pd.DataFrame({
    "baseline": {"feature dimension": 13, **base},
    f"approach A ({best_b})": {"feature dimension": best_b, **sweep[best_b]},
    "approach A (300, the report's pick)": {"feature dimension": 300, **sweep[300]},
    "approach B": {"feature dimension": 32, **b_scores},
}).T.rename_axis("approach")
compare = compare[["feature dimension", "test accuracy", "test loss", "val accuracy",
                   "wall time (s)"]].astype(float)
display(table(compare, percent=["test accuracy", "val accuracy"],
              decimals={"wall time (s)": 1}))
best_name = compare["val accuracy"].idxmax()
glue("best_name", best_name)
three = {"the baseline": base["test accuracy"],
         f"approach A at {best_b}": sweep[best_b]["test accuracy"],
         "approach B": b_scores["test accuracy"]}
ranked = sorted(three, key=three.get, reverse=True)
# the report's order, baseline > A > B, strictly: a tie is not that order
values = list(three.values())
as_reported = values[0] > values[1] > values[2]
chain_text = ranked[0] + "".join(
    f" {'=' if three[k] == three[prev] else '>'} {k}"
    for prev, k in zip(ranked, ranked[1:], strict=False))
size_note = ("the report's pick too" if best_b == 300 else
             "the report ranks its own pick, 300")
order = (f"On our seed-42 split, with approach A at {best_b}, the size chosen on "
         f"validation ({size_note}), the three rank {chain_text} "
         f"({', '.join(f'{three[k]:.2%}' for k in ranked)}): "
         + ("the report's order." if as_reported else
            "not the report's order (baseline > approach A > approach B, each strictly "
            "ahead)."))
print(order)
glue("order_sentence", order)

# %% [markdown]
# The confusion matrix of the approach with the best validation accuracy,
# {glue}`best_name`, on the 450 test recordings:

# %%
def predict_test(name):
    if name == "baseline":
        return base_model.predict(D["test"]["mean"], verbose=0)
    if name == "approach B":
        return b_model.predict(b_emb["test"], verbose=0)
    dim = int(compare.loc[name, "feature dimension"])  # an approach A row
    ae = autoencoders[dim]
    encoder = keras.Model(ae.inputs, ae.get_layer("code").output)
    codes = encoder.predict(D["test"]["padded"], verbose=0)
    return a_mlps[dim].predict(codes, verbose=0)


pred = predict_test(best_name).argmax(axis=1)
plots.confusion_matrix(D["test"]["y"], pred, class_names=[str(d) for d in range(10)],
                       title=f"Test set: {best_name}");

# %% [markdown]
# ```{admonition} Erratum: two baseline accuracies
# :class: warning
# The report gives the baseline's test accuracy as 95.11%, twice, in its results
# section (§1.1.2), and as 93.11% everywhere after it: six times in its text (twice in
# approach A's results, where it says the first figure was "adjusted to match the
# plot", once in approach B's, in the comparison's prose and its Table 1, and in the
# conclusion), and as 0.9311 in the caption of its figure of approach A, where it is
# drawn. Only one run is described. We judge our baseline against 93.11%, and show
# 95.11% beside it in the table at the end without a verdict, so that one run is not
# counted twice. Its test loss is given as 0.2502 with the note "exact value to be
# inserted", so it may be a placeholder.
# ```
#
# ## Other splits, and unseen speakers
#
# Every number above comes from one random split and one training run per setting.
# {glue}`speakers_sentence` How far these numbers move when only the split changes,
# whether the report's ranking and its trend with the bottleneck hold over other split
# seeds (paired tests over the seeds), and (full profile only) how the baseline and
# approach A do on a speaker held out of training are in the companion notebook
# {doc}`11_spoken_digits_mfcc_seeds`.
#
# ## Reported versus reproduced
#
# Every row compares one run of the report's with one run of ours on a split drawn the
# same way (seed 42), at the report's budget. Each accuracy is measured on 450 test
# recordings, the report's and ours (almost surely different recordings, as the
# introduction explains, so they are counted as two independent draws): the tolerance is
# two standard errors of the difference between two such accuracies. With a single run
# of ours the rule has no seed term, so the interval is that tolerance alone: it covers
# the sampling of the test recordings, not the way one training run or one split can
# land away from another. A row that differs is therefore farther from the report than
# the test sets alone explain; how large the run-to-run spread is, over other split
# seeds, the companion notebook measures. The test loss is a mean over the 450
# recordings, with a relative tolerance of two standard errors of that mean on each
# side, measured on our baseline. The report's second baseline accuracy, 95.11%, is the
# same run set against another printed value (see the erratum): it is shown without a
# verdict and not counted.

# %%
y_test = D["test"]["y"]
base_losses = keras.ops.convert_to_numpy(keras.losses.sparse_categorical_crossentropy(
    y_test, base_model.predict(D["test"]["mean"], verbose=0)))
n_test = len(y_test)
rows = [
    Comparison("baseline test accuracy (Table 1)", 0.9311, base["test accuracy"],
               Tolerance.binomial(0.9311, n_test), kind="percent"),
    Comparison("baseline test accuracy (§1.1.2, see erratum)", 0.9511,
               base["test accuracy"], kind="percent",
               unjudged="the same baseline run as the row above, set against the "
                        "report's other printed value for it (see the erratum); "
                        "judged once, against 93.11%"),
    Comparison("baseline test loss", 0.2502, base["test loss"],
               Tolerance.mean(base_losses, "a mean cross-entropy", relative=True)),
]
for b in B.bottlenecks:
    p = report_a[b] / 100
    rows.append(Comparison(f"approach A test accuracy, bottleneck {b}", p,
                           sweep[b]["test accuracy"], Tolerance.binomial(p, n_test),
                           kind="percent"))
rows.append(Comparison("approach B test accuracy", 0.7289, b_scores["test accuracy"],
                       Tolerance.binomial(0.7289, n_test), kind="percent"))
comparison = run.compare(rows, glue_counts=True)
verdict = dict(zip(comparison["quantity"], comparison["verdict"], strict=True))
glue("v_base", verdict["baseline test accuracy (Table 1)"])
glue("base_alt_diff", f"{100 * (base['test accuracy'] - 0.9511):+.2f}")
glue("v_loss", verdict["baseline test loss"])
# the test loss's interval, and how much of our mean loss its worst recordings carry
loss_rec = rows[2].record()
glue("loss_tol", loss_rec["interval"], ".4f")
glue("loss_tol_rel", loss_rec["interval"] / 0.2502, ".0%")
worst = np.sort(base_losses)[::-1][: max(1, n_test // 20)]
glue("loss_worst_n", len(worst), "d")
glue("loss_worst_share", worst.sum() / base_losses.sum(), ".0%")
glue("v_b", verdict["approach B test accuracy"])
a_rows = [q for q in verdict if q.startswith("approach A")]
glue("n_a_rows", len(a_rows), "d")
glue("n_a_agree", sum(verdict[q] == "agrees" for q in a_rows), "d")

# %% [markdown]
# Of the {glue}`n_judged` numbers judged, {glue}`n_agrees` agree with the report by
# the rule above and {glue}`n_differs` differ; {glue}`n_not_judged` more is shown
# without a verdict (the baseline against 95.11%, see the erratum).
#
# ## What holds up
#
# Each verdict below is the one computed in the table above, from one run of ours on
# our seed-42 split.
#
# - **The baseline** scores {glue}`base_acc`: against the report's 93.11%
#   **{glue}`v_base`**. Ours minus the report's other value, 95.11%, is
#   {glue}`base_alt_diff` points; that row has no verdict (the same run, judged once).
# - **The ranking baseline > approach A > approach B.** {glue}`order_sentence` These are
#   single runs on one split; whether the order holds over other splits is tested in
#   {doc}`11_spoken_digits_mfcc_seeds`.
# - **The test loss.** Ours is {glue}`base_loss` against the report's 0.2502, which the
#   report itself marks as a value still to be inserted (**{glue}`v_loss`**). The
#   interval is ±{glue}`loss_tol`, {glue}`loss_tol_rel` of the report's value; the
#   {glue}`loss_worst_n` test recordings with the highest loss (the worst 5%) carry
#   {glue}`loss_worst_share` of our total.
# - **Approach A against the bottleneck size.** The report's accuracy rises with the
#   bottleneck, from 75.56% at 50 to 91.78% at 400. Ours lies between {glue}`a_min_acc`
#   and {glue}`a_max_acc` over the sweep, highest on validation at {glue}`best_b`
#   ({glue}`best_b_acc` on the test recordings); of the {glue}`n_a_rows` sizes,
#   {glue}`n_a_agree` agree with the report's. Over the sizes run, the least-squares
#   slope of test accuracy against size is {glue}`a_slope` points per 100 units for us
#   and {glue}`a_slope_report` for the report, each from one run; whether a slope
#   survives other splits is tested in the companion notebook. {glue}`ae_sentence` The
#   sweep took {glue}`a_time` minutes.
# - **Approach B** scores {glue}`b_acc` against the report's 72.89% (**{glue}`v_b`**).
#   The method has a structural limit. The two-frame autoencoder's code (32 numbers) is
#   larger than its input (26), so nothing in its shape stops it from reproducing a pair
#   exactly, and the merger is trained to predict the code of the next pair, which
#   depends on that pair's two frames alone. A merger that did this perfectly would
#   return the code of the utterance's last two frames, whatever came before them: the
#   better both networks are trained, the less the chained embedding remembers of the
#   utterance. {glue}`b_sentence`

# %%
run.finish()

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```

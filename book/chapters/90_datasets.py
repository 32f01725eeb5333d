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
# # Datasets
#
# Every chapter takes its data from the book's `shared` package. This appendix shows
# each dataset as the chapters receive it: where it comes from, its sizes and shapes per
# split (printed from the arrays themselves), its class balance, a grid of samples, and,
# for the datasets the reports built from the real ones, the exact recipe and its
# parameters.
#
# ```{glue} provenance
# ```
#
# **How raw files are found.** Each raw file is looked for in the local cache, then in a
# read-only mirror folder (`BOOK_DATA_MIRROR`), then downloaded from its canonical
# address with a progress bar, and verified before use: MNIST by sha256, CIFAR-10 by the
# sha256 of its decoded arrays (so the official tarball and an `.npz` copy of the same
# arrays pass the same check), the spoken digits by content (the archive's bytes differ
# between hosts). Derived datasets are deterministic functions of the raw data and their
# parameters, cached on disk under a key made of both.
#
# ```{admonition} Run this appendix yourself
# :class: tip
# Download {download}`the source (.py) <90_datasets.py>` or
# {download}`the notebook (.ipynb) <90_datasets.ipynb>`. In a clone of the book's
# repository, `pip install -e .`; then
# `python -m shared.publish book/chapters/90_datasets.py` builds every dataset as shown
# here, and adding `--profile smoke --out try.ipynb` builds the two largest at a small
# size.
# ```

# %% tags=["remove-stderr"]
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import resource
import time
import warnings

# tqdm without ipywidgets
warnings.filterwarnings("ignore", message="IProgress not found")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from shared import budget, data, derived, plots
from shared.reporting import glue, start_run, table

run = start_run("90_datasets")
print(f"device: {run.provenance.device}")

# %% [markdown]
# ## Budgets
#
# The full profile builds every derived dataset at the size the chapters use; the smoke
# profile builds the two largest at a small size. The real datasets and the spoken-digit
# features are always complete.

# %%
B = budget(
    full=dict(two_digits=(36_000, 4_000, 4_000), digit_sums=(50_000, 10_000)),
    smoke=dict(two_digits=(2_000, 400, 400), digit_sums=(2_000, 500)),
)
display(B.table())
timings = {}


def timed(name, build, *args, **kwargs):
    """Build a dataset twice: the first call may build, the second reads the cache."""
    start = time.perf_counter()
    result = build(*args, **kwargs)
    first = time.perf_counter() - start
    start = time.perf_counter()
    build(*args, **kwargs)
    second = time.perf_counter() - start
    timings[name] = {"first call (s)": round(first, 2),
                     "second call (s)": round(second, 2)}
    return result


def shapes(arrays: dict):
    """Shape, dtype and value range of each array, read from the arrays themselves."""
    frame = pd.DataFrame(
        [{"array": k, "shape": str(v.shape), "dtype": str(v.dtype), "min": v.min(),
          "max": v.max()} for k, v in arrays.items() if v.ndim]
    ).set_index("array")
    return table(frame, decimals=2)


# %% [markdown]
# ## MNIST
#
# Handwritten digits 0-9 as 28×28 grey-scale images {cite}`lecun1998mnist`, read from
# the four original IDX files (`train-images-idx3-ubyte.gz` and friends), in the
# official order. Licence: CC BY-SA 3.0 (Y. LeCun, C. Cortes, C. J. C. Burges). Used by
# report 003 directly and, through the derived datasets below, by reports 000, 001 and
# 002.

# %%
DIGITS = [str(d) for d in range(10)]
(mx_train, my_train), (mx_test, my_test) = timed("MNIST (IDX files)", data.load_mnist,
                                                 progress=False)
display(shapes({"x_train": mx_train, "y_train": my_train, "x_test": mx_test,
                "y_test": my_test}))
plots.class_balance({"train": my_train, "test": my_test}, class_names=DIGITS,
                    title="MNIST: images per digit")
plots.image_grid(mx_train[:30], titles=my_train[:30], ncols=15,
                 title="MNIST: the first 30 training images");

# %% [markdown]
# ## CIFAR-10
#
# 32×32 colour photographs in ten classes {cite}`krizhevsky2009cifar`, 50,000 for
# training and 10,000 for testing, in the official order of the python tarball
# `cifar-10-python.tar.gz` (training batches 1-5, then the test batch). Used by report
# 004.

# %%
(cx_train, cy_train), (cx_test, cy_test) = timed("CIFAR-10", data.load_cifar10,
                                                 progress=False)
display(shapes({"x_train": cx_train, "y_train": cy_train, "x_test": cx_test,
                "y_test": cy_test}))
plots.class_balance({"train": cy_train, "test": cy_test},
                    class_names=data.CIFAR10_CLASSES,
                    title="CIFAR-10: images per class")
first_of_class = [int(np.flatnonzero(cy_train == c)[i])
                  for i in range(3) for c in range(10)]
plots.image_grid(cx_train[first_of_class],
                 titles=[data.CIFAR10_CLASSES[cy_train[i]] for i in first_of_class],
                 ncols=10, size=1.3,
                 title="CIFAR-10: the first three training images of each class");

# %% [markdown]
# ## Free Spoken Digit Dataset
#
# Recordings of spoken digits {cite}`jackson2018fsdd`, version 1.0.10: 3,000 mono WAV
# files at 8 kHz, six speakers each saying each digit 50 times, named
# `{digit}_{speaker}_{index}.wav`. Licence: CC BY-SA 4.0. The audio is returned at its
# native rate, without resampling. Used by report 001 (problems 1 and 4B).

# %%
fsdd = timed("FSDD v1.0.10", data.load_fsdd, progress=False)
durations = np.array([len(a) / fsdd["rate"] for a in fsdd["audio"]])
print(f"{len(fsdd['audio']):,} recordings at {fsdd['rate']} Hz; "
      f"duration {durations.min():.2f}-{durations.max():.2f} s "
      f"(median {np.median(durations):.2f} s)")
per_speaker = pd.crosstab(pd.Series(fsdd["speaker"], name="speaker"),
                          pd.Series(fsdd["digit"], name="digit"))
per_speaker.columns = [f"digit {d}" for d in per_speaker.columns]
display(table(per_speaker))
fig, ax = plt.subplots(figsize=(6, 2.5))
ax.hist(durations, bins=50)
ax.set_xlabel("duration (s)")
ax.set_ylabel("recordings")
ax.set_title("FSDD: recording durations")
fig.tight_layout()

# %% [markdown]
# Four recordings, one per row: the waveform and its log-mel spectrogram.

# %%
import librosa

examples = [int(np.flatnonzero((fsdd["digit"] == d) & (fsdd["speaker"] == s))[0])
            for d, s in ((0, "george"), (3, "jackson"), (7, "theo"), (9, "yweweler"))]
fig, axes = plt.subplots(len(examples), 2, figsize=(10, 2.2 * len(examples)))
for (ax_wave, ax_spec), i in zip(axes, examples, strict=True):
    audio = fsdd["audio"][i]
    plots.waveform(audio, sr=fsdd["rate"], ax=ax_wave, title=fsdd["name"][i])
    mel = librosa.feature.melspectrogram(y=audio, sr=fsdd["rate"], n_fft=256,
                                         hop_length=32, n_mels=64)
    plots.spectrogram(librosa.power_to_db(mel, ref=np.max), sr=fsdd["rate"],
                      hop_length=32, ax=ax_spec,
                      title=f"log-mel spectrogram (dB), digit {fsdd['digit'][i]}")
fig.tight_layout()

# %% [markdown]
# ## Reduced MNIST (report 001, problems 2, 3 and 4A)
#
# **Recipe.** From the MNIST training set, each digit's images are put in one random
# order (NumPy generator, seed 0) and the first 1,000 of each digit are kept; from the
# MNIST test set, the first 200 of each digit in the same way: 10,000 training and 2,000
# test images. Because each class's order is fixed by the seed, the 300- and
# 700-per-class training sets are the first 300 and 700 of that order, and so are nested
# in the 1,000 one: an experiment that compares them changes only how much data it sees.
# Problem 4A's variant takes 500 per class for training and 100 per class for testing
# (5,000 / 1,000) by the same rule.

# %%
reduced = {k: timed(f"Reduced MNIST {k[0]}/{k[1]} per class", derived.reduced_mnist, *k)
           for k in ((1000, 200), (700, 200), (300, 200), (500, 100))}
rows = []
for (tr, te), d in reduced.items():
    rows.append({"train per class": tr, "test per class": te,
                 "x_train": str(d["x_train"].shape), "x_test": str(d["x_test"].shape),
                 "train counts": set(np.bincount(d["y_train"]).tolist()),
                 "test counts": set(np.bincount(d["y_test"]).tolist())})
display(table(pd.DataFrame(rows), index=False))
full_set = set(reduced[(1000, 200)]["train_index"])
in_700 = set(reduced[(700, 200)]["train_index"])
assert set(reduced[(300, 200)]["train_index"]) <= in_700 <= full_set
print("300 ⊂ 700 ⊂ 1000 per class (training sets nested): True")
r = reduced[(1000, 200)]
plots.image_grid(r["x_train"][:20], titles=r["y_train"][:20], ncols=10,
                 title="Reduced MNIST 1000/200: first 20 training images");

# %% [markdown]
# ## Two overlapping digits (report 002)
#
# **Recipe.** Each 42×28 image stacks two MNIST digits: the top digit fills rows 0-27,
# the bottom digit rows 14-41, so 14 rows overlap, and in the overlap the brighter pixel
# wins (maximum). Labels are (top, bottom). The MNIST training set is split 90/10,
# stratified (scikit-learn, seed 0), into a pool for training images and a pool for
# validation images; test images draw from the MNIST test set. Each image draws its two
# digits at random, with replacement, from its own split's pool (NumPy generator, seed
# 0), so no source digit appears in two splits. Sizes as in the report: 36,000 train,
# 4,000 validation, 4,000 test. (The report's data section says 48×28, but every layer
# shape it gives implies 42×28, which is also what two 28-row digits overlapping by 14
# rows make.)

# %%
two = timed("Two digits", derived.two_digits, *B.two_digits)
display(shapes({k: v for k, v in two.items() if k.startswith(("x_", "y_"))}))
pools = {s: set(np.unique(two[f"{s}_source"])) for s in ("train", "val")}
shared_sources = len(pools["train"] & pools["val"])
print(f"source digits shared by train and validation: {shared_sources}")
plots.class_balance({"train top": two["y_train"][:, 0],
                     "train bottom": two["y_train"][:, 1],
                     "test top": two["y_test"][:, 0],
                     "test bottom": two["y_test"][:, 1]},
                    class_names=DIGITS, title="Two digits: digit counts by position")
plots.image_grid(two["x_train"][:20],
                 titles=[f"{a}, {b}" for a, b in two["y_train"][:20]], ncols=10,
                 title="Two digits: first 20 training images (top, bottom)");

# %% [markdown]
# ## Four-digit sums (report 000)
#
# The report's images, 40×168 pixels with four handwritten digits and the digits' sum as
# the label, came as `.npz` files that are not public, so this book makes its own from
# MNIST and says exactly how.
#
# **Recipe.** The image is divided into four 40×42 cells, one digit per cell, left to
# right. Each 28×28 MNIST digit is placed at its cell's centre, moved by a whole number
# of pixels drawn uniformly from −3 to 3 along each axis, and, with probability 0.5,
# scaled about its centre by a factor drawn uniformly from 0.85 to 1.15 (bilinear
# interpolation). Label: the sum of the four digits (0-36); the four digits and their
# MNIST indices are kept too. Training images draw their digits from the MNIST training
# set and test images from the MNIST test set, at random with replacement (NumPy
# generator, seed 0). Sizes: 50,000 training and 10,000 test images. Each MNIST training
# digit then appears in about 3.5 training images, so a validation set sliced off the
# training images would share digits with them. A chapter that needs one asks the
# builder for it (`n_val`): the MNIST training set is first split, stratified by digit,
# into a pool of 90% for training images and 10% for validation images, and no
# validation image uses a digit that any training image uses. Without `n_val` the recipe
# is the one above and its images are unchanged.

# %%
sums = timed("Four-digit sums", derived.digit_sums, *B.digit_sums)
display(shapes({k: v for k, v in sums.items()
                if k.startswith(("x_", "y_", "digits_"))}))
fig, ax = plt.subplots(figsize=(7, 2.8))
ax.hist([sums["y_train"], sums["y_test"]], bins=np.arange(38) - 0.5, density=True,
        label=["train", "test"])
ax.set_xlabel("sum of the four digits")
ax.set_ylabel("fraction")
ax.legend()
ax.set_title("Four-digit sums: label distribution")
fig.tight_layout()
titles = [f"sum {s} = {' + '.join(map(str, d))}"
          for s, d in zip(sums["y_train"][:8], sums["digits_train"][:8], strict=True)]
plots.image_grid(sums["x_train"][:8], titles=titles, ncols=2, size=3.0,
                 title="Four-digit sums: first 8 training images");

# %% [markdown]
# The sums are far from uniform: as the sum of four digits that are each roughly uniform
# on 0-9, they pile up around 18, and sums near 0 or 36 are rare. A regression model
# that always predicted the mean would already have a mean squared error equal to the
# label variance, printed here as the floor against which report 000's losses should be
# read:

# %%
label_var = float(np.var(sums["y_test"].astype(float)))
print(f"test-label variance (MSE of always predicting the mean): {label_var:.2f}")
glue("sum_label_var", label_var, ".1f")

# %% [markdown]
# ## Spoken-digit MFCCs (report 001, problem 1)
#
# **Recipe.** The 3,000 recordings are split 70/15/15 into training, validation and test
# sets, stratified by digit (scikit-learn `train_test_split`, seed 42: first 70% against
# the rest, then the rest in halves). For every recording at its native 8 kHz, librosa
# computes 13 MFCCs on frames of 15 ms (`n_fft` = 120 samples) every 7.5 ms
# (`hop_length` = 60 samples) from 40 mel bands; the report does not give the number of
# mel bands, and librosa's default of 128 would leave most of them empty with only 61
# frequency bins. Each coefficient is z-scored with the mean and standard deviation over
# all frames of the training recordings. Three views are kept: the frame sequence of
# each recording, its mean vector (13 numbers, the baseline's input), and the sequence
# zero-padded to the longest recording and flattened (the autoencoder's input).

# %%
mfcc = timed("Spoken-digit MFCCs", derived.spoken_mfcc)
print(f"n_fft = {int(mfcc['n_fft'])} samples, "
      f"hop_length = {int(mfcc['hop_length'])} samples at 8 kHz")
mfcc_shapes = pd.DataFrame(
    {s: {"recordings": len(mfcc[f"{s}_y"]), "frames": int(mfcc[f"{s}_lengths"].sum()),
         "mean vectors": str(mfcc[f"{s}_mean"].shape),
         "padded, flattened": str(mfcc[f"{s}_padded"].shape)}
     for s in derived.SPLITS3}).T.rename_axis("split")
display(table(mfcc_shapes))
train_frames = mfcc["train_frames"]
print(f"training frames after z-scoring: mean {train_frames.mean():+.2e}, "
      f"sd {train_frames.std():.3f}")
plots.class_balance({s: mfcc[f"{s}_y"] for s in derived.SPLITS3}, class_names=DIGITS,
                    title="MFCC splits: recordings per digit")
one = derived.frames_of(mfcc, "train")[0]
fig, ax = plt.subplots(figsize=(8, 2.8))
im = ax.imshow(one.T, aspect="auto", origin="lower", cmap="coolwarm")
fig.colorbar(im, ax=ax, label="z-scored value")
name = fsdd["name"][mfcc["train_index"][0]]
ax.set_title(f"MFCC matrix of {name} "
             f"({one.shape[0]} frames × {one.shape[1]} coefficients)")
ax.set_xlabel("frame (7.5 ms hop)")
ax.set_ylabel("coefficient")
fig.tight_layout()

# %% [markdown]
# ## Spoken-digit spectrogram images (report 001, problem 4B)
#
# **Recipe.** Each recording becomes one 128×128 RGB image: a mel power spectrogram at 8
# kHz (`n_fft` = 256 samples, 32 ms; hop 32 samples, 4 ms; 64 mel bands) in decibels
# relative to its own peak, clipped 80 dB below it and scaled to [0, 1], resized
# bilinearly to 128×128 with low frequencies at the bottom, and rendered through the
# viridis colour map. Values are float32 in [0, 1]. Split 80/10/10 (2,400 / 300 / 300),
# stratified by digit, seed 42. The report describes its inputs only as 128×128×3
# spectrogram images; this recipe is ours.

# %%
spec = timed("Spoken-digit spectrograms", derived.spoken_spectrograms)
display(shapes({k: v for k, v in spec.items() if k.startswith(("x_", "y_"))}))
plots.class_balance({s: spec[f"y_{s}"] for s in derived.SPLITS3}, class_names=DIGITS,
                    title="Spectrogram splits: recordings per digit")
pick = [int(np.flatnonzero(spec["y_train"] == d)[0]) for d in range(10)]
plots.image_grid(spec["x_train"][pick], titles=[f"digit {d}" for d in range(10)],
                 ncols=5, size=1.8,
                 title="Spectrogram images: one training recording per digit");

# %% [markdown]
# ## Build times
#
# First call: for the real datasets, finding, verifying and decoding the raw files; for
# the derived ones, building them from the decoded real data (this run started with an
# empty cache). Second call: the same request again, answered from the cache. Peak
# memory is that of the whole run.

# %%
timing_table = pd.DataFrame(timings).T.rename_axis("dataset")
display(table(timing_table, decimals=2))
peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
derived_names = [k for k in timings
                 if k.startswith(("Reduced", "Two", "Four", "Spoken"))]
derived_total = timing_table.loc[derived_names, "first call (s)"].sum()
print(f"derived datasets, first calls: {derived_total:.1f} s; "
      f"peak memory of this run: {peak_gb:.2f} GB")
glue("derived_total_s", derived_total, ".0f")
glue("peak_gb", peak_gb, ".1f")

# %% [markdown]
# Building every derived dataset took {glue}`derived_total_s` s in this run, with a peak
# memory of {glue}`peak_gb` GB for the whole run.

# %%
run.finish()

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```

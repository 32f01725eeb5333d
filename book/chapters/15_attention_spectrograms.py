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
# # Attention CNNs on spoken-digit spectrograms
#
# Part B of problem 4 of the report *Assignment 3: AE, GAN and Attention*
# {cite}`report001` turns each recording of the Free Spoken Digit Dataset
# {cite}`jackson2018fsdd` into a 128×128 colour image of its spectrogram and classifies
# the images with three convolutional networks: a LeNet-style baseline, the same network
# with CBAM {cite}`woo2018cbam` after each convolution, and a "hybrid" with a simpler
# channel attention, heavier regularisation and noise added to the training images. Its
# Table 13 gives one training time and one test accuracy per model: 97.27%, 99.22% and
# 98.44%, and the report concludes that attention helps more on spectrograms than on
# handwritten digits.
#
# ```{glue} provenance
# ```
#
# **What to look for.** The three accuracies come from one run each and differ by two to
# five test images out of 256 (see below). We train each model from several seeds, look
# at where the networks look (Grad-CAM and the attention weights), re-run the report's
# float16 episode, and test the models on a speaker they never heard.
#
# ```{admonition} Run this chapter yourself
# :class: tip
# Download {download}`the source (.py) <15_attention_spectrograms.py>` or
# {download}`the notebook (.ipynb) <15_attention_spectrograms.ipynb>`. In a clone of
# the book's repository, `pip install -e .`; then
# `python -m shared.publish book/chapters/15_attention_spectrograms.py` runs it at the
# full budget below, and adding `--profile smoke --out try.ipynb` runs a one-minute
# version.
# ```

# %% tags=["remove-stderr"]
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter

import logging
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from keras import layers
from sklearn.model_selection import train_test_split

from shared import attention, budget, data, derived, plots
from shared.explain import grad_cam
from shared.reporting import Comparison, Tolerance, glue, start_run, table
from shared.training import fit, set_seed

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices
run = start_run("15_attention_spectrograms")
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
print(f"device: {run.provenance.device}")

# %% [markdown]
# ## Budgets
#
# The full profile is the report's training (Adam, learning rate $10^{-4}$, gradient
# norm clipped at 1, batch 16, at most 15 epochs, early stopping with patience 3 that
# restores the best weights) for every model from three seeds; a leave-one-speaker-out
# evaluation over all six speakers; and one run of the CBAM network in mixed precision.
# The smoke profile runs the same code for one epoch on a slice of the data.

# %%
B = budget(
    full=dict(seeds=[42, 1, 2], epochs=15, batch_size=16, patience=3,
              n_train=None, n_val=None, n_test=None,
              loso_speakers=6, loso_per_speaker=None, fp16_epochs=15, fp16_steps=150),
    smoke=dict(seeds=[42, 1], epochs=1, batch_size=16, patience=3,
               n_train=240, n_val=60, n_test=60,
               loso_speakers=2, loso_per_speaker=40, fp16_epochs=1, fp16_steps=10),
)
display(B.table())

# %% [markdown]
# ## Data
#
# The report does not say how it drew its spectrograms. The book's
# `shared.derived.spoken_spectrograms` (described in the Datasets appendix) makes one
# image per recording: a mel spectrogram at the recordings' 8 kHz (32 ms windows every 4
# ms, 64 mel bands), in decibels over an 80 dB range, low frequencies at the bottom,
# resized to 128×128 and coloured with a colour map, so the three channels carry the
# same information in different mixtures. Pixels are in $[0, 1]$, as after the report's
# division by 255. The 3,000 recordings are split 80/10/10, stratified by digit, seed
# 42.

# %%
spec = derived.spoken_spectrograms()


def subset(x, y, n, seed=42):
    if n is None:
        return x, y
    keep, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y,
                               random_state=seed)
    return x[keep], y[keep]


x_train, y_train = subset(spec["x_train"], spec["y_train"], B.n_train)
x_val, y_val = subset(spec["x_val"], spec["y_val"], B.n_val)
x_test, y_test = subset(spec["x_test"], spec["y_test"], B.n_test)
print(f"train {x_train.shape}, validation {x_val.shape}, test {x_test.shape}")
first = [int(np.flatnonzero(y_test == d)[0]) for d in range(10)]
plots.image_grid(x_test[first], titles=[f"digit {d}" for d in range(10)], ncols=5,
                 size=1.7, title="One test spectrogram of each digit (time runs left "
                 "to right)");

# %% [markdown]
# ## The three networks
#
# All three share the report's LeNet skeleton (its Table 11): a 5×5 convolution with 6
# filters and ReLU, 2×2 average pooling, a 5×5 convolution with 16 filters and ReLU, 2×2
# average pooling, then a flatten (29×29×16 = 13,456 numbers), dense layers of 120 and
# 84 units (ReLU) and a 10-way softmax. The dense layer after the flatten holds almost
# all of the 1.6 million parameters.
#
# - **CBAM** adds batch normalisation and a CBAM block after each convolution: channel
#   attention (global average pooling, an MLP with reduction ratio 8, sigmoid) and then
#   spatial attention (a 7×7 convolution over the channel-wise mean and max, sigmoid).
#   With 6 channels a ratio of 8 leaves no hidden unit, so the first block's MLP keeps
#   one (the report does not say what it did).
# - **Hybrid** adds batch normalisation and channel attention alone (the same squeeze
#   and excitation, ratio 8, at least one hidden unit), then layer normalisation and
#   dropout 0.1 after each convolution; its dense layers carry an L2 penalty of
#   $10^{-3}$ and dropout 0.5; and Gaussian noise with standard deviation 0.02 is added
#   to its training images (a `GaussianNoise` layer, active only in training).
#
# All three are compiled alike: Adam with learning rate $10^{-4}$ and `clipnorm=1.0`,
# sparse categorical cross-entropy.

# %%
def conv_block(x, filters, kind, n):
    x = layers.Conv2D(filters, 5, activation="relu", name=f"conv{n}")(x)
    hidden = max(1, filters // 8)  # reduction ratio 8, at least one unit
    if kind == "cbam":
        x = layers.BatchNormalization(name=f"bn{n}")(x)
        x = attention.cbam(x, ratio=8, hidden=hidden, pools=("avg",), name=f"cbam{n}")
    elif kind == "hybrid":
        x = layers.BatchNormalization(name=f"bn{n}")(x)
        x = attention.squeeze_excitation(x, ratio=8, hidden=hidden, name=f"ca{n}")
        x = layers.LayerNormalization(name=f"ca{n}_norm")(x)
        x = layers.Dropout(0.1, name=f"ca{n}_drop")(x)
    return layers.AveragePooling2D(2, name=f"pool{n}")(x)


def build(kind):
    inputs = keras.Input(shape=(128, 128, 3))
    x = layers.GaussianNoise(0.02, name="noise")(inputs) if kind == "hybrid" else inputs
    x = conv_block(x, 6, kind, 1)
    x = conv_block(x, 16, kind, 2)
    x = layers.Flatten()(x)
    l2 = keras.regularizers.L2(1e-3) if kind == "hybrid" else None
    for units in (120, 84):
        x = layers.Dense(units, activation="relu", kernel_regularizer=l2)(x)
        if kind == "hybrid":
            x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10, activation="softmax", dtype="float32", name="probs")(x)
    model = keras.Model(inputs, outputs, name=kind)
    model.compile(optimizer=keras.optimizers.Adam(1e-4, clipnorm=1.0),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


KINDS = ["base", "cbam", "hybrid"]
NAMES = {"base": "Baseline CNN", "cbam": "CNN with CBAM", "hybrid": "Hybrid attention"}
# Table 13: training time (s, on a T4 GPU) and test accuracy
REPORT = {"base": (126.41, 0.9727), "cbam": (310.01, 0.9922),
          "hybrid": (137.72, 0.9844)}
REPORT_PARAMS = {"base": "about 1.62 M", "cbam": "about 1.63 M", "hybrid": "1,629,144"}
build("hybrid").summary()
params = {k: build(k).count_params() for k in KINDS}
assert abs(params["base"] - 1.62e6) < 0.01e6, params  # "about 1.62 M"
assert abs(params["cbam"] - 1.63e6) < 0.01e6, params  # "about 1.63 M"
param_table = pd.DataFrame({
    "parameters": params,
    "added to the baseline": {k: params[k] - params["base"] for k in KINDS},
    "report": REPORT_PARAMS,
}).rename(index=NAMES).rename_axis("model")
display(table(param_table))
glue("params_hybrid", f"{params['hybrid']:,}")
glue("hybrid_gap", f"{1_629_144 - params['hybrid']:,}")
glue("added_hybrid", f"{params['hybrid'] - params['base']:,}")

# %% [markdown]
# ```{admonition} Erratum: the hybrid's parameter count
# :class: warning
# The report gives the hybrid network exactly 1,629,144 parameters, 418 more than the
# LeNet baseline's 1,628,726. The layers it lists add {glue}`added_hybrid` here (batch
# normalisation, two squeeze-and-excitation MLPs and layer normalisation), so our
# network has {glue}`params_hybrid`, {glue}`hybrid_gap` fewer than the report's. Its
# listing is not printed, so we cannot tell which layer was larger; the difference is
# about 0.01% of the network.
# ```
#
# ## Training: three models, several seeds
#
# Each model is trained from each seed of the budget on the training images, with early
# stopping on the validation loss, and tested once on the test images with the restored
# best weights. The training time is the wall time of `fit`, validation included. One
# line per run.

# %%
def train(kind, seed, x, y, val, log=False, label=None):
    set_seed(seed)
    model = build(kind)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=B.patience,
                                         restore_best_weights=True)
    r = fit(model, x, y, validation_data=val, epochs=B.epochs, batch_size=B.batch_size,
            callbacks=[stop], label=label or f"{kind}, seed {seed}", log=log)
    return model, r


results, histories, models = [], {}, {}
start = time.perf_counter()
for seed in B.seeds:
    for kind in KINDS:
        m, r = train(kind, seed, x_train, y_train, (x_val, y_val))
        test_loss, test_acc = m.evaluate(x_test, y_test, batch_size=256, verbose=0)
        results.append({"seed": seed, "model": kind, "test accuracy": test_acc,
                        "test loss": test_loss, "train time (s)": r.wall_time,
                        "epochs run": r.epochs, "best epoch": r.best_epoch()})
        if seed == B.seeds[0]:
            histories[kind], models[kind] = r, m
        print(f"seed {seed} {kind:>6}: test {test_acc:.2%}, {r.epochs} epochs "
              f"(best {r.best_epoch()}), {r.wall_time:5.1f} s", flush=True)
print(f"all runs: {time.perf_counter() - start:.0f} s")
res = pd.DataFrame(results)

# %% [markdown]
# ## Table 13, re-run
#
# Mean ± sd over the seeds for every model, the report's single run beside it. The
# report trained on a T4 GPU; our device is in the provenance above. Absolute times
# cannot be compared across devices, so the table also gives each model's time as a
# multiple of the baseline's on the same device, per run and per epoch (early stopping
# ends runs after different numbers of epochs).

# %%
def mean_sd(values, pct=True):
    m, s = np.mean(values), np.std(values, ddof=1)
    return f"{100 * m:.2f}% ± {100 * s:.2f}" if pct else f"{m:.1f} ± {s:.1f}"


by = res.groupby("model")
res["time per epoch (s)"] = res["train time (s)"] / res["epochs run"]
mean_time = res.groupby("model")["train time (s)"].mean()
mean_epoch_time = res.groupby("model")["time per epoch (s)"].mean()
t13 = pd.DataFrame({
    NAMES[k]: {
        "test accuracy (ours)": mean_sd(by.get_group(k)["test accuracy"]),
        "test accuracy (report)": f"{100 * REPORT[k][1]:.2f}%",
        "epochs run (ours)": mean_sd(by.get_group(k)["epochs run"], pct=False),
        "train time, s (ours)": mean_sd(by.get_group(k)["train time (s)"], pct=False),
        "train time, s (report, T4)": f"{REPORT[k][0]:.2f}",
        "time vs base (ours)": mean_time[k] / mean_time["base"],
        "time per epoch vs base (ours)": mean_epoch_time[k] / mean_epoch_time["base"],
        "time vs base (report)": REPORT[k][0] / REPORT["base"][0],
    } for k in KINDS}).T.rename_axis("model")
for col in t13.columns[5:]:
    t13[col] = t13[col].astype(float)
display(table(t13, decimals=2))
n_seeds = len(B.seeds)
glue("n_seeds", n_seeds, "d")
for k in KINDS:
    glue(f"acc_{k}", mean_sd(by.get_group(k)["test accuracy"]))
    glue(f"ratio_{k}", mean_time[k] / mean_time["base"], ".2f")
    glue(f"epoch_ratio_{k}", mean_epoch_time[k] / mean_epoch_time["base"], ".2f")
    glue(f"time_{k}", mean_time[k], ".0f")
glue("test_n", len(y_test), "d")
glue("test_se_pt", 100 * np.sqrt(0.98 * 0.02 / len(y_test)), ".2f")

# %% [markdown]
# ### Is the ranking real?
#
# The seeds are paired: every model sees the same split, seed by seed. For each
# attention model, its test accuracy minus the baseline's, and how many seeds it beat
# the baseline in. One test image is {glue}`one_image_pt` percentage points here.

# %%
wide = res.pivot(index="seed", columns="model", values="test accuracy")[KINDS]
diff = wide.sub(wide["base"], axis=0).drop(columns="base")
rank_table = pd.DataFrame({
    NAMES[k]: {"minus base, mean (pt)": 100 * diff[k].mean(),
               "minus base, sd (pt)": 100 * diff[k].std(),
               "seeds better than base": int((diff[k] > 0).sum()),
               "seeds ranked first": int((wide.idxmax(axis=1) == k).sum())}
    for k in diff.columns}).T.rename_axis("model")
display(table(rank_table, decimals=2))
glue("one_image_pt", 100 / len(y_test), ".2f")
for k in diff.columns:
    glue(f"minus_base_{k}", f"{100 * diff[k].mean():+.2f} ± {100 * diff[k].std():.2f}")
    glue(f"better_{k}", int((diff[k] > 0).sum()), "d")
best_attention = max(["cbam", "hybrid"], key=lambda k: wide[k].mean())
glue("best_attention", NAMES[best_attention])

# %% [markdown]
# ## Curves
#
# Training (solid) and validation (dashed) loss and accuracy of each model, seed
# {glue}`first_seed`; a star marks the epoch whose weights early stopping kept.

# %%
glue("first_seed", B.seeds[0], "d")
plots.plot_history([histories[k] for k in KINDS], metrics=("loss", "accuracy"),
                   labels=[NAMES[k] for k in KINDS],
                   title=f"Three networks, seed {B.seeds[0]}");

# %% [markdown]
# ## Confusion matrices
#
# Test predictions of each model, seed {glue}`first_seed`.

# %%
fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
for ax, k in zip(axes, KINDS, strict=True):
    pred = models[k].predict(x_test, batch_size=256, verbose=0).argmax(axis=1)
    plots.confusion_matrix(y_test, pred, class_names=[str(d) for d in range(10)],
                           title=NAMES[k], ax=ax)
    ax.tick_params(labelsize=7)
fig.tight_layout()

# %% [markdown]
# ## Where the networks look
#
# Grad-CAM {cite}`selvaraju2017gradcam` weights the channels of a convolutional map by
# the gradient of the class's log-probability and keeps the positive part: bright where
# evidence for the predicted digit sits. It is computed at the last convolutional stage
# of each network (for CBAM, after its attention), for one test spectrogram of five
# digits. The last row shows CBAM's own spatial attention after the first convolution
# (one weight per position of the 124×124 map). Time runs left to right, frequency
# bottom to top.

# %%
show = first[::2]
cams = {"base": grad_cam(models["base"], x_test[show], "conv2")[0],
        "cbam": grad_cam(models["cbam"], x_test[show], "cbam2_apply")[0],
        "hybrid": grad_cam(models["hybrid"], x_test[show], "ca2_norm")[0]}
probe = keras.Model(models["cbam"].input, models["cbam"].get_layer("cbam1_map").output)
cbam_map = keras.ops.convert_to_numpy(probe(x_test[show]))[..., 0]
rows = [("spectrogram", None)] + [(f"Grad-CAM, {k}", cams[k]) for k in KINDS]
rows.append(("CBAM spatial map 1", cbam_map))
fig, axes = plt.subplots(len(rows), len(show), figsize=(8.5, 8.6))
for r, (label, maps) in enumerate(rows):
    for c, i in enumerate(show):
        ax = axes[r, c]
        if maps is None:
            ax.imshow(x_test[i])
        elif label.startswith("Grad-CAM"):
            ax.imshow(x_test[i].mean(axis=-1), cmap="gray")
            ax.imshow(maps[c], cmap="magma", alpha=0.6, vmin=0, vmax=1)
        else:
            ax.imshow(maps[c], cmap="magma")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[r, 0].set_ylabel(label, fontsize=9)
for c, i in enumerate(show):
    axes[0, c].set_title(f"digit {y_test[i]}", fontsize=9)
fig.tight_layout()

# %% [markdown]
# The hybrid network's channel attention gives one weight to each of the 16 channels of
# its second convolution, per image. Averaged over the test images of each digit, the
# weights show whether the attention does anything digit-specific: a column that changes
# colour down the rows is a channel weighted differently for different digits.

# %%
hybrid = models["hybrid"]
scale = keras.Model(hybrid.input, hybrid.get_layer("ca2_scale").output)
weights = keras.ops.convert_to_numpy(scale.predict(x_test, batch_size=256, verbose=0))
weights = weights.reshape(len(x_test), -1)
per_digit = np.stack([weights[y_test == d].mean(axis=0) for d in range(10)])
fig, ax = plt.subplots(figsize=(7, 3.4))
im = ax.imshow(per_digit, cmap="viridis", aspect="auto")
ax.set_xlabel("channel of the second convolution")
ax.set_ylabel("digit")
ax.set_yticks(range(10))
ax.set_xticks(range(per_digit.shape[1]))
fig.colorbar(im, ax=ax, label="mean attention weight")
ax.set_title(f"Hybrid network, seed {B.seeds[0]}: channel weights per digit")
fig.tight_layout()
spread = per_digit.std(axis=0)
glue("channel_weight_range", f"{weights.min():.2f} to {weights.max():.2f}")
glue("channel_digit_sd", spread.max(), ".3f")

# %% [markdown]
# The weights range over {glue}`channel_weight_range` across all test images; the
# largest spread of one channel's mean weight across the ten digits (sd) is
# {glue}`channel_digit_sd`. Every weight sits near one half, and nearly the same for
# every digit: the block scales the channels by an almost fixed factor. The layer
# normalisation that follows it rescales the channels at every position anyway, so in
# this network the channel attention has little room to act.
#
# ## The float16 episode
#
# The report first trained in float16 and saw the loss become infinite, then switched to
# float32. Keras' usual way to use 16-bit floats is *mixed precision* (`mixed_float16`):
# layers compute in float16 but keep their weights in float32, and `compile` wraps the
# optimizer in a `LossScaleOptimizer`, which multiplies the loss by a large factor
# before the gradients are taken {cite}`micikevicius2018mixed` (so that small gradients
# do not round to zero in float16), divides it out again, skips any step whose gradients
# overflow and then halves the factor. We train the CBAM network once that way (seed
# {glue}`first_seed`, the same budget), and run one epoch of it in pure float16 (the
# `float16` policy: float16 weights too and no loss scaling), recording the loss after
# every step. The output layer computes in float32 in both, as Keras advises.

# %% tags=["hide-output"]
class StepLosses(keras.callbacks.Callback):
    """Records the running training loss after every step."""

    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float(logs["loss"]))


keras.mixed_precision.set_global_policy("mixed_float16")
try:
    m16, r16 = train("cbam", B.seeds[0], x_train, y_train, (x_val, y_val), log=True,
                     label="CBAM, mixed_float16")
    mixed_acc = m16.evaluate(x_test, y_test, batch_size=256, verbose=0)[1]
    optimizer16 = m16.optimizer
    mixed_scale = float(keras.ops.convert_to_numpy(optimizer16.dynamic_scale))
    print(f"optimizer: {type(optimizer16).__name__}, final loss scale {mixed_scale:g}, "
          f"test accuracy {mixed_acc:.2%}")
finally:
    keras.mixed_precision.set_global_policy("float32")

keras.mixed_precision.set_global_policy("float16")
try:
    set_seed(B.seeds[0])
    pure = build("cbam")
    pure_steps = StepLosses()
    n_pure = B.fp16_steps * B.batch_size
    pure.fit(x_train[:n_pure], y_train[:n_pure], batch_size=B.batch_size, epochs=1,
             verbose=0, callbacks=[pure_steps, keras.callbacks.TerminateOnNaN()])
    pure_optimizer = type(pure.optimizer).__name__
finally:
    keras.mixed_precision.set_global_policy("float32")
pure_losses = np.array(pure_steps.losses)
print(f"pure float16: optimizer {pure_optimizer}, {len(pure_losses)} steps, "
      f"losses {pure_losses[0]:.3f} -> {pure_losses[-1]:.3f}")

# %%
mixed_losses = np.array(r16.history["loss"] + r16.history["val_loss"])
f32_acc = res[(res.model == "cbam") & (res.seed == B.seeds[0])]["test accuracy"].iloc[0]
fp = pd.DataFrame({
    "mixed_float16 (loss scaling)": {
        "steps or epochs": f"{r16.epochs} epochs",
        "non-finite losses": int((~np.isfinite(mixed_losses)).sum()),
        "final training loss": r16.history["loss"][-1],
        "test accuracy": f"{mixed_acc:.2%}",
        "test accuracy in float32 (same seed)": f"{f32_acc:.2%}"},
    "float16 (no loss scaling)": {
        "steps or epochs": f"{len(pure_losses)} steps",
        "non-finite losses": int((~np.isfinite(pure_losses)).sum()),
        "final training loss": pure_losses[-1],
        "test accuracy": "not trained to the end",
        "test accuracy in float32 (same seed)": ""},
}).T.rename_axis("policy")
fp["final training loss"] = fp["final training loss"].astype(float)
display(table(fp, decimals=4))
fig, ax = plt.subplots(figsize=(6.5, 2.8))
ax.plot(np.arange(1, len(pure_losses) + 1), pure_losses)
ax.set_xlabel("step")
ax.set_ylabel("running training loss")
ax.set_title("CBAM network, pure float16, first epoch")
fig.tight_layout()
glue("mixed_nonfinite", int((~np.isfinite(mixed_losses)).sum()), "d")
glue("pure_nonfinite", int((~np.isfinite(pure_losses)).sum()), "d")
glue("pure_steps", len(pure_losses), "d")
glue("mixed_acc", mixed_acc, ".2%")
glue("mixed_scale", f"{mixed_scale:g}")
glue("f16_max", f"{float(np.finfo(np.float16).max):,.0f}")
glue("f16_tiny", f"{float(np.finfo(np.float16).tiny):.1e}")

# %% [markdown]
# In mixed precision the loss was non-finite in {glue}`mixed_nonfinite` of the epochs
# (training and validation), the final loss scale was {glue}`mixed_scale`, and the test
# accuracy was {glue}`mixed_acc` (float32, same seed: see the table); in pure float16,
# {glue}`pure_nonfinite` of {glue}`pure_steps` step losses were non-finite. float16
# holds magnitudes from about {glue}`f16_tiny` (smaller numbers lose precision and then
# round to zero) up to {glue}`f16_max` (larger ones become infinite); loss scaling
# guards the bottom of that range, and nothing in these runs reached the top. We could
# not make this network's loss infinite with float16 as Keras provides it. The report's
# inf must have come from something its text does not show: unscaled 0–255 inputs are
# one candidate (the report mentions black images and rescaling problems in the same
# runs), a longer run in pure float16 another.
#
# ## Beyond the report: test accuracies in steps of 1/256
#
# Every accuracy in Table 13 is a whole number of test images out of 256, not out of the
# 300 that a 10% test split of 3,000 recordings would hold. The cell below lists every
# test-set size from 200 to 400 for which all three printed accuracies are some whole
# number of correct images, rounded to four decimals.

# %%
printed = [REPORT[k][1] for k in KINDS]
fits = [n for n in range(200, 401)
        if all(abs(round(round(a * n) / n, 4) - a) < 1e-9 for a in printed)]
correct = {NAMES[k]: f"{round(REPORT[k][1] * 256)} of 256" for k in KINDS}
print("test-set sizes that fit all three:", fits)
print("as counts out of 256:", correct)
glue("fits", ", ".join(map(str, fits)))
glue("fits_300", "is" if 300 in fits else "is not")

# %% [markdown]
# The sizes that fit are {glue}`fits`; 300 {glue}`fits_300` among them. A test set of
# 256 images is 16 batches of 16: the likely cause is that the report split a batched
# `tf.data` pipeline by whole batches (`take`/`skip`) rather than by recordings, so that
# its test part held 16 batches. One test image is then 0.39 percentage points, and the
# differences in Table 13 are 5, 3 and 2 images (baseline to CBAM, baseline to hybrid,
# hybrid to CBAM).
#
# ## Beyond the report: a speaker never heard
#
# The split above puts each of the six speakers in training and test alike. Here each
# speaker in turn is held out for testing while the other five train the baseline and
# the best attention network by mean test accuracy above, {glue}`best_attention` (10% of
# the five speakers' recordings kept for early stopping), seed {glue}`first_seed`.

# %% tags=["hide-output"]
every = {k: np.concatenate([spec[f"{k}_{s}"] for s in ("train", "val", "test")])
         for k in ("x", "y")}
order = np.concatenate([spec[f"{s}_index"] for s in ("train", "val", "test")])
fsdd_speakers = np.asarray(data.load_fsdd(progress=False)["speaker"])[order]
speakers = sorted(set(fsdd_speakers))[: B.loso_speakers]
if B.loso_per_speaker:  # smoke: a stratified slice of each speaker's recordings
    keep = np.concatenate([
        train_test_split(np.flatnonzero(fsdd_speakers == s),
                         train_size=B.loso_per_speaker,
                         stratify=every["y"][fsdd_speakers == s], random_state=0)[0]
        for s in sorted(set(fsdd_speakers))])
    every = {k: v[keep] for k, v in every.items()}
    fsdd_speakers = fsdd_speakers[keep]
loso_rows = []
for spk in speakers:
    test_idx = np.flatnonzero(fsdd_speakers == spk)
    rest = np.flatnonzero(fsdd_speakers != spk)
    tr, va = train_test_split(rest, test_size=0.1, stratify=every["y"][rest],
                              random_state=B.seeds[0])
    row = {"held-out speaker": spk, "test recordings": len(test_idx)}
    for k in ("base", best_attention):
        m, r = train(k, B.seeds[0], every["x"][tr], every["y"][tr],
                     (every["x"][va], every["y"][va]))
        row[NAMES[k]] = m.evaluate(every["x"][test_idx], every["y"][test_idx],
                                   batch_size=256, verbose=0)[1]
        print(f"held out {spk:>9}: {k:>6} {row[NAMES[k]]:.2%} ({r.wall_time:.0f} s)",
              flush=True)
    loso_rows.append(row)

# %%
loso = pd.DataFrame(loso_rows).set_index("held-out speaker")
cols = [NAMES["base"], NAMES[best_attention]]
display(table(loso, percent=cols, summary=True))
for k, col in zip(("base", "best"), cols, strict=True):
    glue(f"loso_{k}", f"{loso[col].mean():.2%} ± {loso[col].std():.2%}")
    glue(f"loso_{k}_min", loso[col].min(), ".2%")
glue("loso_n", len(loso), "d")

# %% [markdown]
# ## Reported versus reproduced
#
# Each accuracy is measured on {glue}`test_n` test images, so two binomial standard
# errors are the tolerance; the spread says how far a single run like the report's can
# fall from our mean by chance. The time rows compare the ratio of each attention
# network's training time to the baseline's: the report printed its times to 0.01 s, so
# its ratios are exact to about 0.001, and our seed-to-seed spread says how far chance
# (and the number of epochs early stopping ran) moves ours.

# %%
ratio_runs = res.pivot(index="seed", columns="model", values="train time (s)")
ratio_runs = ratio_runs.div(ratio_runs["base"], axis=0)
rows = [Comparison(f"{NAMES[k]}: test accuracy", REPORT[k][1],
                   list(by.get_group(k)["test accuracy"]),
                   Tolerance.binomial(REPORT[k][1], len(y_test)), kind="percent")
        for k in KINDS]
rows += [Comparison(f"{NAMES[k]}: training time / baseline's",
                    REPORT[k][0] / REPORT["base"][0], list(ratio_runs[k]),
                    Tolerance.stated(0.001, "the report's times are printed to 0.01 s"),
                    decimals=2)
         for k in ("cbam", "hybrid")]
comparison = run.compare(rows)
counts = comparison["verdict"].value_counts()
for verdict in ("agrees", "within spread", "differs"):
    glue(f"n_{verdict.replace(' ', '_')}", int(counts.get(verdict, 0)), "d")
glue("n_rows", len(comparison), "d")

# %% [markdown]
# Of the {glue}`n_rows` numbers, {glue}`n_agrees` agree within tolerance,
# {glue}`n_within_spread` differ by no more than our seed-to-seed spread, and
# {glue}`n_differs` differ beyond both.
#
# ## What holds up
#
# - **Accuracy: CBAM's lead holds, the hybrid's does not.** Over {glue}`n_seeds` seeds:
#   baseline {glue}`acc_base`, CBAM {glue}`acc_cbam`, hybrid {glue}`acc_hybrid`, all
#   three within tolerance of the report's single runs. Seed by seed, CBAM minus the
#   baseline is {glue}`minus_base_cbam` percentage points (better in {glue}`better_cbam`
#   seeds), the hybrid minus the baseline {glue}`minus_base_hybrid` (better in
#   {glue}`better_hybrid`). The baseline's accuracy moves by more than a point from seed
#   to seed, as much as the report's gaps between models: one test image is
#   {glue}`one_image_pt` points, and the binomial standard error of one accuracy near
#   98% is {glue}`test_se_pt` points. The hybrid's attention barely varies with the
#   input (see its channel weights), which fits its lack of a gain.
# - **Training time depends on the device.** Relative to the baseline on our two CPU
#   cores, CBAM took {glue}`ratio_cbam` times as long and the hybrid
#   {glue}`ratio_hybrid` (per epoch {glue}`epoch_ratio_cbam` and
#   {glue}`epoch_ratio_hybrid`), against the report's 2.45 and 1.09 on a T4 GPU. Both
#   attention networks add element-wise work on the full-resolution 124×124 maps (batch
#   normalisation and reweighting; in the hybrid also layer normalisation, dropout and
#   noise), which costs about as much as the small convolutions on a CPU and little on a
#   GPU. The report's "only 9% more" for the hybrid is a property of its GPU, not of the
#   network. Early stopping makes the per-run ratio depend on how many epochs each run
#   lasted; the per-epoch ratio is the cost of the layers themselves.
# - **float16 is not the culprit here.** With Keras' mixed precision the CBAM network
#   trained to a finite loss and {glue}`mixed_acc` test accuracy; pure float16 stayed
#   finite too over its epoch (section above).
# - **A new voice.** Holding out each of the {glue}`loso_n` speakers in turn, the
#   baseline reaches {glue}`loso_base` (lowest {glue}`loso_base_min`) and the
#   {glue}`best_attention` network {glue}`loso_best` (lowest {glue}`loso_best_min`). The
#   report's near-perfect accuracies are for speakers the network has already heard; a
#   new voice costs tens of points, and CBAM's lead over the baseline remains.

# %%
run.finish()

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```

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
# # Attention or normalisation? A control for CBAM on spectrograms
#
# The companion of {doc}`15_attention_spectrograms`. The report {cite}`report001`
# (problem 4B) adds batch normalisation and a CBAM block {cite}`woo2018cbam` after each
# convolution of its LeNet baseline and credits the gain in test accuracy (97.27% to
# 99.22%, one run each) to attention. But of these two networks only CBAM has batch
# normalisation (the report's third, the hybrid, has it too), and a network without it
# may learn more slowly, so that within the report's 15 epochs a gain could come from
# the normalisation as well as from the attention (the table below counts the runs
# still improving at their last epoch). This notebook
# trains a control that the report does not have: the baseline with batch normalisation
# after each convolution, as in the CBAM network, and no attention. The three networks
# are trained from the same seeds (other seeds than the companion's), and three paired
# differences are tested as one family:
#
# - CBAM minus the baseline (the report's comparison);
# - the control minus the baseline (what batch normalisation alone does);
# - CBAM minus the control (what the attention adds on top of batch normalisation).
#
# ```{glue} provenance
# ```
#
# ```{admonition} Run this chapter yourself
# :class: tip
# Download {download}`the source (.py) <15_attention_spectrograms_control.py>` or
# {download}`the notebook (.ipynb) <15_attention_spectrograms_control.ipynb>`. In a
# clone of the book's repository, `pip install -e .`; then
# `python -m shared.publish book/chapters/15_attention_spectrograms_control.py` runs it
# at the `cpu` budget below (`--profile full` for five seeds), and adding
# `--profile smoke --out try.ipynb` runs a one-minute version.
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
from sklearn.model_selection import train_test_split

from shared import budget, derived, plots
from shared.models import spectrogram_lenet
from shared.reporting import glue, mean_sd, paired_frame, paired_tests, start_run, table
from shared.training import RunPlan, fit, set_seed, step_cost

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices
run = start_run("15_attention_spectrograms_control")
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
print(f"device: {run.provenance.device}")

# %% [markdown]
# ## Budgets
#
# The report's training for every network (Adam, learning rate $10^{-4}$, gradient
# norm clipped at 1, batch 16, at most 15 epochs, early stopping with patience 3 that
# restores the best weights), from five seeds at the full profile. Batch normalisation
# (in the control and in the CBAM network) and the attention make a step dearer than
# the baseline's on a CPU (the costs are measured below), so five seeds of the three
# networks can take over 30 minutes on two cores; the `cpu` profile runs three (a
# t-test over three seeds decides only a difference that is large against its spread:
# the verdicts say how many seeds they rest on). The smoke profile runs the same code
# for one epoch on a slice of the data.

# %%
B = budget(
    full=dict(probe_steps=40,  # timed steps per network for the estimate
              seeds=[5, 6, 7, 8, 9], epochs=15, batch_size=16, patience=3,
              n_train=None, n_val=None, n_test=None),
    cpu=dict(seeds=[5, 6, 7]),
    why=dict(seeds="30 minutes on two cores: step costs measured on 2 December 2026 "
                   "ranged over 25-37, 45-68 and 79-131 ms for the baseline, the "
                   "control and CBAM, so five seeds of the three networks can take "
                   "up to 44 min and four up to 35 (the plan stopped a run of four); "
                   "three, up to 27 min"),
    smoke=dict(probe_steps=10, seeds=[5, 6], epochs=1, batch_size=16, patience=3,
               n_train=240, n_val=60, n_test=60),
)
display(B.table())

# %% [markdown]
# ## Data and networks
#
# The spectrogram images and the 80/10/10 split (stratified by digit, seed 42) of the
# companion notebook: `shared.derived.spoken_spectrograms`, described in the Datasets
# appendix. The networks are the companion's, from `shared.models`; `kind="bn"` is the
# control:
#
# ```{literalinclude} ../../shared/models.py
# :pyobject: spectrogram_lenet
# ```

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
KINDS = ["base", "bn", "cbam"]
NAMES = {"base": "Baseline CNN", "bn": "Baseline + batch norm (control)",
         "cbam": "CNN with CBAM"}
params = {NAMES[k]: spectrogram_lenet(k).count_params() for k in KINDS}
display(table(pd.Series(params, name="parameters").rename_axis("model").to_frame()))

# %% [markdown]
# ## The run, estimated before it starts
#
# Each network's cost per training step (batch 16) is measured on a throwaway copy; the
# plan multiplies it by the steps the budget allows at most (every run to its last
# epoch; early stopping can only shorten it). A `cpu` run whose estimate passes 30
# minutes stops here.

# %%
steps_per_epoch = int(np.ceil(len(y_train) / B.batch_size))
cost = {}
for k in KINDS:
    set_seed(0)
    cost[k] = step_cost(spectrogram_lenet(k), x_train, y_train, B.batch_size,
                        steps=B.probe_steps, warmup=5)
print({NAMES[k]: f"{1000 * v:.0f} ms/step" for k, v in cost.items()})
plan = RunPlan(B)
for k in KINDS:
    plan.add(f"{NAMES[k]}, {len(B.seeds)} seeds",
             steps=len(B.seeds) * B.epochs * steps_per_epoch, seconds_per_step=cost[k])
plan.check(other_s=60)

# %% [markdown]
# ## Training
#
# Each network from each seed, with early stopping on the validation loss, tested once
# on the test images with the restored best weights. One line per run.

# %%
results, histories = [], {}
start = time.perf_counter()
for seed in B.seeds:
    for kind in KINDS:
        set_seed(seed)
        model = spectrogram_lenet(kind)
        stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=B.patience,
                                             restore_best_weights=True)
        r = fit(model, x_train, y_train, validation_data=(x_val, y_val),
                epochs=B.epochs, batch_size=B.batch_size, callbacks=[stop],
                label=f"{kind}, seed {seed}", log=False)
        test_acc = model.evaluate(x_test, y_test, batch_size=256, verbose=0)[1]
        results.append({"seed": seed, "model": kind, "test accuracy": test_acc,
                        "epochs run": r.epochs, "best epoch": r.best_epoch(),
                        "time per epoch (s)": r.wall_time / r.epochs})
        if seed == B.seeds[0]:
            histories[kind] = r
        print(f"seed {seed} {kind:>4}: test {test_acc:.2%}, {r.epochs} epochs "
              f"(best {r.best_epoch()}), {r.wall_time:5.1f} s", flush=True)
print(f"all runs: {time.perf_counter() - start:.0f} s")
res = pd.DataFrame(results)

# %% [markdown]
# ## Results
#
# Mean ± sd over the seeds. "Best epoch at the last" counts the runs whose best
# validation loss came at their last epoch: still improving when the budget ended.

# %%
by = res.groupby("model")
epoch_time = by["time per epoch (s)"].mean()
summary = pd.DataFrame({
    NAMES[k]: {"seeds": len(by.get_group(k)),
               "test accuracy": mean_sd(by.get_group(k)["test accuracy"]),
               "epochs run": mean_sd(by.get_group(k)["epochs run"], percent=False,
                                     decimals=1),
               "best epoch at the last": int((by.get_group(k)["best epoch"]
                                              == by.get_group(k)["epochs run"]).sum()),
               "time per epoch vs baseline": epoch_time[k] / epoch_time["base"]}
    for k in KINDS}).T.rename_axis("model")
ratio_col = "time per epoch vs baseline"
summary[ratio_col] = summary[ratio_col].astype(float)
display(table(summary, decimals=2))
glue("n_seeds", len(B.seeds), "d")
for k in KINDS:
    glue(f"acc_{k}", mean_sd(by.get_group(k)["test accuracy"]))
    glue(f"last_{k}", int(summary.loc[NAMES[k], "best epoch at the last"]), "d")
glue("epoch_ratio_bn", epoch_time["bn"] / epoch_time["base"], ".2f")
glue("epoch_ratio_cbam", epoch_time["cbam"] / epoch_time["base"], ".2f")

wide = res.pivot(index="seed", columns="model", values="test accuracy")[KINDS]
fig, ax = plt.subplots(figsize=(6, 3.2))
for seed, row in wide.iterrows():
    ax.plot(range(3), 100 * row.values, "o-", alpha=0.7, label=f"seed {seed}")
ax.set_xticks(range(3), [NAMES[k] for k in KINDS], fontsize=8)
ax.set_ylabel("test accuracy (%)")
ax.grid(alpha=0.3)
ax.legend(fontsize="small")
ax.set_title("Each seed's three networks")
fig.tight_layout()

# %% [markdown]
# ### The three paired differences
#
# The seeds are paired (every network sees the same split and starts from the same
# seed), so each difference is taken seed by seed and tested with a paired t-test, the
# three as one family with Holm's correction. One test image is {glue}`one_image_pt`
# percentage points.

# %%
family = {"CNN with CBAM minus baseline": wide["cbam"] - wide["base"],
          "control minus baseline": wide["bn"] - wide["base"],
          "CNN with CBAM minus control": wide["cbam"] - wide["bn"]}
tests = paired_tests(family)
display(table(paired_frame(tests), decimals={"mean (pt)": 2, "sd (pt)": 2,
                                             "p (Holm)": 3}))
for r in tests:
    print(f"{r.label}: {r.line()}")
glue("one_image_pt", 100 / len(y_test), ".2f")
for key, r in zip(("cbam_base", "bn_base", "cbam_bn"), tests, strict=True):
    glue(f"test_{key}", r.line())
cbam_base, bn_base, cbam_bn = (r.outcome for r in tests)
if cbam_base == "lower":
    attribution = (f"CBAM is behind the baseline over these {len(B.seeds)} seeds: "
                   "there is no gain to attribute.")
elif cbam_base != "higher":
    attribution = (f"CBAM's lead over the baseline is not established over these "
                   f"{len(B.seeds)} seeds ({cbam_base}), so there is no gain to "
                   "attribute here.")
elif cbam_bn == "higher" and bn_base != "higher":
    attribution = ("CBAM is ahead of the baseline and of the control, and batch "
                   f"normalisation alone shows no detectable gain ({bn_base}): the "
                   "gain goes with the attention.")
elif cbam_bn == "higher":
    attribution = ("CBAM is ahead of the baseline and of the control, and the control "
                   "is ahead of the baseline too: both the normalisation and the "
                   "attention add to the gain.")
elif bn_base == "higher":
    attribution = ("CBAM is ahead of the baseline, but so is the control, and CBAM is "
                   f"not detectably ahead of the control ({cbam_bn}): a gain appears "
                   "without attention, and what the attention adds is not detected.")
else:
    attribution = ("CBAM is ahead of the baseline, but neither the control's lead over "
                   f"the baseline ({bn_base}) nor CBAM's over the control ({cbam_bn}) "
                   "is established: these seeds cannot say which part does the work.")
print(attribution)
glue("attribution", attribution)

# %% [markdown]
# ## Curves
#
# Training (solid) and validation (dashed) loss and accuracy of each network, seed
# {glue}`first_seed`; a star marks the epoch whose weights early stopping kept.

# %%
glue("first_seed", B.seeds[0], "d")
plots.plot_history([histories[k] for k in KINDS], metrics=("loss", "accuracy"),
                   labels=[NAMES[k] for k in KINDS],
                   title=f"Three networks, seed {B.seeds[0]}");

# %% [markdown]
# ## What it shows
#
# Each verdict below is the one computed above, over {glue}`n_seeds` seeds.
#
# - **Accuracies.** Baseline {glue}`acc_base`, control (batch normalisation, no
#   attention) {glue}`acc_bn`, CBAM {glue}`acc_cbam`.
# - **CBAM minus the baseline** (the report's comparison): {glue}`test_cbam_base`.
# - **Batch normalisation alone** (control minus baseline): {glue}`test_bn_base`.
# - **The attention on top of batch normalisation** (CBAM minus control):
#   {glue}`test_cbam_bn`.
# - **So:** {glue}`attribution`
# - **Still learning.** The best validation loss came at the last epoch in
#   {glue}`last_base` of the baseline's runs, {glue}`last_bn` of the control's and
#   {glue}`last_cbam` of CBAM's: a network still improving when the budget ends is
#   compared before it has finished, which favours the faster learner.
# - **Cost.** Per epoch on this CPU the control took {glue}`epoch_ratio_bn` times the
#   baseline's time and CBAM {glue}`epoch_ratio_cbam` times.

# %%
run.finish()

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```

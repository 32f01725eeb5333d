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
# # Which augmentations matter?
#
# The companion of {doc}`12_augmentation`. Problem 2 of the report
# {cite}`report001` generates its extra training digits with "combined", a random mix of
# seven augmentations, and never asks which of them do the work. Here we drop each one
# from the mix in turn, at the report's smallest training set (300 real images per
# digit), where augmentation should matter most, and compare every variant with the full
# mix and with no augmentation at all, over several seeds.
#
# ```{glue} provenance
# ```
#
# ```{admonition} Run this chapter yourself
# :class: tip
# Download {download}`the source (.py) <12_augmentation_ablation.py>` or
# {download}`the notebook (.ipynb) <12_augmentation_ablation.ipynb>`. In a clone of the
# book's repository, `pip install -e .`; then
# `python -m shared.publish book/chapters/12_augmentation_ablation.py` runs it at the
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

from shared import augment, budget, derived
from shared.models import digit_cnn
from shared.reporting import (
    Comparison,
    Tolerance,
    glue,
    mean_sd,
    paired_direction,
    start_run,
    table,
)
from shared.training import fit, set_seed

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices
run = start_run("12_augmentation_ablation")
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
print(f"device: {run.provenance.device}")

# %% [markdown]
# ## Budgets
#
# The full profile trains the report's classifier (Adam, 20 epochs, batch 32) on 300
# real images per digit plus 1,000 generated ones per digit, for each variant of the
# mix, from three seeds. The smoke profile runs the same code for one epoch with few
# generated images.

# %%
B = budget(
    full=dict(seeds=[1, 2, 3], real=300, generated=1000, test_per_class=200, epochs=20,
              batch_size=32, strength=0.5),
    smoke=dict(seeds=[1, 2], real=300, generated=30, test_per_class=20, epochs=1,
               batch_size=32, strength=0.5),
)
DATA_SEED = 0  # the same Reduced MNIST as the main notebook
display(B.table())

# %% [markdown]
# ## Data and variants
#
# The same Reduced MNIST as in the main notebook (`shared.derived.reduced_mnist`, seed
# 0): the first 300 training images of each digit and the 2,000 test images. The
# variants are: no generated images; the full "combined" mix (each of the seven
# augmentations applied to an image with probability 0.5, settings as in the main
# notebook); and the mix without one augmentation, for each of the seven.

# %%
rm = derived.reduced_mnist(B.real, B.test_per_class, seed=DATA_SEED)
x_real, y_real = (rm["x_train"] / 255.0).astype("float32"), rm["y_train"]
x_test, y_test = (rm["x_test"] / 255.0).astype("float32"), rm["y_test"]
VARIANTS = {"no augmentation": None, "combined": ()}
VARIANTS |= {f"without {name}": (name,) for name in augment.AUGMENTATIONS}
print(f"{len(y_real):,} real training images, {len(y_test):,} test images; "
      f"{len(VARIANTS)} variants")

# %% [markdown]
# ## Training
#
# For each seed and variant, 1,000 images per digit are generated from the real ones
# with that variant of the mix (seeded by seed, so that every variant starts from the
# same random choice of source images), added to the real ones, and a fresh
# classifier is trained and tested once. One line per run.

# %%
rows = []
start = time.perf_counter()
for seed in B.seeds:
    for name, exclude in VARIANTS.items():
        x, y = x_real, y_real
        if exclude is not None:
            gx, gy = augment.generate(x_real, y_real, B.generated,
                                      np.random.default_rng(seed), strength=B.strength,
                                      exclude=exclude)
            x, y = np.concatenate([x_real, gx]), np.concatenate([y_real, gy])
        set_seed(seed)
        model = digit_cnn()
        r = fit(model, x, y, epochs=B.epochs, batch_size=B.batch_size, log=False)
        _, acc = model.evaluate(x_test, y_test, batch_size=1024, verbose=0)
        rows.append({"seed": seed, "variant": name, "test accuracy": acc,
                     "train time (s)": r.wall_time})
        print(f"seed {seed} {name:>22}: {acc:.2%} ({r.wall_time:.0f} s)", flush=True)
print(f"all runs: {time.perf_counter() - start:.0f} s")
res = pd.DataFrame(rows)

# %% [markdown]
# ## Results
#
# Mean ± sd over the seeds, and each variant minus the full mix, seed by seed, in
# percentage points (negative: the variant is worse, so the augmentation it leaves out
# was helping). A difference counts when its mean is more than two standard errors of
# the paired differences from zero.

# %%
wide = res.pivot(index="seed", columns="variant", values="test accuracy")
wide = wide[list(VARIANTS)]
minus = 100 * wide.sub(wide["combined"], axis=0)
se = minus.std(ddof=1) / np.sqrt(len(minus))


def effect(name):
    if name == "combined":
        return "reference"
    return {0: "within the spread", -1: "worse", 1: "better"}[
        paired_direction(minus[name])]


summary = pd.DataFrame({
    name: {"test accuracy": mean_sd(wide[name]),
           "minus combined, mean (pt)": minus[name].mean(),
           "minus combined, sd (pt)": minus[name].std(ddof=1),
           "effect": effect(name)}
    for name in VARIANTS}).T.rename_axis("variant")
for col in ("minus combined, mean (pt)", "minus combined, sd (pt)"):
    summary[col] = summary[col].astype(float)
display(table(summary, decimals=2))

fig, ax = plt.subplots(figsize=(8, 3.6))
names = [n for n in VARIANTS if n != "combined"]
ax.bar(range(len(names)), minus[names].mean(), yerr=2 * se[names], capsize=4,
       color=["tab:gray"] + ["tab:blue"] * (len(names) - 1))
ax.axhline(0, color="black", lw=0.8)
ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
ax.set_ylabel("minus combined (pt)")
ax.set_title(f"Test accuracy minus the full mix, mean ± 2 SE over {len(B.seeds)} seeds")
fig.tight_layout()

hurting = [n.removeprefix("without ") for n in names[1:] if effect(n) == "worse"]
helping = [n.removeprefix("without ") for n in names[1:] if effect(n) == "better"]
glue("n_seeds", len(B.seeds), "d")
glue("no_aug_minus", f"{minus['no augmentation'].mean():+.2f} ± "
                     f"{minus['no augmentation'].std(ddof=1):.2f}")
glue("needed", ", ".join(hurting) if hurting else "none")
glue("harmful", ", ".join(helping) if helping else "none")

# %% [markdown]
# ## Reported versus reproduced
#
# Two of the variants are cells of the report's Table 3: 300 real images per digit with
# no generated ones (97.95%) and with 1,000 generated ones (98.35%). Tolerance: two
# binomial standard errors on 2,000 test images.

# %%
REPORT = {"no augmentation": 0.9795, "combined": 0.9835}
rows = [Comparison(f"300 real + {0 if k == 'no augmentation' else 1000} generated "
                   "per digit (ablation runs)", v, list(wide[k]),
                   Tolerance.binomial(v, len(y_test)), kind="percent")
        for k, v in REPORT.items()]
comparison = run.compare(rows, glue_counts=True)

# %% [markdown]
# Of the {glue}`n_rows` cells, {glue}`n_agrees` agree with the report by the
# rule stated under the table and {glue}`n_differs` differ.
#
# ## What it shows
#
# - **Augmentation as a whole.** Without any generated images the accuracy is
#   {glue}`no_aug_minus` points away from the full mix ({glue}`n_seeds` seeds).
# - **Augmentations whose removal costs accuracy beyond the seed spread:**
#   {glue}`needed`. **Augmentations whose removal improves it:** {glue}`harmful`. The
#   rest make no difference that {glue}`n_seeds` seeds can see.

# %%
run.finish()

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```

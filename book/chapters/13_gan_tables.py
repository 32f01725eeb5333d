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
# # Do generated digits help? Tables 5 and 6
#
# The second notebook on problem 3 of the report *Assignment 3: AE, GAN and Attention*
# {cite}`report001`. The GANs trained in {doc}`13_gan` generate digits of every class;
# here the classifier of the augmentation chapter ({doc}`12_augmentation`) is trained
# on real Reduced MNIST digits plus generated ones, as in the report's Table 5 (300,
# 700 or 1,000 real digits per class, plus 0 to 3,000 generated per class from the GAN
# trained on the same real digits, "specific", or from the GAN trained on all of MNIST,
# "full") and Table 6 (its section 3.4 pipeline: 300 real and 1,000 augmented digits per
# class, plus 0 to 3,000 per class from a GAN trained on those 13,000 images).
#
# ```{glue} provenance
# ```
#
# **What to look for.** The report reads a loss from the 300-per-class GAN (down to
# 91.10%), a small gain from the specific GANs at 700 and 1,000 per class, and in its
# prose an advantage of the specific GANs over the full one at 700 and 1,000. Its own
# table gives specific minus full of +0.05, −0.15 and −0.15 points at 700 real digits
# per class (1,000, 2,000 and 3,000 generated) and +0.25, +0.30 and +0.30 at 1,000: at
# 700 the full GAN is ahead in two of three cells (an erratum below). Its baselines
# without generated digits differ from the same runs in its Table 3 by up to 0.45
# points. Each cell here is one run, as the report's; the third notebook,
# {doc}`13_gan_seeds`, repeats the specific-versus-full comparison over seeds and tests
# it.
#
# ```{admonition} Run this chapter yourself
# :class: tip
# Download {download}`the source (.py) <13_gan_tables.py>` or
# {download}`the notebook (.ipynb) <13_gan_tables.ipynb>`. In a clone of the book's
# repository, `pip install -e .`; run {doc}`13_gan` first at the same profile (it
# leaves the generators in the book's cache), then
# `python -m shared.publish book/chapters/13_gan_tables.py`; adding
# `--profile smoke --out try.ipynb` to both runs a one-minute version.
# ```

# %% tags=["remove-stderr"]
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter

import logging
import math
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from shared import augment, budget, derived
from shared.gan import generate_per_class
from shared.models import digit_cnn
from shared.publish import published_chapters
from shared.reporting import Comparison, Tolerance, glue, pooled_sd, start_run, table
from shared.training import RunPlan, fit, load_handoff, set_seed, step_cost

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices
run = start_run("13_gan_tables")
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
print(f"device: {run.provenance.device}")

# %% [markdown]
# ## Budgets
#
# The full profile is the report's grid with the report's classifier trained as in the
# augmentation chapter (Adam, 20 epochs, batch 32), one run per cell as in the report
# (seed 1). The smoke profile runs the 300-per-class row for one epoch with a few
# generated digits. The `cpu` profile is the full one: the generators come from
# {doc}`13_gan`, whose GANs do not fit two CPU cores (see its budget), and the grid
# itself is about 390,000 classifier steps at batch 32 (Table 5: 312,500; Table 6:
# 70,000), two hours at the 12 to 18.5 ms per step measured in {doc}`12_augmentation`.
# The plan below measures the step again before anything trains.

# %%
B = budget(
    full=dict(real=[300, 700, 1000], generated=[0, 1000, 2000, 3000],
              test_per_class=200, epochs=20, batch_size=32, seed=1,
              pipeline_augmented=1000),
    smoke=dict(real=[300], generated=[0, 30], test_per_class=200, epochs=1,
               batch_size=32, seed=1, pipeline_augmented=30),
)
DATA_SEED, STRENGTH, NOISE_DIM = 0, 0.5, 100  # as in 13_gan
display(B.table())

# %% [markdown]
# ## What the run will cost
#
# One classifier step timed here, times the steps of every cell (each cell trains on its
# real plus generated digits for the budget's epochs). At the `cpu` profile a plan past
# 30 minutes stops here.

# %%
def cell_images(real, generated, augmented=0):
    return 10 * (real + augmented + generated)


cells5 = [(r, g) for r in B.real for g in B.generated
          for _ in ([0] if g == 0 else [0, 1])]  # +0: one cell; else two
steps5 = sum(B.epochs * math.ceil(cell_images(r, g) / B.batch_size) for r, g in cells5)
steps6 = sum(B.epochs * math.ceil(cell_images(300, g, B.pipeline_augmented)
                                  / B.batch_size) for g in B.generated)
probe_x = np.random.default_rng(0).random((8 * B.batch_size, 28, 28), dtype=np.float32)
probe_y = np.arange(len(probe_x)) % 10
cost = step_cost(digit_cnn("probe"), probe_x, probe_y, batch_size=B.batch_size,
                 steps=100 if B.profile != "smoke" else 10)
plan = RunPlan(B)
plan.add(f"Table 5: {len(cells5)} cells", steps5, cost)
plan.add(f"Table 6: {len(B.generated)} cells", steps6, cost)
estimate = plan.check(other_s=60)

# %% [markdown]
# ## The generators
#
# Each was trained by {doc}`13_gan` with its current code at this profile; what that
# run recorded:

# %%
generators, made = {}, []
for name in ["dcgan_full", *[f"dcgan_{r}" for r in B.real], "dcgan_300_aug"]:
    generators[name], info = load_handoff("13_gan", name)
    made.append({"GAN": name, **{k: info[k] for k in ("training images", "epochs",
                                                      "GAN time (s)", "backend")}})
display(table(pd.DataFrame(made).set_index("GAN"), decimals={"GAN time (s)": 0}))

# %% [markdown]
# ## Data
#
# The book's Reduced MNIST (seed 0): the very training sets of {doc}`12_augmentation`
# (300, 700 or 1,000 digits of each class, nested), and the same 2,000 test digits for
# every cell. Generated digits are drawn class by class (equal numbers per class),
# mapped from the generator's $[-1, 1]$ to $[0, 1]$, and added to the real ones.

# %%
rm = derived.reduced_mnist(max(B.real), B.test_per_class, seed=DATA_SEED)  # test digits
x_test, y_test = (rm["x_test"] / 255.0).astype("float32"), rm["y_test"]


def real_digits(per_class):
    """Reduced MNIST training digits (in [0, 1]) and labels, as in 12_augmentation."""
    rm = derived.reduced_mnist(per_class, B.test_per_class, seed=DATA_SEED)
    return (rm["x_train"] / 255.0).astype("float32"), rm["y_train"]


def synthetic(name, per_class, seed):
    images, labels = generate_per_class(generators[name], per_class, NOISE_DIM,
                                        seed=seed)
    return (images[..., 0] + 1) / 2, labels


print(f"test digits: {len(y_test):,}")

# %% [markdown]
# ## Training one cell
#
# A fresh classifier (seed 1, as every cell) on the real digits plus the generated
# ones, trained for the fixed number of epochs with no validation split, then tested
# once. The generated digits of a cell are drawn with a seed of their own (a
# `SeedSequence` of the table, the real and the generated digits per class), so no two
# cells share a draw; the specific and the full GAN of one cell get the same noise.

# %%
def train_cell(x, y, label):
    set_seed(B.seed)
    model = digit_cnn()
    r = fit(model, x, y, epochs=B.epochs, batch_size=B.batch_size, log=False,
            label=label)
    _, acc = model.evaluate(x_test, y_test, batch_size=1024, verbose=0)
    print(f"{label}: {acc:.2%} ({len(y):,} images, {r.wall_time:.0f} s)", flush=True)
    return acc, r.wall_time


def with_synthetic(x, y, gan, per_class, seed):
    if per_class == 0:
        return x, y
    gx, gy = synthetic(gan, per_class, seed)
    return np.concatenate([x, gx]), np.concatenate([y, gy])


rows = []
start = time.perf_counter()
for real in B.real:
    x_real, y_real = real_digits(real)
    for generated in B.generated:
        for source in (["none"] if generated == 0 else ["specific", "full"]):
            gan = f"dcgan_{real}" if source == "specific" else "dcgan_full"
            x, y = with_synthetic(x_real, y_real, gan, generated,
                                  seed=np.random.SeedSequence([5, real, generated]))
            acc, seconds = train_cell(x, y, f"{real} real + {generated} from {source}")
            rows.append({"table": 5, "real": real, "generated": generated,
                         "source": source, "test accuracy": acc,
                         "train time (s)": seconds})
print(f"Table 5: {time.perf_counter() - start:.0f} s")
res5 = pd.DataFrame(rows)

# %% [markdown]
# ## Table 5, re-run
#
# Each cell as "specific / full", as the report prints it, with the report's numbers
# and ours minus the report's (points).

# %%
REPORT5 = {300: [0.9785, (0.9485, 0.9655), (0.9400, 0.9800), (0.9110, 0.9735)],
           700: [0.9815, (0.9860, 0.9855), (0.9840, 0.9855), (0.9830, 0.9845)],
           1000: [0.9890, (0.9900, 0.9875), (0.9895, 0.9865), (0.9895, 0.9865)]}
COLUMNS = [0, 1000, 2000, 3000]


def reported5(real, generated, source):
    if real not in REPORT5 or generated not in COLUMNS:
        return np.nan  # a smoke-profile cell the report has no number for
    cell = REPORT5[real][COLUMNS.index(generated)]
    return cell if source == "none" else cell[source == "full"]


res5["report"] = [reported5(r.real, r.generated, r.source) for r in res5.itertuples()]


SOURCE_ORDER = {"none": 0, "specific": 1, "full": 2}


def as_grid(values):
    grid = pd.DataFrame(index=pd.Index(B.real, name="real per class"),
                        columns=[str(g) for g in B.generated], dtype=object)
    for (real, generated), cell in values.groupby(["real", "generated"]):
        order = cell.sort_values("source", key=lambda s: s.map(SOURCE_ORDER))
        parts = [f"{100 * v:.2f}" for v in order["value"]]
        grid.loc[real, str(generated)] = " / ".join(parts)
    return grid


for title, column in (("ours (%)", "test accuracy"), ("report (%)", "report")):
    print(title)
    display(table(as_grid(res5.assign(value=res5[column]))))
print("ours minus report (points)")
display(table(as_grid(res5.assign(value=res5["test accuracy"] - res5["report"]))))

# %% [markdown]
# The same as curves: accuracy against generated digits per class, one panel per row
# of the table; ours solid, the report's dashed.

# %%
fig, axes = plt.subplots(1, len(B.real), figsize=(9, 3), sharey=True, squeeze=False)
for ax, real in zip(axes[0], B.real, strict=True):
    base = res5[(res5.real == real) & (res5.source == "none")]
    for source, colour in (("specific", "C0"), ("full", "C1")):
        part = pd.concat([base, res5[(res5.real == real) & (res5.source == source)]])
        ax.plot(part.generated, 100 * part["test accuracy"], "o-", color=colour,
                label=f"{source} (ours)")
        ax.plot(part.generated, 100 * part["report"], "s--", color=colour, alpha=0.6,
                label=f"{source} (report)")
    ax.set_title(f"{real} real per class")
    ax.set_xlabel("generated per class")
axes[0, 0].set_ylabel("test accuracy (%)")
axes[0, -1].legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# ```{admonition} Erratum: two numbers for one experiment, twice
# :class: warning
# The first column of Table 5 (no generated digits) is the same experiment as the first
# column of Table 3: the same classifier and training on the same real digits. The
# report prints 97.85, 98.15 and 98.90% here and 97.95, 98.60 and 98.85% there: two
# runs of the same setting differ by up to 0.45 points. Likewise the first cell of
# Table 6 (300 real
# and 1,000 augmented digits per class, no generated ones: 98.50%) is Table 3's 300
# real plus 1,000 augmented (98.35%). By the report's own repeats, then, differences of
# that size between cells of either table can come from repeating one run, which the
# report does not take into account when it reads them.
# ```
#
# ```{admonition} Erratum: Table 5 against its prose at 700 real digits per class
# :class: warning
# The report's prose says the full-MNIST GAN "does not outperform dcgan_700" and that
# the specific GANs do better "particularly for the 700 and 1000 real samples per
# class cases". Its Table 5 has the full GAN ahead at 700 real with 2,000 generated
# (98.55% against 98.40%) and with 3,000 (98.45% against 98.30%); only with 1,000
# generated is the specific GAN ahead, by 0.05 points (one test digit). At 1,000 real
# the table agrees with the prose (+0.25, +0.30, +0.30 points). Below, each cell's
# specific-minus-full difference is set beside the report's own, sign by sign.
# ```
#
# ## Specific minus full, cell by cell
#
# Our difference and the report's for each cell, and whether the two have the same
# sign. Both are single runs, so a sign here decides nothing;
# {doc}`13_gan_seeds` tests the differences over seeds, against each cell's own
# reported sign and against the prose's claim.

# %%
pairs = res5[res5.source != "none"].pivot(index=["real", "generated"], columns="source",
                                          values=["test accuracy", "report"])
signs = pd.DataFrame({
    "ours: specific − full (pt)": 100 * (pairs["test accuracy"]["specific"]
                                          - pairs["test accuracy"]["full"]),
    "report: specific − full (pt)": 100 * (pairs["report"]["specific"]
                                            - pairs["report"]["full"]),
})
signs["same sign"] = np.where(signs.iloc[:, 1].isna(), "no number of the report",
                              np.where(np.sign(signs.iloc[:, 0])
                                       == np.sign(signs.iloc[:, 1]), "yes", "no"))
display(table(signs, decimals=2))

# %% [markdown]
# ## Table 6: the pipeline
#
# 300 real digits per class plus 1,000 augmented ones per class (the report says only
# "the augmentation techniques described in Problem 2": the augmentation chapter's
# "combined" mix at strength 0.5, drawn with seed 0 as in {doc}`13_gan`, is our
# reading), and
# 0 to 3,000 generated per class from the GAN trained on those 13,000 digits.

# %%
x_real, y_real = real_digits(300)
ax_, ay_ = augment.generate(x_real, y_real, B.pipeline_augmented,
                            np.random.default_rng(DATA_SEED), strength=STRENGTH)
x_aug, y_aug = np.concatenate([x_real, ax_]), np.concatenate([y_real, ay_])
rows = []
for generated in B.generated:
    x, y = with_synthetic(x_aug, y_aug, "dcgan_300_aug", generated,
                          seed=np.random.SeedSequence([6, 300, generated]))
    acc, seconds = train_cell(x, y, f"300 real + {B.pipeline_augmented} augmented + "
                              f"{generated} generated")
    rows.append({"generated": generated, "test accuracy": acc,
                 "train time (s)": seconds})
res6 = pd.DataFrame(rows).set_index("generated")
REPORT6 = pd.Series([0.9850, 0.9855, 0.9875, 0.9860], index=COLUMNS)
res6["report"] = REPORT6.reindex(res6.index)
display(table(res6, percent=["test accuracy", "report"],
              decimals={"train time (s)": 0}))

# %% [markdown]
# The report draws four numbers from these tables: the augmented baseline minus the
# plain 300-per-class one (+0.65 points), its best pipeline cell (+2,000 generated)
# minus the augmented baseline (+0.25 points) and minus its best cell at 1,000 real
# digits (+1,000 from the specific GAN: −0.25 points), and that pipeline cell minus the
# plain 300-per-class baseline (+0.90 points). A best cell chosen as the largest of
# single runs favours whichever run was
# lucky, so we take the report's cells as it chose them and compute the same
# differences from ours.

# %%
def ours5(real, generated, source):
    hit = res5[(res5.real == real) & (res5.generated == generated)
               & (res5.source == source)]
    return hit["test accuracy"].iloc[0] if len(hit) else np.nan


def ours6(generated):
    return res6["test accuracy"].get(generated, np.nan)


DERIVED = [  # (what, report's change, ours, the two cells it rests on)
    ("Table 6 (+0) minus Table 5 (300 real, +0)", 0.9850 - 0.9785,
     ours6(0) - ours5(300, 0, "none"), [("t6", 0), ("t5", 300, 0, "none")]),
    ("Table 6 (+2000) minus Table 6 (+0)", 0.9875 - 0.9850,
     ours6(2000) - ours6(0), [("t6", 2000), ("t6", 0)]),
    ("Table 6 (+2000) minus Table 5 (1000 real, +1000 specific)", 0.9875 - 0.9900,
     ours6(2000) - ours5(1000, 1000, "specific"),
     [("t6", 2000), ("t5", 1000, 1000, "specific")]),
    ("Table 6 (+2000) minus Table 5 (300 real, +0)", 0.9875 - 0.9785,
     ours6(2000) - ours5(300, 0, "none"), [("t6", 2000), ("t5", 300, 0, "none")]),
]
derived_frame = pd.DataFrame([{"difference": what, "report (pt)": 100 * change,
                               "ours (pt)": 100 * ours}
                              for what, change, ours, _ in DERIVED])
display(table(derived_frame.set_index("difference"), decimals=2))
glue("gain_pipeline", 100 * DERIVED[3][2], "+.2f")
glue("pipeline_vs_1000", 100 * DERIVED[2][2], "+.2f")
glue("gain_augment", 100 * DERIVED[0][2], "+.2f")

# %% [markdown]
# ## Reported versus reproduced
#
# Every cell of Tables 5 and 6 (21 and 4 accuracies, each one run, as the report's) and
# the report's three derived differences. A run like the report's differs from ours by
# the test digits drawn (two binomial standard errors of both 2,000-digit test sets;
# the report's "200 examples" are per class, as {doc}`12_augmentation` explains)
# and by the run itself. One run per cell gives no spread of its own, so the run-to-run
# spread is the one measured over seeds for this classifier, trained the same way, in
# {doc}`12_augmentation` (its published cells, pooled). That spread covers the
# classifier's start and the draw of the data; it does not cover training the GAN
# again, so these intervals are, if anything, too narrow. A derived difference rests
# on two cells: its interval is theirs in quadrature.

# %%
twelve = next((c for c in published_chapters() if c["stem"] == "12_augmentation"), None)
if twelve is None:
    raise RuntimeError("the run-to-run spread comes from the published 12_augmentation "
                       "notebook, which has no outputs: publish it first")
if twelve["provenance"]["profile"] not in ("cpu", "full"):
    raise RuntimeError("the published 12_augmentation holds a "
                       f"{twelve['provenance']['profile']} run: its spread is no "
                       "measure")
runs12 = [c["values"] for c in twelve["claims"] if c["n"] >= 2]
spread_sd, spread_df = pooled_sd(runs12)
print(f"run-to-run sd of one test accuracy, pooled over {len(runs12)} cells of "
      f"12_augmentation ({twelve['provenance']['profile']} run of "
      f"{twelve['provenance']['date']}): {100 * spread_sd:.2f} pt, {spread_df} "
      "degrees of freedom")
glue("spread_sd", 100 * spread_sd, ".2f")


def cell_tolerance(reported):
    return Tolerance.with_spread(Tolerance.binomial(reported, len(y_test)), spread_sd,
                                 spread_df, "12_augmentation (pooled over its seeds)")


rows, tol_of = [], {}
for _, r in res5.iterrows():
    what = "none" if r.source == "none" else f"{r.source} GAN"
    quantity = f"Table 5: {r.real} real + {r.generated} generated ({what})"
    if np.isnan(r.report):  # a smoke-profile cell the report has no number for
        continue
    tol_of["t5", r.real, r.generated, r.source] = cell_tolerance(r.report)
    rows.append(Comparison(quantity, r.report, r["test accuracy"],
                           tol_of["t5", r.real, r.generated, r.source], kind="percent"))
for generated, r in res6.iterrows():
    if np.isnan(r.report):
        continue
    tol_of["t6", generated] = cell_tolerance(r.report)
    rows.append(Comparison(f"Table 6: 300 real + 1000 augmented + {generated} "
                           "generated", r.report, r["test accuracy"],
                           tol_of["t6", generated], kind="percent"))
for what, reported, ours, cells in DERIVED:
    if np.isnan(ours) or not all(c in tol_of for c in cells):
        continue  # smoke: a cell the run has not got
    a, b = (tol_of[c] for c in cells)
    rows.append(Comparison(f"derived: {what}", reported, ours, Tolerance.stated(
        math.hypot(a.value, b.value), "the intervals of its two cells in quadrature"),
        kind="percent"))
comparison = run.compare(rows, glue_counts=True)

# %% [markdown]
# Of the {glue}`n_rows` rows, {glue}`n_agrees` agree with the report within their
# intervals (test digits and a run-to-run sd of {glue}`spread_sd` points) and
# {glue}`n_differs` do not. At the report's own cells, the augmented baseline is
# {glue}`gain_augment` points above the plain 300-per-class one, the pipeline with
# 2,000 generated digits per class is {glue}`gain_pipeline` points above it and
# {glue}`pipeline_vs_1000` points from 1,000 real digits per class with 1,000 from the
# specific GAN.

# %%
run.finish()

# %% [markdown]
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```

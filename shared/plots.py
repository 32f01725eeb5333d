"""Plotting helpers: training curves, image/filter/feature-map grids, confusion matrices."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np


def plot_history(runs, metrics: Sequence[str] = ("loss", "accuracy"), labels=None, title=None):
    """Training (solid) and validation (dashed) curves of one or more runs, one panel per metric.

    ``runs`` is a :class:`shared.training.Run`, a history dict, or a list of either.
    """
    if not isinstance(runs, (list, tuple)):
        runs = [runs]
    histories = [getattr(r, "history", r) for r in runs]
    if labels is None:
        labels = [getattr(r, "label", "") or f"run {i + 1}" for i, r in enumerate(runs)]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        for i, (hist, label) in enumerate(zip(histories, labels, strict=True)):
            colour = f"C{i % 10}"
            epochs = np.arange(1, len(hist[metric]) + 1)
            ax.plot(epochs, hist[metric], color=colour, marker="o", ms=3, label=f"{label} train")
            if f"val_{metric}" in hist:
                ax.plot(epochs, hist[f"val_{metric}"], color=colour, ls="--", marker="o", ms=3,
                        label=f"{label} valid")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize="small", ncols=2 if len(histories) > 3 else 1)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def image_grid(images, titles=None, ncols: int = 10, cmap: str = "gray", size: float = 1.2, title=None):
    """A grid of images (``(N, H, W)`` or ``(N, H, W, C)``) with optional per-image titles."""
    images = np.asarray(images)
    n = len(images)
    nrows = max(1, math.ceil(n / ncols))
    aspect = images.shape[1] / images.shape[2] if n else 1.0
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * aspect * nrows + 0.3 * nrows),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            img = images[i]
            if img.ndim == 3 and img.shape[-1] == 1:
                img = img[..., 0]
            ax.imshow(img, cmap=cmap if img.ndim == 2 else None)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def filter_grid(kernel, input_channel: int = 0, ncols: int = 8, cmap: str = "viridis", title=None):
    """Show each output filter of a conv kernel ``(kh, kw, in, out)`` for one input channel."""
    kernel = np.asarray(kernel)
    filters = np.moveaxis(kernel[:, :, input_channel, :], -1, 0)
    titles = [f"filter {i}" for i in range(len(filters))]
    return image_grid(filters, titles=titles, ncols=ncols, cmap=cmap, size=1.3, title=title)


def feature_maps(activation, max_maps: int = 64, ncols: int = 8, cmap: str = "viridis", title=None):
    """The channels of one activation ``(H, W, C)`` (or ``(1, H, W, C)``) as a grid."""
    activation = np.asarray(activation)
    if activation.ndim == 4:
        activation = activation[0]
    maps = np.moveaxis(activation[:, :, :max_maps], -1, 0)
    titles = [f"map {i}" for i in range(len(maps))]
    return image_grid(maps, titles=titles, ncols=ncols, cmap=cmap, size=1.2, title=title)


def confusion_matrix(y_true, y_pred, class_names=None, normalize: bool = False, title=None, ax=None):
    """Confusion matrix heat map (counts, or row-normalised rates with ``normalize=True``)."""
    import seaborn as sns
    from sklearn.metrics import confusion_matrix as sk_confusion

    labels = np.arange(len(class_names)) if class_names is not None else None
    cm = sk_confusion(y_true, y_pred, labels=labels, normalize="true" if normalize else None)
    if ax is None:
        n = cm.shape[0]
        _, ax = plt.subplots(figsize=(0.55 * n + 2, 0.5 * n + 1.5))
    sns.heatmap(cm, annot=True, fmt=".2f" if normalize else "d", cmap="Blues", cbar=False, ax=ax,
                xticklabels=class_names if class_names is not None else "auto",
                yticklabels=class_names if class_names is not None else "auto",
                annot_kws={"fontsize": 8})
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    ax.figure.tight_layout()
    return ax.figure


def class_balance(labels_by_split: dict, class_names=None, title=None, ax=None):
    """Grouped bar chart of class counts, one bar colour per split (``{"train": y_train, ...}``)."""
    splits = list(labels_by_split)
    n_classes = len(class_names) if class_names is not None else 1 + max(
        int(np.max(y)) for y in labels_by_split.values())
    counts = np.stack([np.bincount(np.asarray(y).ravel(), minlength=n_classes)
                       for y in labels_by_split.values()])
    if ax is None:
        _, ax = plt.subplots(figsize=(max(5.0, 0.45 * n_classes * max(1, len(splits) / 2) + 2), 3))
    width = 0.8 / len(splits)
    x = np.arange(n_classes)
    for i, split in enumerate(splits):
        ax.bar(x + (i - (len(splits) - 1) / 2) * width, counts[i], width,
               label=f"{split} ({counts[i].sum():,})")
    long_names = class_names is not None and max(len(str(c)) for c in class_names) > 3
    ax.set_xticks(x, class_names if class_names is not None else x, rotation=45 if long_names else 0)
    ax.set_ylabel("count")
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    ax.figure.tight_layout()
    return ax.figure

"""Plotting helpers: training curves, image/filter/feature-map grids, spectrograms, confusion matrices.

Every figure is laid out for the page: at most :data:`PAGE_WIDTH_IN` wide, legends off the data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

# The page's text column is about 7.5 inches wide at 100 dpi: wider figures are scaled down, and
# their text with them. Grids are laid out to fit this width so that titles stay legible.
PAGE_WIDTH_IN = 9.0
TITLE_SIZE = 10


def readable(metric: str) -> str:
    """A Keras history name in words: ``val_loss`` -> ``validation loss``."""
    words = metric.replace("_", " ")
    return "validation " + words[4:] if metric.startswith("val_") else words


def plot_history(runs, metrics: Sequence[str] = ("loss", "accuracy"), labels=None, title=None,
                 best: str | None = "val_loss", log_loss: bool = True):
    """Training (solid) and validation (dashed) curves of one or more runs, one panel per metric.

    ``runs`` is a :class:`shared.training.Run`, a history dict, or a list of either. Loss panels use
    a logarithmic axis (``log_loss``), so that a large first-epoch loss does not flatten the rest.
    ``best`` marks, on every panel, the epoch where that history entry was lowest (the epoch early
    stopping keeps) with a star. The legend sits below the panels, off the curves.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import PercentFormatter

    if not isinstance(runs, (list, tuple)):
        runs = [runs]
    histories = [getattr(r, "history", r) for r in runs]
    if labels is None:
        labels = [getattr(r, "label", "") or f"run {i + 1}" for i, r in enumerate(runs)]
    for metric in metrics:
        missing = [lab for h, lab in zip(histories, labels, strict=True) if metric not in h]
        if missing:
            raise KeyError(f"metric {metric!r} is not in the history of {missing}")
    fig, axes = plt.subplots(1, len(metrics), figsize=(min(PAGE_WIDTH_IN, 4.5 * len(metrics)), 3.4),
                             squeeze=False)
    any_valid = any_best = False
    for ax, metric in zip(axes[0], metrics, strict=True):
        for i, hist in enumerate(histories):
            colour = f"C{i % 10}"
            epochs = np.arange(1, len(hist[metric]) + 1)
            ax.plot(epochs, hist[metric], color=colour, marker="o", ms=2.5, lw=1.2)
            val = hist.get(f"val_{metric}")
            if val is not None:
                any_valid = True
                ax.plot(epochs, val, color=colour, ls="--", marker="o", ms=2.5, lw=1.2)
            if best and best in hist:
                any_best = True
                k = int(np.argmin(hist[best]))
                y = (val if val is not None else hist[metric])[k]
                ax.plot([k + 1], [y], marker="*", ms=11, color=colour, mec="black", mew=0.6, zorder=5)
        if log_loss and "loss" in metric:
            ax.set_yscale("log")
            ax.set_ylabel(f"{readable(metric)} (log scale)")
        elif "accuracy" in metric:  # a share, shown in per cent as the pages write it
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set_ylabel(f"{readable(metric)} (%)")
        else:
            ax.set_ylabel(readable(metric))
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3, which="both")
    handles = [Line2D([], [], color=f"C{i % 10}", lw=2) for i in range(len(histories))]
    names = list(labels)
    handles.append(Line2D([], [], color="grey", lw=1.2))
    names.append("train")
    if any_valid:
        handles.append(Line2D([], [], color="grey", lw=1.2, ls="--"))
        names.append("validation")
    if any_best:
        handles.append(Line2D([], [], color="grey", ls="", marker="*", ms=11, mec="black", mew=0.6))
        names.append(f"lowest {readable(best)}")
    ncols = min(len(names), 5)
    rows = math.ceil(len(names) / ncols)
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE + 1)
    fig.legend(handles, names, loc="lower center", ncols=ncols, fontsize="small", frameon=False)
    fig.tight_layout(rect=(0, 0.07 * rows + 0.03, 1, 1))
    return fig


def image_grid(images, titles=None, ncols: int = 10, cmap: str = "gray", size: float = 1.2, title=None,
               title_size: float = TITLE_SIZE - 1):
    """A grid of images (``(N, H, W)`` or ``(N, H, W, C)``) with optional per-image titles.

    The grid is at most :data:`PAGE_WIDTH_IN` wide, so that titles keep their size on the page.
    """
    images = np.asarray(images)
    n = len(images)
    if n == 0:
        raise ValueError("image_grid got no images")
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    size = min(size, PAGE_WIDTH_IN / ncols)
    aspect = images.shape[1] / images.shape[2]
    title_h = 0.28 if titles is not None else 0.05
    height = (size * aspect + title_h) * nrows + (0.4 if title else 0)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, figsize=(size * ncols, height))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            img = images[i]
            if img.ndim == 3 and img.shape[-1] == 1:
                img = img[..., 0]
            ax.imshow(img, cmap=cmap if img.ndim == 2 else None)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=title_size, pad=2)
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE + 1)
    fig.tight_layout(pad=0.3, h_pad=0.3, w_pad=0.2)
    return fig


def filter_grid(kernel, input_channel: int = 0, ncols: int = 8, cmap: str = "viridis", title=None):
    """Show each output filter of a conv kernel ``(kh, kw, in, out)`` for one input channel.

    Each filter is titled by its index; one colour scale per filter.
    """
    kernel = np.asarray(kernel)
    filters = np.moveaxis(kernel[:, :, input_channel, :], -1, 0)
    return image_grid(filters, titles=list(range(len(filters))), ncols=ncols, cmap=cmap, size=1.1,
                      title=title)


def feature_maps(activation, max_maps: int = 64, ncols: int = 16, cmap: str = "viridis", title=None):
    """The channels of one activation ``(H, W, C)`` (or ``(1, H, W, C)``) as a grid.

    Maps carry no titles (at this size they would be unreadable): they are channels 0, 1, 2, ...
    left to right, then top to bottom, which the figure title says.
    """
    activation = np.asarray(activation)
    if activation.ndim == 4:
        activation = activation[0]
    maps = np.moveaxis(activation[:, :, :max_maps], -1, 0)
    note = f"channels 0–{len(maps) - 1}, row by row"
    return image_grid(maps, titles=None, ncols=ncols, cmap=cmap, size=0.6,
                      title=f"{title}: {note}" if title else note)


def waveform(audio, sr: int, ax=None, title=None, max_ticks: int = 5):
    """A waveform (``librosa.display.waveshow``) with at most ``max_ticks`` time ticks."""
    import librosa.display
    from matplotlib.ticker import MaxNLocator

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 2.2))
    librosa.display.waveshow(np.asarray(audio), sr=sr, ax=ax)
    ax.xaxis.set_major_locator(MaxNLocator(max_ticks))
    ax.set_xlabel("time (s)")
    if title:
        ax.set_title(title, fontsize=TITLE_SIZE)
    return ax


def spectrogram(power_db, sr: int, hop_length: int, ax=None, title=None, y_axis: str = "mel",
                max_ticks: int = 5):
    """A spectrogram in dB (``librosa.display.specshow``) with at most ``max_ticks`` time ticks."""
    import librosa.display
    from matplotlib.ticker import MaxNLocator

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 2.6))
    img = librosa.display.specshow(power_db, sr=sr, hop_length=hop_length, x_axis="s", y_axis=y_axis,
                                   ax=ax)
    ax.xaxis.set_major_locator(MaxNLocator(max_ticks))
    ax.set_xlabel("time (s)")
    if title:
        ax.set_title(title, fontsize=TITLE_SIZE)
    return img


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
    ax.margins(y=0.08)
    # outside the axes, right of the bars: never on top of them
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    if title:
        ax.set_title(title)
    ax.figure.tight_layout()
    return ax.figure

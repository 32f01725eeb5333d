"""The shared figures: what a reader sees on their axes and legends."""

import matplotlib

matplotlib.use("Agg")

from matplotlib.ticker import PercentFormatter  # noqa: E402

from shared import plots  # noqa: E402


def test_history_plot_writes_names_in_words_and_accuracy_in_per_cent():
    history = {"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.6, 0.7],
               "accuracy": [0.5, 0.8, 0.9], "val_accuracy": [0.4, 0.7, 0.75]}
    fig = plots.plot_history(history, labels=["run"])
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_ylabel() == "loss (log scale)"
    assert acc_ax.get_ylabel() == "accuracy (%)"
    assert isinstance(acc_ax.yaxis.get_major_formatter(), PercentFormatter)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["run", "train", "validation", "lowest validation loss"]
    assert plots.readable("val_mean_absolute_error") == "validation mean absolute error"

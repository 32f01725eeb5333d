"""13_gan's own trainer, trained in parts: a GAN paused after its first epoch and resumed (its
auxiliary classifier loaded from the checkpoint, not trained again) equals the GAN trained at once.
The chapter's train cells are executed here, at the smoke profile, with the cells they build on."""

from pathlib import Path

import numpy as np
import pytest

from shared import checkpoint

CHAPTER = Path(__file__).resolve().parents[1] / "book" / "chapters" / "13_gan.py"


def chapter_namespace() -> dict:
    """The chapter's code cells up to and including the one defining ``train_gan``."""
    import jupytext

    namespace = {"__name__": "chapter"}
    for cell in jupytext.read(CHAPTER).cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, str(CHAPTER), "exec"), namespace)
        if "train_gan" in namespace:
            return namespace
    raise AssertionError("13_gan defines no train_gan")


@pytest.mark.slow
def test_a_gan_paused_and_resumed_equals_the_gan_trained_at_once(data_env, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("BOOK_PROFILE", "smoke")
    monkeypatch.setenv("BOOK_RUN_STORE", str(tmp_path / "store"))
    monkeypatch.chdir(CHAPTER.parent)
    ns = chapter_namespace()
    spec = {"gan": "dcgan_300", "real": 20, "augmented": 0, "epochs": 3, "batch_size": 32,
            "aux_steps": 4, "aux_batch": 32, "noise_dim": ns["NOISE_DIM"],
            "embed_dim": ns["EMBED_DIM"], "class_weight": ns["CLASS_WEIGHT"], "lr": ns["LR"],
            "beta_1": ns["BETA_1"], "data_seed": 0, "strength": 0.5, "seed": 1,
            "check_per_class": 3}
    at_once = ns["train_gan"](spec, checkpoint.Part(tmp_path / "at-once"))

    calls = []

    def after_one_epoch(self, next_s):
        calls.append(next_s)
        return len(calls) == 1

    with monkeypatch.context() as m:
        m.setattr(checkpoint.Part, "out_of_time", after_one_epoch)
        with pytest.raises(checkpoint.Paused):
            ns["train_gan"](spec, checkpoint.Part(tmp_path / "parts"))
    assert (tmp_path / "parts" / "aux.npz").exists()
    fits = []
    monkeypatch.setitem(ns, "fit", lambda *a, **k: fits.append(a))  # the classifier's fit
    part = checkpoint.Part(tmp_path / "parts")
    assert part.resumed and part.parts == 2
    resumed = ns["train_gan"](spec, part)
    assert not fits, "the resumed part trained the auxiliary classifier again"
    assert resumed["metrics"] == {**at_once["metrics"], "aux_s": resumed["metrics"]["aux_s"],
                                  "gan_s": resumed["metrics"]["gan_s"]}
    for a, b in zip(at_once["weights"].get_weights(), resumed["weights"].get_weights(),
                    strict=True):
        np.testing.assert_array_equal(a, b)
    assert at_once["fit"].history == resumed["fit"].history
    for k in at_once["arrays"]:
        np.testing.assert_array_equal(at_once["arrays"][k], resumed["arrays"][k])

import numpy as np
import pytest

from tests.conftest import run_probe


@pytest.fixture(scope="module", params=["tensorflow", "jax"])
def probe(request):
    return run_probe("gan_probe.py", request.param)


def test_class_term_teaches_the_generator(probe):
    a = probe["runs"]["a"]
    assert a["acc_before"] < 0.6  # the untrained generator ignores the requested class
    assert a["acc_after"] >= 0.95
    assert a["history"]["g_class"][-1] < 0.1 * a["history"]["g_class"][0]
    assert a["iterations"] == 15 * (512 // 64)  # every step updated the generator once


def test_without_class_term_a_label_before_the_logit_does_not_condition(probe):
    # the probe's discriminator joins the label just before its output unit: a per-class bias
    # only, which cannot tell a wrong-class image from a right one
    assert probe["runs"]["no_class"]["acc_after"] < 0.8


def test_discriminator_learns_and_losses_finite(probe):
    h = probe["runs"]["a"]["history"]
    assert all(np.isfinite(v).all() for v in h.values())
    assert max(h["d_real_acc"]) > 0.6


def test_same_seed_same_training(probe):
    a, b = probe["runs"]["a"], probe["runs"]["b"]
    assert a["images"] == b["images"]
    assert a["history"] == b["history"]
    assert a["changed"] > 1e-3


def test_a_run_in_parts_equals_the_run_at_once(probe):
    a, parts = probe["runs"]["a"], probe["runs"]["parts"]
    # paused after epochs 4, 8 and 12 (done 4/15, ...), each pause one more part begun
    assert parts["pauses"] == [[4 / 15, 1], [8 / 15, 2], [12 / 15, 3]]
    # bit for bit: every variable, optimiser slot and the noise generator's state were restored
    assert parts["history"] == a["history"]
    assert parts["images"] == a["images"]
    assert parts["iterations"] == a["iterations"]
    assert "of another run" in parts["other_run"]


def test_bad_input_and_reload(probe):
    assert probe["errors"] == ["x has 10 images but y has 9 labels", "labels must lie in 0..2, got 5..7"]
    assert probe["reload_same"]


def test_frechet_distance_known_values():
    from shared.gan import frechet_distance

    rng = np.random.default_rng(0)
    a = rng.standard_normal((20000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    # two Gaussians with diagonal covariances: |mu_a - mu_b|^2 + sum (sd_a - sd_b)^2
    b = rng.standard_normal((20000, 3)) * np.array([1.0, 2.0, 3.0]) + np.array([1.0, 0.0, -2.0])
    expected = (1 + 4) + (0 + 1 + 4)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=0.03)
    assert frechet_distance(b, a) == pytest.approx(frechet_distance(a, b), rel=1e-6)


def test_frechet_distance_rejects_bad_shapes():
    from shared.gan import frechet_distance

    with pytest.raises(ValueError, match="equal width"):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="two samples"):
        frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))


def test_conditional_batch_norm_per_class_scale_and_shift():
    import keras

    from shared.gan import ConditionalBatchNormalization

    layer = ConditionalBatchNormalization(3, epsilon=0.0)
    x = np.random.default_rng(1).standard_normal((6, 2, 2, 4)).astype("float32")
    y = np.array([0, 1, 2, 0, 1, 2])
    layer([x, y])  # build
    layer.gamma.assign(np.array([[1.0] * 4, [2.0] * 4, [0.5] * 4], "float32"))
    layer.beta.assign(np.array([[0.0] * 4, [1.0] * 4, [-1.0] * 4], "float32"))
    out = keras.ops.convert_to_numpy(layer([x, y], training=True))
    x_hat = (x - x.mean(axis=(0, 1, 2))) / x.std(axis=(0, 1, 2))
    gamma, beta = np.array([1.0, 2.0, 0.5, 1.0, 2.0, 0.5]), np.array([0.0, 1.0, -1.0, 0.0, 1.0, -1.0])
    np.testing.assert_allclose(out, gamma[:, None, None, None] * x_hat + beta[:, None, None, None],
                               atol=1e-4)
    with pytest.raises(ValueError, match="num_classes"):
        ConditionalBatchNormalization(0)


def test_fit_logs_every_k_epochs_and_checks_batch_size():
    import io
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    import gan_probe

    from shared.gan import ConditionalGAN

    x, y = gan_probe.real_data(64, np.random.default_rng(0))
    gan = ConditionalGAN(gan_probe.generator(), gan_probe.discriminator(), noise_dim=gan_probe.NOISE,
                         num_classes=gan_probe.K)
    out = io.StringIO()
    run = gan.fit(x, y, epochs=3, batch_size=32, log_every=2, stream=out)
    lines = out.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == ["2/3", "3/3"]
    assert "D right on real" in lines[0]
    assert len(run.history["d_loss"]) == 3 and run.history["g_class"] == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="batch_size"):
        gan.fit(x, y, epochs=1, batch_size=65)


def test_generate_per_class_orders_classes_and_is_seeded():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    import gan_probe

    from shared.gan import generate_per_class

    g = gan_probe.generator()
    images, labels = generate_per_class(g, 4, gan_probe.NOISE, num_classes=3, seed=5)
    assert images.shape == (12, 4, 4, 1) and labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    again, _ = generate_per_class(g, 4, gan_probe.NOISE, num_classes=3, seed=5)
    np.testing.assert_array_equal(images, again)
    with pytest.raises(ValueError, match="per_class"):
        generate_per_class(g, -1, gan_probe.NOISE)


def _tiny_gan():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    import gan_probe

    from shared.gan import ConditionalGAN

    return gan_probe, ConditionalGAN(gan_probe.generator(), gan_probe.discriminator(),
                                     noise_dim=gan_probe.NOISE, num_classes=gan_probe.K)


def test_fake_labels_follow_the_training_labels():
    gan_probe, gan = _tiny_gan()
    x, _ = gan_probe.real_data(400, np.random.default_rng(0))
    y = np.where(np.arange(400) < 360, 0, 1).astype("int32")  # 90% class 0, 10% class 1, none 2
    seen = []

    def record(state, real, labels, noise, fake_labels):
        seen.append(np.asarray(fake_labels))
        return state, [0.0] * 6

    gan._step = record
    gan.fit(x, y, epochs=3, batch_size=40, log=False)
    fake = np.concatenate(seen)
    assert fake.size == 3 * 10 * 40
    assert set(np.unique(fake)) <= {0, 1}  # a class absent from training is never asked for
    assert 0.85 < (fake == 0).mean() < 0.95  # uniform labels would give a third


def test_step_cost_times_real_steps_and_checks_input():
    gan_probe, gan = _tiny_gan()
    x, y = gan_probe.real_data(64, np.random.default_rng(0))
    before = [v.numpy().copy() for v in gan.generator.trainable_variables]
    seconds = gan.step_cost(x, y, batch_size=32, steps=3, warmup=1)
    assert 0 < seconds < 10
    after = [v.numpy() for v in gan.generator.trainable_variables]
    assert any(not np.allclose(a, b) for a, b in zip(before, after, strict=True))  # it trained
    with pytest.raises(ValueError, match="batch_size"):
        gan.step_cost(x, y, batch_size=65)


def test_frechet_distance_warns_on_a_large_imaginary_part(monkeypatch):
    import warnings

    import scipy.linalg

    from shared.gan import frechet_distance

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(200, 4)), rng.normal(size=(200, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frechet_distance(a, b)  # well conditioned: no warning
    real_sqrtm = scipy.linalg.sqrtm
    monkeypatch.setattr(scipy.linalg, "sqrtm", lambda m: real_sqrtm(m) + 0.01j)
    with pytest.warns(RuntimeWarning, match="imaginary part"):
        value = frechet_distance(a, b)
    assert np.isfinite(value)

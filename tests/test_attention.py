"""shared.attention: each block keeps the feature map's shape and has its defining property, under
TensorFlow and JAX (each backend in a fresh process)."""

import pytest

from tests.conftest import run_probe


@pytest.fixture(scope="module", params=["tensorflow", "jax"])
def probe(request):
    return run_probe("attention_probe.py", request.param)


def test_every_block_keeps_the_shape_and_only_reweights(probe):
    for name in ("spatial", "se", "cbam"):
        assert probe[name]["shape"] == [4, 13, 13, 32], name
        assert probe[name]["bounded"], name


def test_spatial_attention_is_one_weight_per_position(probe):
    assert probe["spatial"]["weights_shape"] == [4, 13, 13, 1]
    assert 0 < probe["spatial"]["w_min"] <= probe["spatial"]["w_max"] < 1
    assert probe["spatial"]["params"] == 32 + 1  # a 1x1 conv to one channel


def test_se_scale_is_in_0_1_per_channel(probe):
    assert probe["se"]["weights_shape"] == [4, 1, 1, 32]
    assert 0 < probe["se"]["w_min"] <= probe["se"]["w_max"] < 1
    assert probe["se"]["params"] == (32 * 4 + 4) + (4 * 32 + 32)  # Dense 4 and Dense 32


def test_cbam_spatial_map_is_one_channel(probe):
    assert probe["cbam"]["weights_shape"] == [4, 13, 13, 1]
    assert 0 < probe["cbam"]["w_min"] <= probe["cbam"]["w_max"] < 1
    # shared MLP 32 -> 4 -> 32, then a 7x7 conv from (mean, max) to one map
    assert probe["cbam"]["params"] == (32 * 4 + 4) + (4 * 32 + 32) + (7 * 7 * 2 + 1)


def test_bad_settings_are_refused():
    import keras

    from shared.attention import cbam, squeeze_excitation

    x = keras.Input(shape=(5, 5, 4))
    with pytest.raises(ValueError, match="ratio"):
        squeeze_excitation(x, ratio=8)
    with pytest.raises(ValueError, match="pools"):
        cbam(keras.Input(shape=(5, 5, 16)), pools=("min",))


def test_hidden_sets_the_bottleneck_for_few_channels():
    import keras

    from shared.attention import cbam, squeeze_excitation

    x = keras.Input(shape=(5, 5, 6))  # 6 // 8 == 0: too few channels for the ratio alone
    se = keras.Model(x, squeeze_excitation(x, ratio=8, hidden=1))
    assert se.count_params() == (6 * 1 + 1) + (1 * 6 + 6)
    block = keras.Model(x, cbam(x, ratio=8, hidden=2, name="c"))
    assert block.count_params() == (6 * 2 + 2) + (2 * 6 + 6) + (7 * 7 * 2 + 1)
    with pytest.raises(ValueError, match="hidden="):
        squeeze_excitation(x, ratio=8)
    with pytest.raises(ValueError, match="at least 1"):
        cbam(x, hidden=0)

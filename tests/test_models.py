"""shared.models: the shared classifiers have the layers and sizes their reports describe."""

import numpy as np

from shared.models import digit_cnn


def test_digit_cnn_is_table_2():
    model = digit_cnn()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Reshape", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten",
                     "Dense", "Dropout", "Dense"]
    # conv 3*3*32+32, conv 3*3*32*64+64, dense 1600*128+128, dense 128*10+10
    assert model.count_params() == 320 + 18_496 + 204_928 + 1_290
    probs = np.asarray(model.predict(np.zeros((3, 28, 28), np.float32), verbose=0))
    assert probs.shape == (3, 10) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)


def test_spectrogram_lenets_share_the_skeleton_of_table_11():
    import pytest

    from shared.models import SPECTROGRAM_LENETS, spectrogram_lenet

    models = {k: spectrogram_lenet(k) for k in SPECTROGRAM_LENETS}
    # conv 5*5*3*6+6, conv 5*5*6*16+16, dense 13456*120+120, 120*84+84, 84*10+10
    assert models["base"].count_params() == 456 + 2_416 + 1_614_840 + 10_164 + 850
    # batch norm adds 4 numbers per channel (6 + 16 channels)
    assert models["bn"].count_params() - models["base"].count_params() == 4 * 22
    assert 0 < models["cbam"].count_params() - models["bn"].count_params() < 1_000
    names = {layer.name for layer in models["cbam"].layers}
    assert {"conv1", "bn2", "cbam1_map", "cbam2_apply"} <= names
    assert "ca2_scale" in {layer.name for layer in models["hybrid"].layers}
    assert "bn1" not in {layer.name for layer in models["base"].layers}
    for m in models.values():
        probs = np.asarray(m.predict(np.zeros((2, 128, 128, 3), np.float32), verbose=0))
        assert probs.shape == (2, 10) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    with pytest.raises(ValueError, match="base, bn, cbam, hybrid"):
        spectrogram_lenet("se")

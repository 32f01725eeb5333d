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

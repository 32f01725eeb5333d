"""Does ``mixed_bfloat16`` keep a CNN's results within the seed-to-seed spread, and how much faster
is it, on this CPU?

    KERAS_BACKEND=tensorflow python scripts/bf16_check.py [--seeds 5] [--epochs 10]

Trains chapter 14's base network (Reduced MNIST, 500 training and 100 test images per digit, Adam,
batch 32) from each seed in float32 and in mixed_bfloat16, the two interleaved seed by seed so that
the machine's load affects both alike, and prints per seed the test accuracy and wall time of each,
then the paired bf16-minus-float32 difference in accuracy (a paired t-test over the seeds, next to
the float32 seeds' own sd) and the speed ratio. It refuses to run on a CPU without bfloat16
instructions (``amx_bf16`` or ``avx512_bf16``), where Keras would emulate bfloat16 slowly.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def build():
    import keras
    from keras import layers

    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(10, activation="softmax", dtype="float32")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args(argv)

    import keras
    import numpy as np

    from shared import derived
    from shared.reporting import device_description, paired_test
    from shared.training import cpu_has_bf16, set_seed

    if not cpu_has_bf16():
        print("this CPU has neither amx_bf16 nor avx512_bf16: mixed_bfloat16 would be emulated")
        return 2
    rm = derived.reduced_mnist(500, 100, seed=4)
    x = (rm["x_train"].astype("float32") / 255.0)[..., None]
    xt = (rm["x_test"].astype("float32") / 255.0)[..., None]
    y, yt = rm["y_train"], rm["y_test"]
    print(f"device: {device_description()}; {args.seeds} seeds, {args.epochs} epochs, batch 32")
    rows = []
    for seed in range(1, args.seeds + 1):
        row = {"seed": seed}
        for policy in ("float32", "mixed_bfloat16"):
            keras.mixed_precision.set_global_policy(policy)
            try:
                set_seed(seed)
                model = build()
                start = time.perf_counter()
                model.fit(x, y, epochs=args.epochs, batch_size=32, verbose=0)
                row[f"{policy} s"] = time.perf_counter() - start
                row[policy] = model.evaluate(xt, yt, batch_size=512, verbose=0)[1]
            finally:
                keras.mixed_precision.set_global_policy("float32")
        rows.append(row)
        print(f"seed {seed}: float32 {row['float32']:.2%} in {row['float32 s']:.1f} s, "
              f"mixed_bfloat16 {row['mixed_bfloat16']:.2%} in {row['mixed_bfloat16 s']:.1f} s",
              flush=True)
    f32 = np.array([r["float32"] for r in rows])
    bf16 = np.array([r["mixed_bfloat16"] for r in rows])
    speed = np.array([r["float32 s"] / r["mixed_bfloat16 s"] for r in rows])
    print(f"float32 test accuracy over seeds: {100 * f32.mean():.2f}% ± {100 * f32.std(ddof=1):.2f}")
    print(f"mixed_bfloat16:                   {100 * bf16.mean():.2f}% ± {100 * bf16.std(ddof=1):.2f}")
    print(f"bf16 minus float32, paired: {paired_test(bf16 - f32).line()}")
    print(f"speed-up (float32 time / bf16 time, per seed): {np.round(speed, 2).tolist()}, "
          f"median {np.median(speed):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

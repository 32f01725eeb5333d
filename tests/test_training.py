import io
import time

import keras
import numpy as np
import pytest

from shared.training import EpochLine, TrainTime, fit, format_epoch


def test_format_epoch_is_one_short_line_with_every_metric():
    logs = {"accuracy": 0.98712, "loss": 0.04123, "val_accuracy": 0.9862, "val_loss": 0.0453}
    line = format_epoch(3, 20, logs, 21.34, best=True)
    assert line == ("ep  3/20  loss 0.0412  acc 98.71%  val_loss 0.0453  val_acc 98.62%  21.3 s  *")
    assert len(line) <= 88


def test_epoch_line_marks_new_best_validation_loss():
    out = io.StringIO()
    cb = EpochLine(epochs=3, stream=out)
    for epoch, val in enumerate([0.5, 0.6, 0.4]):
        cb.on_epoch_begin(epoch)
        cb.on_epoch_end(epoch, {"loss": 1.0, "val_loss": val})
    lines = out.getvalue().splitlines()
    assert [line.endswith("*") for line in lines] == [True, False, True]
    assert lines[1].startswith("ep 2/3")


def test_fit_prints_one_line_per_epoch_and_refuses_verbose(capsys):
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 4), dtype=np.float32), rng.integers(0, 2, 32)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    run = fit(model, x, y, epochs=2, batch_size=16, validation_data=(x, y))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("ep 1/2") and "val_acc" in lines[0]
    assert run.epochs == 2 and run.wall_time > 0
    fit(model, x, y, epochs=1, batch_size=16, log=False)
    assert capsys.readouterr().out == ""
    with pytest.raises(TypeError, match="log=False"):
        fit(model, x, y, epochs=1, verbose=2)


def test_train_time_stops_at_validation_and_counts_epochs_without_it(monkeypatch):
    clock = iter([0.0, 2.0, 10.0, 13.0, 20.0, 24.0])
    monkeypatch.setattr("shared.training.time.perf_counter", lambda: next(clock))
    t = TrainTime()
    t.on_epoch_begin(0)      # 0
    t.on_test_begin()        # 2: validation starts, 2 s of training
    t.on_test_end()
    t.on_epoch_end(0)        # not counted again
    t.on_epoch_begin(1)      # 10
    t.on_test_begin()        # 13: 3 s
    t.on_epoch_end(1)
    t.on_epoch_begin(2)      # 20
    t.on_epoch_end(2)        # 24: an epoch without validation, 4 s
    assert t.seconds == 9.0 and t.epochs == [2.0, 3.0, 4.0]


def test_fit_train_time_leaves_out_a_long_validation():
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 64), dtype=np.float32), rng.integers(0, 2, 32)
    xv, yv = rng.random((200_000, 64), dtype=np.float32), rng.integers(0, 2, 200_000)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(256, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    run = fit(model, x, y, epochs=2, batch_size=32, validation_data=(xv, yv), log=False)
    assert 0 < run.train_time < 0.5 * run.wall_time
    assert len(run.epoch_train_times) == 2
    assert abs(sum(run.epoch_train_times) - run.train_time) < 1e-9


def test_handoff_is_keyed_by_the_chapters_code_and_profile(tmp_path, monkeypatch):
    from shared.training import handoff_path, load_handoff, save_handoff

    monkeypatch.setenv("BOOK_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("BOOK_PROFILE", "smoke")
    monkeypatch.chdir(tmp_path)
    chapter = tmp_path / "99_maker.py"
    chapter.write_text("# %%\nx = 1\n\n# %% [markdown]\n# prose\n")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(FileNotFoundError, match=r"run that notebook first: python -m shared.publish "
                                                r"book/chapters/99_maker.py"):
        load_handoff("99_maker", "net")
    path = save_handoff(model, "99_maker", "net", {"epochs": 3})
    assert path == handoff_path("99_maker", "net") and path.exists()
    assert not list(path.parent.glob(".*tmp*"))
    again, info = load_handoff("99_maker", "net")
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again(x)),
                               keras.ops.convert_to_numpy(model(x)), atol=1e-6)
    assert info == {"epochs": 3}
    # prose edits keep the key; code edits and another profile do not
    chapter.write_text("# %%\nx = 1\n\n# %% [markdown]\n# other prose\n")
    assert handoff_path("99_maker", "net") == path
    monkeypatch.setenv("BOOK_PROFILE", "full")
    assert handoff_path("99_maker", "net") != path
    monkeypatch.setenv("BOOK_PROFILE", "smoke")
    chapter.write_text("# %%\nx = 2\n")
    with pytest.raises(FileNotFoundError, match="no model 'net'"):
        load_handoff("99_maker", "net")
    with pytest.raises(FileNotFoundError, match="not found"):
        handoff_path("98_missing", "net")


def test_handoff_maker_and_folder(tmp_path, monkeypatch):
    from shared.training import handoff_maker, handoff_path

    monkeypatch.setenv("BOOK_DATA_CACHE", str(tmp_path / "cache"))
    (tmp_path / "98_user.py").write_text('# %%\nm, info = load_handoff("97_maker", "net")\n')
    (tmp_path / "97_maker.py").write_text('# %%\nsave_handoff(g, "97_maker", name, {})\n')
    (tmp_path / "96_none.py").write_text("# %%\nx = 1\n")
    assert handoff_maker(tmp_path / "98_user.py") == "97_maker"
    assert handoff_maker(tmp_path / "97_maker.py") == "97_maker"
    assert handoff_maker(tmp_path / "96_none.py") is None
    path = handoff_path("97_maker", "net", where=tmp_path)  # without changing folder
    assert path.name == "net.keras" and path.parent.name.startswith("97_maker-")


# --- cost per step and the run estimate ------------------------------------------------------------

def _tiny_model():
    import keras

    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return m


def test_step_cost_times_training_steps_and_checks_its_input():
    import numpy as np

    from shared.training import step_cost

    x, y = np.random.rand(10, 4).astype("float32"), np.arange(10) % 3
    m = _tiny_model()
    cost = step_cost(m, x, y, batch_size=8, steps=5, warmup=1)
    assert 0 < cost < 5
    assert m.optimizer.iterations.numpy() == 1 + 5  # warm-up and timed steps, each one batch
    with pytest.raises(ValueError, match="at least batch_size=16"):
        step_cost(m, x, y, batch_size=16)


def test_step_cost_leaves_out_fits_start_up(monkeypatch):
    import numpy as np

    from shared import training

    x, y = np.random.rand(10, 4).astype("float32"), np.arange(10) % 3
    m = _tiny_model()
    real_fit = m.fit

    def slow_start(*args, **kwargs):  # a fit whose start-up costs 0.5 s
        time.sleep(0.5)
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(m, "fit", slow_start)
    cost = training.step_cost(m, x, y, batch_size=8, steps=4, warmup=1)
    assert 0 < cost < 0.1  # a tiny model's step; the start-up would add 0.125 s per step
    assert training.step_cost(m, x, y, batch_size=8, steps=1, warmup=0) >= 0.5


def test_predict_cost_times_a_pass_per_image_and_leaves_the_weights():
    import numpy as np

    from shared.training import predict_cost

    x = np.random.rand(64, 4).astype("float32")
    m = _tiny_model()
    before = [w.copy() for w in m.get_weights()]
    cost = predict_cost(m, x, batch_size=16)
    assert 0 < cost < 0.05
    assert all(np.array_equal(a, b) for a, b in zip(before, m.get_weights(), strict=True))
    with pytest.raises(ValueError, match="at least one row"):
        predict_cost(m, x[:0])


def test_run_plan_estimates_and_stops_a_cpu_run_that_cannot_fit(monkeypatch, capsys):
    from shared.profile import budget
    from shared.training import IGNORE_ESTIMATE_ENV, RunPlan, RunTooLong

    monkeypatch.delenv(IGNORE_ESTIMATE_ENV, raising=False)
    b = budget(full=dict(epochs=10), smoke=dict(epochs=1), profile="cpu")
    plan = RunPlan(b)
    plan.add("SGD", steps=1000, seconds_per_step=0.5)
    plan.add("Adam", steps=2000, seconds_per_step=0.25)
    assert plan.total_s(other_s=100) == pytest.approx(1100)
    assert plan.check(other_s=100) == pytest.approx(1100)
    assert "estimated run: 18 min 20.0 s" in capsys.readouterr().out
    with pytest.raises(RunTooLong, match="past the cpu profile's 30 min"):
        plan.check(other_s=100, elapsed_s=800)
    monkeypatch.setenv(IGNORE_ESTIMATE_ENV, "1")
    assert plan.check(elapsed_s=800) == pytest.approx(1800)
    # other profiles print the estimate and do not stop
    monkeypatch.delenv(IGNORE_ESTIMATE_ENV)
    smoke = RunPlan(budget(full=dict(epochs=10), smoke=dict(epochs=1), profile="smoke"))
    smoke.add("x", steps=10_000, seconds_per_step=1.0)
    assert smoke.check() == 10_000
    with pytest.raises(ValueError, match="negative"):
        smoke.add("y", steps=-1, seconds_per_step=1.0)


def test_bf16_only_where_the_cpu_has_it_and_only_at_cpu(monkeypatch):
    from shared import training

    assert training.cpu_has_bf16("flags\t: fpu avx512f avx512_bf16 sse\n")
    assert training.cpu_has_bf16("flags\t: fpu amx_bf16 amx_tile\n")
    assert not training.cpu_has_bf16("flags\t: fpu avx2 avx512f\n")
    monkeypatch.setattr(training, "cpu_has_bf16", lambda: True)
    assert training.dtype_policy_for("cpu") == "mixed_bfloat16"
    assert training.dtype_policy_for("cpu", wanted=False) == "float32"
    assert training.dtype_policy_for("full") == "float32"
    monkeypatch.setattr(training, "cpu_has_bf16", lambda: False)
    assert training.dtype_policy_for("cpu") == "float32"

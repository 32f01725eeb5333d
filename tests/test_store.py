"""The run store: keys, reuse, atomic writes, the fill's modes, import, verify, status, size."""

import json
import shutil
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from shared import filling, runkey, storage, store, training
from shared.runkey import Ingredients, canonical, module_fingerprint, run_key

ROOT = Path(__file__).resolve().parents[1]

CHAPTER = '''# %% [markdown]
# # A tiny chapter

# %%
from shared import store, training

# %% tags=["train"]
def train_tiny(spec):
    CALLS.append(spec)
    time.sleep(0.02)
    fit = training.Run(history={"loss": [1.0, 0.5 * spec["a"]]}, wall_time=0.01,
                       epoch_train_times=[0.004, 0.004])
    return {"fit": fit, "steps": 4, "metrics": {"score": 2.0 * spec["a"]},
            "arrays": {"pred": np.arange(3) * spec["a"]}}

# %%
print("presentation")
'''


@pytest.fixture
def chapter(tmp_path, monkeypatch):
    """A chapter file, a copy of the shared package to edit, an empty store, and a trainer."""
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    source = chapters / "tiny.py"
    source.write_text(CHAPTER)
    shared_copy = tmp_path / "shared"
    shutil.copytree(ROOT / "shared", shared_copy, ignore=shutil.ignore_patterns("__pycache__"))
    folder = tmp_path / "store"
    monkeypatch.setenv(store.STORE_ENV, str(folder))
    monkeypatch.delenv(store.MODE_ENV, raising=False)
    monkeypatch.delenv(store.DEADLINE_ENV, raising=False)
    monkeypatch.setattr(filling, "CHAPTERS", chapters)
    calls = []
    namespace = {"CALLS": calls, "np": np, "time": time, "training": __import__("shared.training").training}
    exec(CHAPTER.split('tags=["train"]')[1].split("# %%")[0], namespace)  # the train cell
    return {"source": source, "shared": shared_copy, "folder": folder, "calls": calls,
            "train": namespace["train_tiny"]}


def patch(monkeypatch, name, value):
    """Set ``name`` (engine, keras_version, COMMITTED) wherever the store reads it."""
    for module in (store, storage, runkey):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, value)


def open_store(c, mode="fill"):
    cs = store.ChapterStore("tiny", c["source"], "cpu", shared_dir=c["shared"])
    cs.mode = mode  # as the publisher sets it (BOOK_STORE_MODE)
    return cs


SPECS = {"run-a1": {"a": 1}, "run-a2": {"a": 2}}


def fill(c):
    return open_store(c).get(SPECS, c["train"], group="g")


def test_canonical_is_stable_and_strict():
    assert canonical({"b": 1, "a": [np.int64(2), np.float32(0.5)]}) == '{"a":[2,0.5],"b":1}'
    assert canonical({"x": 0.1}) == canonical({"x": np.float64(0.1)})
    with pytest.raises(store.StoreError, match="plain values"):
        canonical({"x": object()})
    with pytest.raises(store.StoreError):
        canonical({"x": float("nan")})


def test_module_fingerprint_ignores_docstrings_and_comments(tmp_path):
    path = tmp_path / "m.py"
    path.write_text('"""Doc."""\n\ndef f(x):\n    """Doc."""\n    return x + 1\n')
    before = module_fingerprint(path)
    path.write_text('"""Other words."""\n# a comment\n\ndef f(x):\n    return x + 1  # same\n')
    assert module_fingerprint(path) == before
    path.write_text('"""Doc."""\n\ndef f(x):\n    return x + 2\n')
    assert module_fingerprint(path) != before


def test_training_modules_follow_imports():
    text = "from shared import budget, plots, derived\nfrom shared.reporting import glue\n"
    mods = runkey.training_modules(text)
    assert mods == ["data", "derived"]  # derived imports data; budget/plots/reporting are not
    assert "training" in runkey.training_modules("from shared.training import fit\n")


def test_fill_stores_then_reuses(chapter):
    runs = fill(chapter)
    assert len(chapter["calls"]) == 2
    assert runs["run-a2"].metrics["score"] == 4.0
    assert runs["run-a2"].history["loss"] == [1.0, 1.0]
    assert runs["run-a2"].arrays["pred"].tolist() == [0, 2, 4]
    prov = runs["run-a1"].provenance
    assert prov["engine"] == runkey.engine() and prov["s_per_step"] == pytest.approx(0.002)
    assert prov["keras_version"] == keras.__version__ and prov["profile"] == "cpu"
    again = open_store(chapter, "publish").get(SPECS, chapter["train"], group="g")
    assert len(chapter["calls"]) == 2  # nothing trained again
    assert again["run-a1"].key == runs["run-a1"].key
    run_json = json.loads((chapter["folder"] / "tiny" / "run-a1" / "run.json").read_text())
    assert run_json["status"] == "complete" and run_json["spec"] == {"a": 1}


def test_provenance_records_the_policy_a_trainer_set_for_its_run(chapter):
    cs = open_store(chapter)
    plain = cs._train("run-a1", {"a": 1}, chapter["train"], "g")
    assert plain.provenance["dtype_policy"] == "float32"

    def own_policy(spec):  # a trainer that set mixed_float16 for its run and reset it
        return chapter["train"](spec) | {"dtype_policy": "mixed_float16"}

    mixed = cs._train("run-a2", {"a": 2}, own_policy, "g")
    assert mixed.provenance["dtype_policy"] == "mixed_float16"



def test_runs_asked_for_under_a_dtype_policy_of_their_own(chapter):
    """A precision check: the same specs under mixed_bfloat16, beside the chapter's float32 runs."""
    base = fill(chapter)
    bf16_specs = {f"{name}-bf16": spec for name, spec in SPECS.items()}
    bf16 = open_store(chapter).get(bf16_specs, chapter["train"], group="g",
                                   dtype_policy="mixed_bfloat16")
    assert keras.mixed_precision.global_policy().name == "float32"  # set back
    assert bf16["run-a1-bf16"].provenance["dtype_policy"] == "mixed_bfloat16"
    assert base["run-a1"].provenance["dtype_policy"] == "float32"
    manifest = json.loads((chapter["folder"] / "tiny" / "manifest.json").read_text())
    assert manifest["dtype_policy"] == "float32"
    assert manifest["runs"]["run-a1-bf16"]["dtype_policy"] == "mixed_bfloat16"
    assert "dtype_policy" not in manifest["runs"]["run-a1"]
    # the policy is in the key: the same names asked for in float32 would be trained again
    cs = open_store(chapter, "publish")
    assert cs.state("run-a1-bf16", {"a": 1})[0] == "stale"
    again = cs.get(bf16_specs, chapter["train"], group="g", dtype_policy="mixed_bfloat16")
    assert again["run-a2-bf16"].key == bf16["run-a2-bf16"].key
    status = filling.chapter_status("tiny", chapter["folder"])
    assert (status["stored"], status["stale"], status["missing"]) == (4, 0, 0)

    def train_tiny(spec):  # fails: the global policy is set back all the same
        raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError):
        open_store(chapter).get({"run-a3-bf16": {"a": 3}}, train_tiny,
                                dtype_policy="mixed_bfloat16")
    assert keras.mixed_precision.global_policy().name == "float32"


def test_a_fill_loads_a_run_another_fill_stored_meanwhile(chapter):
    def train_tiny(spec):  # while this fill trains run-a1, another stores run-a2
        if spec["a"] == 1:
            open_store(chapter).get({"run-a2": {"a": 2}}, chapter["train"], group="g")
        return chapter["train"](spec)

    runs = open_store(chapter).get(SPECS, train_tiny, group="g")
    assert [s["a"] for s in chapter["calls"]] == [2, 1]  # run-a2 not trained twice
    assert runs["run-a2"].metrics["score"] == 4.0

def retrained(c) -> int:
    before = len(c["calls"])
    fill(c)
    return len(c["calls"]) - before


def edit(path: Path, old: str, new: str):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_each_ingredient_invalidates_and_presentation_does_not(chapter, monkeypatch):
    fill(chapter)
    assert retrained(chapter) == 0
    # presentation: an untagged cell, a presentation module of shared, a docstring
    edit(chapter["source"], 'print("presentation")', 'print("other presentation")')
    edit(chapter["shared"] / "plots.py", "import", "import os  # noqa\nimport")
    edit(chapter["shared"] / "training.py", '"""Training helpers', '"""Helpers for training')
    assert retrained(chapter) == 0
    # the chapter's train cell
    edit(chapter["source"], "2.0 * spec", "2.00 * spec")
    assert retrained(chapter) == 2
    # training-side shared code
    edit(chapter["shared"] / "training.py", "def set_seed", "def _unused():\n    pass\n\n\ndef set_seed")
    assert retrained(chapter) == 2
    # the data: a raw file's checksum (held in shared/data.py, checked at load)
    text = (chapter["shared"] / "data.py").read_text()
    digest = next(h for h in __import__("re").findall(r'"([0-9a-f]{64})"', text))
    edit(chapter["shared"] / "data.py", digest, "0" * 64)
    assert retrained(chapter) == 2
    # the dtype policy
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        assert retrained(chapter) == 2
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert retrained(chapter) == 2  # back to float32: the float32 runs were replaced
    # library versions: Keras, and the engine (backend and its version)
    patch(monkeypatch, "keras_version", lambda: "99.0.0")
    assert retrained(chapter) == 2
    patch(monkeypatch, "engine", lambda: "tensorflow 99.0")
    assert retrained(chapter) == 2
    # the spec: one run's settings
    before = len(chapter["calls"])
    open_store(chapter).get({"run-a1": {"a": 1}, "run-a2": {"a": 3}}, chapter["train"], group="g")
    assert chapter["calls"][before:] == [{"a": 3}]


def test_fill_passes_over_a_run_too_long_for_the_time_left(chapter, monkeypatch):
    monkeypatch.setenv(store.DEADLINE_ENV, repr(time.time() + 60))
    cs = open_store(chapter)
    with pytest.raises(store.FillStopped, match=r"passed over .*run-a1") as err:
        cs.get(SPECS, chapter["train"], estimate_s={"run-a1": 100, "run-a2": 10})
    assert "run-a2" not in str(err.value)
    assert chapter["calls"] == [{"a": 2}]  # run-a2 only
    assert cs.state("run-a2", SPECS["run-a2"])[0] == "stored"
    assert cs.state("run-a1", SPECS["run-a1"])[0] == "missing"


def in_parts(calls):
    """A trainer of three 'epochs' that can be trained in parts; each epoch claims to take 10 s."""

    def train_tiny(spec, part):
        saved = part.load("loop")
        epoch, total = (saved[1]["epoch"], saved[0]["total"]) if saved else (0, np.zeros(1))
        while epoch < 3:
            epoch += 1
            total = total + spec["a"] * epoch
            calls.append((spec["a"], epoch))
            if epoch < 3 and part.out_of_time(10.0):
                part.save("loop", {"total": total}, {"epoch": epoch}, done=epoch / 3)
                raise part.pause(f"epoch {epoch} of 3")
        fit = training.Run(history={"loss": [float(total[0])]}, wall_time=0.01,
                           epoch_train_times=[0.01])
        return {"fit": fit, "steps": 3, "metrics": {"total": float(total[0])}}

    return train_tiny


def test_a_run_in_parts_pauses_at_the_deadline_and_the_next_fill_goes_on(
        chapter, monkeypatch, tmp_path):
    monkeypatch.setenv("BOOK_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(store, "MIN_PART_S", 0)
    calls = []
    train = in_parts(calls)
    specs = {"run-a1": {"a": 1}}
    folder = open_store(chapter).checkpoint_folder("run-a1", specs["run-a1"])
    assert folder.is_relative_to(tmp_path / "cache" / "checkpoints" / "cpu" / "tiny")
    for part in (1, 2):  # each fill has 5 s: every epoch (10 s) is one too many after the first
        monkeypatch.setenv(store.DEADLINE_ENV, repr(time.time() + 5))
        cs = open_store(chapter)
        # the estimate (2 hours) is past MAX_RUN_S: a run in parts is begun all the same
        with pytest.raises(store.FillStopped, match=rf"paused after epoch {part} of 3"):
            cs.get(specs, train, estimate_s=7200, resumable=True)
        assert calls[-1] == (1, part)
        assert cs.state("run-a1", specs["run-a1"])[0] == "missing"
        status = filling.chapter_status("tiny", chapter["folder"])
        row = status["rows"][0]
        assert row["done"] == pytest.approx(part / 3)
        assert row["estimate_s"] == pytest.approx(7200 * (1 - part / 3))  # what is left
    monkeypatch.setenv(store.DEADLINE_ENV, repr(time.time() + 5))
    run = open_store(chapter).get(specs, train, estimate_s=7200, resumable=True)["run-a1"]
    assert calls == [(1, 1), (1, 2), (1, 3)]  # each epoch once, across three fills
    assert run.metrics["total"] == 6.0  # 1 + 2 + 3: the state went on from each checkpoint
    assert run.provenance["parts"] == 3
    assert not folder.exists()  # the checkpoint goes once the run is stored


def test_a_run_in_parts_waits_when_too_little_fill_is_left(chapter, monkeypatch, tmp_path):
    monkeypatch.setenv("BOOK_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv(store.DEADLINE_ENV, repr(time.time() + store.MIN_PART_S / 2))
    calls = []
    with pytest.raises(store.FillStopped, match=r"passed over .*run-a1"):
        open_store(chapter).get({"run-a1": {"a": 1}}, in_parts(calls), estimate_s=7200,
                                resumable=True)
    assert calls == []
    # without resumable, a run past MAX_RUN_S stops the fill and says why
    with pytest.raises(store.FillStopped, match="past the cpu profile's"):
        open_store(chapter).get({"run-a1": {"a": 1}}, chapter["train"], estimate_s=7200)


def test_publish_mode_names_missing_and_stale_runs(chapter):
    fill(chapter)
    edit(chapter["source"], "2.0 * spec", "3.0 * spec")
    with pytest.raises(store.MissingRuns) as err:
        open_store(chapter, "publish").get({**SPECS, "run-a3": {"a": 3}}, chapter["train"])
    text = str(err.value)
    assert "run-a1 (stale)" in text and "run-a3 (missing)" in text
    assert "python -m shared.publish book/chapters/tiny.py --fill" in text
    assert len(chapter["calls"]) == 2  # nothing trained in publish mode


def test_fill_stops_at_a_run_boundary_before_the_deadline(chapter, monkeypatch):
    monkeypatch.setenv(store.DEADLINE_ENV, repr(time.time() + 60))
    cs = open_store(chapter)
    with pytest.raises(store.FillStopped, match="run-a1"):
        cs.get(SPECS, chapter["train"], estimate_s=100)
    assert chapter["calls"] == []
    monkeypatch.setenv(store.DEADLINE_ENV, repr(time.time() + 600))
    cs = open_store(chapter)
    cs.get(SPECS, chapter["train"], estimate_s=100)
    assert len(chapter["calls"]) == 2


def test_a_failed_write_leaves_nothing_half_written(chapter):
    fill(chapter)
    stored = chapter["folder"] / "tiny" / "run-a1" / "run.json"
    before = stored.read_text()

    def bad(spec):
        return {"metrics": {"score": 0.0}, "arrays": {"x": np.array([None, 1], dtype=object)}}

    bad.__name__ = "train_tiny"  # stands in for the chapter's trainer
    edit(chapter["source"], "2.0 * spec", "5.0 * spec")  # run-a1 is now stale
    with pytest.raises(store.StoreError, match="object arrays"):
        open_store(chapter).get({"run-a1": {"a": 1}}, bad)
    assert stored.read_text() == before  # the stale run is intact, not half replaced
    assert [p.name for p in (chapter["folder"] / "tiny").iterdir() if p.name.startswith(".")] == []
    assert store.read_run(chapter["folder"] / "tiny" / ".run-a1.tmp-x") is None


def test_trainer_must_be_in_a_train_cell(chapter):
    def elsewhere(spec):
        return {"metrics": {}}

    with pytest.raises(store.StoreError, match="tagged 'train'"):
        open_store(chapter).get(SPECS, elsewhere)
    with pytest.raises(store.StoreError, match="run name"):
        open_store(chapter).get({"Bad Name": {}}, chapter["train"])


def test_smoke_never_writes_the_committed_store(monkeypatch):
    monkeypatch.setenv(store.STORE_ENV, str(store.COMMITTED / "x"))
    with pytest.raises(store.StoreError, match="smoke runs never enter"):
        store.store_dir("smoke")
    monkeypatch.delenv(store.STORE_ENV)
    temp = store.store_dir("smoke")
    assert not store._inside(temp, store.COMMITTED)
    assert store.store_dir("cpu") == store.COMMITTED


def test_import_takes_current_runs_once_and_accepts_their_engine(chapter, monkeypatch, tmp_path):
    patch(monkeypatch, "engine", lambda: "jax 0.11.2")  # a GPU machine's fill
    fill(chapter)
    monkeypatch.undo()
    monkeypatch.setattr(filling, "CHAPTERS", chapter["source"].parent)
    into = tmp_path / "main-store"
    done = filling.import_runs(chapter["folder"], into)
    assert sorted(done["imported"]) == ["tiny/run-a1", "tiny/run-a2"]
    assert json.loads((into / "engines.json").read_text()) == ["jax 0.11.2"]
    assert filling.import_runs(chapter["folder"], into)["already stored"] == ["tiny/run-a1",
                                                                              "tiny/run-a2"]
    # imported runs serve a publication here, with their engine in the provenance
    monkeypatch.setenv(store.STORE_ENV, str(into))
    runs = open_store(chapter, "publish").get(SPECS, chapter["train"], group="g")
    assert runs["run-a1"].provenance["engine"] == "jax 0.11.2"
    assert len(chapter["calls"]) == 2
    status = filling.chapter_status("tiny", into)
    assert (status["stored"], status["stale"], status["missing"]) == (2, 0, 0)
    # code changed since: the runs are stale and refused
    edit(chapter["source"], "2.0 * spec", "4.0 * spec")
    other = tmp_path / "other-store"
    assert len(filling.import_runs(chapter["folder"], other)["stale, refused"]) == 2
    assert not (other / "tiny" / "run-a1").exists()


def test_status_counts_and_estimates(chapter):
    cs = open_store(chapter)
    cs.get(SPECS, chapter["train"], group="g")
    edit(chapter["source"], "2.0 * spec", "6.0 * spec")
    cs2 = open_store(chapter, "publish")
    with pytest.raises(store.MissingRuns):
        cs2.get({**SPECS, "run-a3": {"a": 3}}, chapter["train"], group="g")
    s = filling.chapter_status("tiny", chapter["folder"])
    assert (s["stored"], s["stale"], s["missing"]) == (0, 2, 1)
    assert s["unknown"] == 0 and s["todo_s"] > 0  # the missing run costed from its group


def test_plan_lists_each_run_with_its_state_and_estimate(chapter):
    cs = open_store(chapter)
    cs.get({"run-a1": {"a": 1}}, chapter["train"], group="g")
    specs = {**SPECS, "run-a3": {"a": 3}}
    plan = cs.plan(specs, {"run-a2": 90.0, "run-a3": 30.0}, a="a", twice_a=lambda s: 2 * s["a"],
                   named={"run-a1": "x", "run-a2": "y", "run-a3": "z"})
    assert list(plan.columns) == ["run", "a", "twice a", "named", "in the store", "estimate (s)"]
    assert plan["named"].tolist() == ["x", "y", "z"]
    assert plan["in the store"].tolist() == ["yes", "no", "no"]
    assert plan["twice a"].tolist() == [2, 4, 6]
    assert np.isnan(plan["estimate (s)"][0]) and plan["estimate (s)"][1] == 90.0
    assert cs.plan_summary(plan) == (
        "1 of 3 runs stored; to train: 2, about 2 min 00.0 s on this machine")
    assert cs.plan_summary(cs.plan(specs, {"run-a2": 90.0})) == (
        "1 of 3 runs stored; to train: 2")
    assert cs.plan_summary(cs.plan({"run-a1": {"a": 1}})) == "1 of 1 runs stored; to train: 0"


def test_verify_compares_exactly_or_within_the_seed_spread(chapter):
    runs = fill(chapter)
    run = runs["run-a2"]
    same = {"metrics": dict(run.metrics), "history": run.history, "arrays": run.arrays}
    assert filling.compare_runs(run, same, [], exact=True)["verdict"] == "identical"
    off = {**same, "metrics": {"score": run.metrics["score"] + 1e-6}}
    assert filling.compare_runs(run, off, [], exact=True)["verdict"] == "DIFFERS"
    siblings = [runs["run-a1"], run]  # scores 2 and 4: 2 sd = 2.83
    assert filling.compare_runs(run, {**same, "metrics": {"score": 5.0}}, siblings,
                                exact=False)["verdict"] == "within the seed spread"
    assert filling.compare_runs(run, {**same, "metrics": {"score": 9.0}}, siblings,
                                exact=False)["verdict"] == "DIFFERS"


def test_verify_mode_retrains_the_named_run_and_stops(chapter, monkeypatch, tmp_path):
    fill(chapter)
    out = tmp_path / "verify.json"
    monkeypatch.setenv(store.VERIFY_ENV, "run-a2")
    monkeypatch.setenv(store.VERIFY_OUT_ENV, str(out))
    with pytest.raises(store.VerifyDone, match="identical"):
        open_store(chapter, "verify").get(SPECS, chapter["train"], group="g")
    report = json.loads(out.read_text())
    assert report["run"] == "run-a2" and report["verdict"] == "identical"
    assert chapter["calls"][-1] == {"a": 2}


def test_parse_duration():
    assert filling.parse_duration("2h") == 7200
    assert filling.parse_duration("1h30m") == 5400
    assert filling.parse_duration("90") == 90
    with pytest.raises(ValueError, match="not a duration"):
        filling.parse_duration("two hours")


def test_committed_store_stays_under_its_size_limit():
    assert store.store_size(store.COMMITTED) < store.SIZE_LIMIT_BYTES


def test_published_notebooks_use_current_stored_runs():
    """Every run a published notebook used is still in the committed store and current for
    today's code (its key, recomputed from the chapter's train cells and shared code, matches)."""
    import nbformat

    for path in sorted((ROOT / "book" / "chapters").glob("*.ipynb")):
        prov = nbformat.read(path, as_version=4).metadata.get("provenance", {})
        runs = (prov.get("runs") or {}) if prov.get("profile") in ("cpu", "full") else {}
        if not runs.get("keys"):
            continue
        for used, key in runs["keys"].items():  # "name", or "chapter/name" of another's run
            chapter, _, name = used.rpartition("/")
            chapter = chapter or path.stem
            ingredients = Ingredients.of(path.with_name(f"{chapter}.py"))
            run = store.read_run(store.COMMITTED / chapter / name)
            assert run is not None, f"{path.stem} used run {used}, which the store no longer holds"
            assert run.key == key, f"{path.stem} used {used}: the store holds another version"
            status, _ = store.run_state(store.COMMITTED, ingredients, name, run.spec,
                                        run.provenance["dtype_policy"])
            assert status == "stored", f"{chapter}/{name} is stale for today's code: fill it"


def test_run_key_changes_with_each_of_its_parts(chapter):
    ing = Ingredients.of(chapter["source"], chapter["shared"])
    base = dict(policy="float32", keras="3.15.1", engine="tensorflow 2.21.0")
    key = run_key(ing, "r", {"a": 1}, **base)
    assert key == run_key(ing, "r", {"a": 1}, **base)
    for change in ({"policy": "mixed_bfloat16"}, {"keras": "3.16.0"}, {"engine": "jax 0.10.2"}):
        assert run_key(ing, "r", {"a": 1}, **{**base, **change}) != key
    assert run_key(ing, "r", {"a": 2}, **base) != key
    assert run_key(ing, "s", {"a": 1}, **base) != key
    assert ing.shared_code.keys() == {"training", "data"}


def test_another_machines_fill_skips_what_the_book_already_holds(chapter, monkeypatch, tmp_path):
    fill(chapter)  # the book's store (tensorflow here)
    patch(monkeypatch, "COMMITTED", chapter["folder"])
    patch(monkeypatch, "engine", lambda: "jax 0.11.2")  # the GPU machine
    monkeypatch.setenv(store.STORE_ENV, str(tmp_path / "gpu-out"))
    runs = open_store(chapter).get({**SPECS, "run-a3": {"a": 3}}, chapter["train"], group="g")
    assert [c["a"] for c in chapter["calls"]] == [1, 2, 3]  # only run-a3 trained there
    assert runs["run-a1"].folder.parent.parent == chapter["folder"]
    assert [p.name for p in (tmp_path / "gpu-out" / "tiny").iterdir() if p.is_dir()] == ["run-a3"]


def test_groups_and_estimates_per_run(chapter, monkeypatch):
    monkeypatch.setenv(store.DEADLINE_ENV, repr(time.time() + 60))
    cs = open_store(chapter)
    with pytest.raises(store.FillStopped, match="run-a2"):  # run-a1 fits, run-a2 does not
        cs.get(SPECS, chapter["train"], group={"run-a1": "small", "run-a2": "large"},
               estimate_s={"run-a1": 1.0, "run-a2": 500.0})
    assert chapter["calls"] == [{"a": 1}]
    manifest = json.loads((chapter["folder"] / "tiny" / "manifest.json").read_text())
    assert manifest["runs"]["run-a2"] == {"spec": {"a": 2}, "group": "large", "estimate_s": 500.0}


def test_a_run_longer_than_a_session_is_not_started_at_cpu(chapter):
    with pytest.raises(store.FillStopped, match="for one run"):
        open_store(chapter).get(SPECS, chapter["train"], estimate_s=2 * 3600)
    assert chapter["calls"] == []


FILLED = '''# %%
from shared import store
from shared.reporting import start_run
run = start_run("01_fill")
runs = store.open("01_fill")
print("started")

# %% tags=["train"]
def train_it(spec):
    return {"metrics": {"twice": 2 * spec["a"]}}


print("train_it(spec)")

# %%
got = runs.get({"first": {"a": 1}, "second": {"a": 2}}, train_it,
               estimate_s={"second": 10_000})
print(got["second"].metrics)

# %%
run.finish()
'''


def test_fill_command_stops_at_a_run_boundary_and_status_lists_the_rest(tmp_path, monkeypatch,
                                                                       capsys):
    """The fill through ``python -m shared.publish``: a notebook kernel, a run stored, the next one
    (estimated past the deadline) not started, a clean stop (exit code 3), and --status."""
    from shared import publish

    chapters = tmp_path / "chapters"
    chapters.mkdir()
    (chapters / "01_fill.py").write_text(FILLED)
    monkeypatch.setattr(filling, "CHAPTERS", chapters)
    folder = tmp_path / "store"
    code = publish.main([str(chapters / "01_fill.py"), "--fill", "--profile", "smoke",
                         "--store", str(folder), "--for", "10m"])
    out = capsys.readouterr().out
    assert code == 3 and "01_fill: stopped" in out
    assert [p.name for p in (folder / "01_fill").iterdir() if p.is_dir()] == ["first"]
    assert "[FillStopped]" in out and "second" in out
    assert publish.main(["--status", "--store", str(folder), str(chapters / "01_fill.py")]) == 0
    status = capsys.readouterr().out
    row = next(line for line in status.splitlines() if line.startswith("01_fill"))
    assert row.split()[1:5] == ["smoke", "1", "0", "1"]  # profile, stored, stale, missing
    assert "166 min 40.0 s" in row  # the missing run's estimate, as the chapter gave it


USER = """# %%
from shared import store
runs = store.open("02_user")
used = runs.uses("01_fill", ["second"])
"""
SMALL = FILLED.replace("01_fill", "03_small").replace(
    'got = runs.get({"first": {"a": 1}, "second": {"a": 2}}, train_it,\n'
    '               estimate_s={"second": 10_000})\nprint(got["second"].metrics)',
    'got = runs.get({"only": {"a": 3}}, train_it)')


def test_a_fill_hands_time_left_to_the_next_chapter(tmp_path, monkeypatch, capsys):
    """A chapter whose next run does not fit, and one that waits for it, leave the fill's time
    to a later chapter whose run fits."""
    from shared import publish

    chapters = tmp_path / "chapters"
    chapters.mkdir()
    for name, text in (("01_fill", FILLED), ("02_user", USER), ("03_small", SMALL)):
        (chapters / f"{name}.py").write_text(text)
    assert "only" in SMALL
    monkeypatch.setattr(filling, "CHAPTERS", chapters)
    folder = tmp_path / "store"
    code = publish.main([*(str(chapters / f"{n}.py") for n in ("02_user", "01_fill", "03_small")),
                         "--fill", "--profile", "smoke", "--store", str(folder), "--for", "10m"])
    out = capsys.readouterr().out
    assert code == 3
    assert "01_fill: stopped" in out and "02_user: waits" in out and "03_small: complete" in out
    assert out.index("fill [1/3] 01_fill") < out.index("fill [2/3] 02_user") < out.index(
        "fill [3/3] 03_small")  # the order given, the maker moved before its user
    assert (folder / "03_small" / "only" / "run.json").exists()
    assert not (folder / "01_fill" / "second").exists()


SEEDED = {f"run-s{s}": {"a": 1, "seed": s} for s in (1, 2, 3)}


def test_verify_across_engines_compares_within_the_seed_spread(chapter, monkeypatch, tmp_path):
    patch(monkeypatch, "engine", lambda: "jax 0.11.2")  # filled on another machine
    open_store(chapter).get(SEEDED, chapter["train"], group="g")
    monkeypatch.undo()
    monkeypatch.setenv(store.STORE_ENV, str(chapter["folder"]))
    (chapter["folder"] / "engines.json").write_text('["jax 0.11.2"]')  # as --import writes
    out = tmp_path / "verify.json"
    monkeypatch.setenv(store.VERIFY_ENV, "run-s2")
    monkeypatch.setenv(store.VERIFY_OUT_ENV, str(out))
    with pytest.raises(store.VerifyDone):
        open_store(chapter, "verify").get(SEEDED, chapter["train"], group="g")
    report = json.loads(out.read_text())
    assert not report["exact"] and report["verdict"] == "within the seed spread"
    assert report["engine_then"] == "jax 0.11.2" and report["engine_now"] == runkey.engine()


def test_import_keeps_a_run_that_is_current_here(chapter, monkeypatch, tmp_path):
    into = tmp_path / "main-store"
    monkeypatch.setenv(store.STORE_ENV, str(into))
    fill(chapter)  # current here (this engine)
    monkeypatch.setenv(store.STORE_ENV, str(chapter["folder"]))
    patch(monkeypatch, "engine", lambda: "jax 0.11.2")
    fill(chapter)  # the same runs from another engine: another key
    monkeypatch.undo()
    monkeypatch.setattr(filling, "CHAPTERS", chapter["source"].parent)
    before = (into / "tiny" / "run-a1" / "run.json").read_text()
    done = filling.import_runs(chapter["folder"], into)
    assert done["imported"] == [] and len(done["already stored"]) == 2
    assert (into / "tiny" / "run-a1" / "run.json").read_text() == before


def test_cli_refuses_combinations_that_would_do_something_else(capsys):
    from shared import publish

    ch = str(ROOT / "book" / "chapters" / "01_mnist_cnn.py")
    for argv, said in ((["--status", "--fill", ch], "cannot be combined"),
                       ([ch, "--run", "x"], "--run names the run"),
                       ([ch, "--commit"], "--commit commits"),
                       ([str(ROOT / "book" / "chapters" / "90_datasets.py"), "--fill"],
                        "not on the run store")):
        with pytest.raises(SystemExit):
            publish.main(argv)
        assert said in capsys.readouterr().err


def test_a_chapter_uses_another_chapters_runs_only_while_they_are_current(chapter):
    """A user of another chapter's runs (a GAN's generators, say) loads them from the store while
    they are current for that chapter's code, and stops naming that chapter's fill otherwise."""
    fill(chapter)  # tiny's runs and its manifest
    user = chapter["source"].with_name("user.py")
    user.write_text(CHAPTER.replace("train_tiny", "train_user"))
    cs = store.ChapterStore("user", user, "cpu", shared_dir=chapter["shared"])
    got = cs.uses("tiny", ["run-a1"])
    assert got["run-a1"].metrics["score"] == 2.0
    assert cs.summary()["keys"] == {"tiny/run-a1": got["run-a1"].key}
    with pytest.raises(store.MissingRuns, match=r"run-zz \(not asked for"):
        cs.uses("tiny", ["run-zz"])
    edit(chapter["source"], "2.0 * spec", "3.0 * spec")  # tiny's code changed: its runs stale
    with pytest.raises(store.MissingRuns, match=r"run-a1 \(stale\).*Fill tiny first"):
        store.ChapterStore("user", user, "cpu", shared_dir=chapter["shared"]).uses(
            "tiny", ["run-a1"])


def test_a_smoke_user_of_another_chapters_runs_is_told_to_share_a_store(chapter, monkeypatch):
    """At smoke, each execution trains in a fresh temporary store unless one is named: a user of
    another chapter's runs finds them only in the store its maker's smoke run used (--store),
    and a missing one names that command, not a smoke --fill without a store."""
    user = chapter["source"].with_name("user.py")
    user.write_text(CHAPTER.replace("train_tiny", "train_user"))
    monkeypatch.delenv(store.STORE_ENV, raising=False)
    cs = store.ChapterStore("user", user, "smoke", shared_dir=chapter["shared"])
    with pytest.raises(store.MissingRuns, match=r"run-a1 \(not asked for.*--store DIR"):
        cs.uses("tiny", ["run-a1"])


def test_a_stored_model_comes_back_with_its_architecture(tmp_path):
    from shared.gan import ConditionalBatchNormalization

    x_in, label = keras.Input((4, 4, 3)), keras.Input((), dtype="int32")
    h = ConditionalBatchNormalization(10, name="cbn")([keras.layers.Conv2D(3, 3)(x_in), label])
    model = keras.Model([x_in, label], h)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    record = {"chapter": "tiny", "name": "m", "spec": {}, "key": "k"}
    run = storage.write_run(tmp_path, record, weights=model)
    again = run.model()
    assert [type(layer).__name__ for layer in again.layers] == [
        type(layer).__name__ for layer in model.layers]
    x, y = rng.normal(size=(2, 4, 4, 3)).astype("float32"), np.array([3, 7])
    np.testing.assert_allclose(again.predict([x, y], verbose=0), model.predict([x, y], verbose=0),
                               rtol=0.02, atol=0.02)  # float16 weights
    only = storage.write_run(tmp_path, {**record, "name": "w"}, weights=model.get_weights())
    with pytest.raises(store.StoreError, match="stored no architecture"):
        only.model()

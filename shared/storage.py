"""The run store's files: where runs live, one run's folder (read, written whole or not at all),
and whether a stored run is still current. The chapter's side is :mod:`shared.store`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from shared.runkey import Ingredients, StoreError, engine, keras_version, run_key

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "book" / "store"
STORE_ENV = "BOOK_RUN_STORE"
#: the committed store's size limit (tests/test_store.py checks it)
SIZE_LIMIT_BYTES = 60 * 1024 * 1024


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


_temporary: dict[str, Path] = {}


def store_dir(profile: str) -> Path:
    """The store this process uses: ``BOOK_RUN_STORE``, else the committed one (``cpu``, ``full``)
    or a temporary folder (``smoke``, which never writes into the committed store)."""
    named = os.environ.get(STORE_ENV)
    if profile == "smoke":
        if named and _inside(Path(named), COMMITTED):
            raise StoreError(f"smoke runs never enter the committed store: {STORE_ENV}={named}")
        if named:
            return Path(named)
        if "smoke" not in _temporary:
            _temporary["smoke"] = Path(tempfile.mkdtemp(prefix="book-store-smoke-"))
        return _temporary["smoke"]
    return Path(named) if named else COMMITTED


def accepted_engines(folder: Path) -> set[str]:
    """Engines whose runs count as current here: this process's, and those that runs were imported
    from (``engines.json``, written by :func:`import_runs`)."""
    listed = folder / "engines.json"
    extra = json.loads(listed.read_text()) if listed.exists() else []
    return {engine(), *extra}


def run_state(folder: Path, ingredients: Ingredients, name: str, spec: dict,
              policy: str, any_engine: bool = False) -> tuple[str, StoredRun | None]:
    """Whether the run ``name`` of ``spec`` is ``"stored"`` (current: its key, recomputed from
    today's code with its own engine, matches, and that engine is accepted here, or any engine
    with ``any_engine``), ``"stale"`` or ``"missing"``; with the stored run where there is one."""
    run = read_run(Path(folder) / ingredients.chapter / name)
    if run is None:
        return "missing", None
    run_engine = run.provenance.get("engine", "")
    key = run_key(ingredients, name, spec, policy=policy, keras=keras_version(), engine=run_engine)
    if (any_engine or run_engine in accepted_engines(Path(folder))) and run.key == key:
        return "stored", run
    return "stale", run


@dataclass
class StoredRun:
    """One run as stored: spec, key, metrics, history, provenance; arrays and weights on demand."""

    chapter: str
    name: str
    folder: Path
    record: dict = field(repr=False)

    @property
    def spec(self) -> dict:
        return self.record["spec"]

    @property
    def key(self) -> str:
        return self.record["key"]

    @property
    def metrics(self) -> dict:
        return self.record["metrics"]

    @property
    def history(self) -> dict:
        return self.record["history"]

    @property
    def provenance(self) -> dict:
        return self.record["provenance"]

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        path = self.folder / "arrays.npz"
        if not path.exists():
            return {}
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    def weights(self) -> list[np.ndarray]:
        """The stored model weights (float16 on disk) as float32 arrays, in ``get_weights`` order."""
        path = self.folder / "weights.npz"
        if not path.exists():
            raise StoreError(f"run {self.chapter}/{self.name} stored no weights")
        with np.load(path, allow_pickle=False) as z:
            return [z[f"w{i}"].astype("float32") for i in range(len(z.files))]

    def model(self):
        """The stored Keras model, rebuilt from its stored architecture (``model.json``) and
        given its stored weights; its custom layers must be registered with
        ``keras.saving.register_keras_serializable`` and imported."""
        import keras

        path = self.folder / "model.json"
        if not path.exists():
            raise StoreError(f"run {self.chapter}/{self.name} stored no architecture (its trainer "
                             f"returned weights, not a Keras model)")
        model = keras.models.model_from_json(path.read_text())
        model.set_weights(self.weights())
        return model

    def fit_run(self, label: str = ""):
        """The run's training as a :class:`shared.training.Run` (for the history plots)."""
        from shared.training import Run

        p = self.provenance
        return Run(history=self.history, wall_time=p["fit_wall_s"], label=label or self.name,
                   epoch_train_times=list(p.get("epoch_train_s", [])))


def read_run(folder: Path) -> StoredRun | None:
    """The run stored in ``folder`` (None when absent or not complete)."""
    meta = folder / "run.json"
    if folder.name.startswith(".") or not meta.exists():
        return None
    record = json.loads(meta.read_text())
    if record.get("status") != "complete":
        return None
    return StoredRun(record["chapter"], record["name"], folder, record)


def stored_runs(folder: Path, chapter: str) -> dict[str, StoredRun]:
    """Every complete run of ``chapter`` in the store ``folder``, by name."""
    base = folder / chapter
    runs = (read_run(d) for d in sorted(base.iterdir()) if d.is_dir()) if base.is_dir() else ()
    return {r.name: r for r in runs if r is not None}


def _json(value) -> str:
    return json.dumps(value, indent=1, sort_keys=True) + "\n"


def write_run(folder: Path, record: dict, arrays: dict | None = None, weights=None) -> StoredRun:
    """Write a run whole or not at all: into a hidden temporary folder, then renamed into place
    (a stale run of the same name is replaced only then)."""
    final = folder / record["chapter"] / record["name"]
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{record['name']}.tmp-", dir=final.parent))
    try:
        if arrays:
            bad = [k for k, a in arrays.items() if np.asarray(a).dtype == object]
            if bad:
                raise StoreError(f"arrays {bad} are object arrays; the store keeps plain arrays")
            np.savez_compressed(tmp / "arrays.npz", **{k: np.asarray(a) for k, a in arrays.items()})
        if weights is not None:
            ws = weights.get_weights() if hasattr(weights, "get_weights") else list(weights)
            np.savez_compressed(tmp / "weights.npz",
                                **{f"w{i}": np.asarray(w, dtype="float16") for i, w in enumerate(ws)})
            if hasattr(weights, "to_json"):  # a Keras model: its architecture too
                (tmp / "model.json").write_text(weights.to_json(indent=1) + "\n")
        (tmp / "run.json").write_text(_json({**record, "status": "complete"}))
        old = None
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
            os.replace(final, old / final.name)
        os.replace(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return read_run(final)


def store_size(folder: Path = COMMITTED) -> int:
    """Bytes of every file under the store ``folder``."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0

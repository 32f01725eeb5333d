"""The key of a stored run: what determines its numbers, hashed (see DESIGN.md, "Runs and the
store"). A run is reused only while its key, computed from today's code, equals the stored one.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

#: bump when what the key holds changes: every stored run becomes stale
SCHEME = 1
SHARED = Path(__file__).resolve().parent
TRAIN_TAG = "train"
#: the shared modules whose code determines a run's numbers (training, models, layers,
#: augmentation, data and its recipes, tuning); the others (reporting, plots, tables, publish, the
#: store) are presentation or machinery and never invalidate a run
TRAINING_MODULES = ("training", "models", "attention", "augment", "data", "derived", "gan", "tuning")


class StoreError(RuntimeError):
    """A misuse of the store (a bad name or spec, a trainer outside the train cells)."""


# --- the key ------------------------------------------------------------------------------------

def canonical(value) -> str:
    """Canonical JSON of a spec: sorted keys, no spaces, floats by ``repr``; NumPy scalars become
    Python numbers; anything else JSON cannot hold is an error (never ``str()``'d into the key)."""

    def plain(v):
        if isinstance(v, dict):
            if not all(isinstance(k, str) for k in v):
                raise StoreError(f"spec keys must be strings: {list(v)!r}")
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, np.integer)):
            return int(v)
        if isinstance(v, (float, np.floating)):
            if not math.isfinite(v):
                raise StoreError(f"a spec cannot hold {v!r}")
            return float(v)
        if v is None or isinstance(v, str):
            return v
        raise StoreError(f"a spec holds plain values only (numbers, strings, lists, dicts, None), "
                         f"not {type(v).__name__}: {v!r}")

    return json.dumps(plain(value), sort_keys=True, separators=(",", ":"))


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()


def train_cells(source: Path) -> list[str]:
    """The sources of a chapter's code cells tagged ``train`` (what builds and trains its runs)."""
    import jupytext

    nb = jupytext.read(source)
    return [c.source.strip() for c in nb.cells
            if c.cell_type == "code" and TRAIN_TAG in c.metadata.get("tags", [])]


def module_fingerprint(path: Path) -> str:
    """sha256 of a module's syntax tree without docstrings: comments, docstrings and layout change
    nothing, code does."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return _digest(ast.dump(tree, annotate_fields=False, include_attributes=False))


def _shared_imports(text: str) -> set[str]:
    """Names of ``shared`` modules that ``text`` imports (``from shared import a, b``,
    ``from shared.a import x``, ``import shared.a``)."""
    found = set(re.findall(r"\bshared\.(\w+)", text))
    for names in re.findall(r"from[ \t]+shared[ \t]+import[ \t]+(\([^)]*\)|[^\n]+)", text):
        for name in names.strip("()").split("#")[0].split(","):
            if name.split():
                found.add(name.split()[0])  # "x as y" imports x
    return found


def training_modules(chapter_text: str, shared_dir: Path | None = None) -> list[str]:
    """The training-side shared modules a chapter uses, with those they import in turn."""
    shared_dir = SHARED if shared_dir is None else Path(shared_dir)
    todo = _shared_imports(chapter_text) & set(TRAINING_MODULES)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        seen.add(name)
        path = shared_dir / f"{name}.py"
        if path.exists():
            todo |= (_shared_imports(path.read_text()) & set(TRAINING_MODULES)) - seen
    return sorted(seen)


def engine() -> str:
    """The backend that trains here and its library's version, e.g. ``tensorflow 2.21.0``."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    package = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend, backend)
    try:
        return f"{backend} {metadata.version(package)}"
    except metadata.PackageNotFoundError:
        return f"{backend} (not installed)"


def keras_version() -> str:
    try:
        return metadata.version("keras")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def dtype_policy() -> str:
    """Keras' global dtype policy (the one models built now get)."""
    import keras

    return keras.mixed_precision.global_policy().name


@dataclass(frozen=True)
class Ingredients:
    """What a chapter's runs' keys share: its train cells and the shared training code it uses."""

    chapter: str
    train_code: str
    shared_code: dict[str, str]

    @classmethod
    def of(cls, source: Path, shared_dir: Path | None = None) -> Ingredients:
        """The ingredients of the chapter file ``source``, with the shared modules read from
        ``shared_dir`` (default: this package's folder)."""
        source = Path(source)
        shared_dir = SHARED if shared_dir is None else Path(shared_dir)
        import jupytext

        cells = train_cells(source)
        code = "\n".join(c.source for c in jupytext.read(source).cells if c.cell_type == "code")
        modules = training_modules(code, shared_dir)
        return cls(chapter=source.stem, train_code=_digest(*cells),
                   shared_code={m: module_fingerprint(shared_dir / f"{m}.py") for m in modules})


def run_key(ingredients: Ingredients, name: str, spec: dict, *, policy: str, keras: str,
            engine: str) -> str:
    """The run's key: sha256 over the key scheme, the chapter and the run's name, its spec
    (canonical JSON), the chapter's ``train`` cells, the training-side shared modules it uses
    (syntax trees), the dtype policy, the Keras version and the engine (backend and version).
    The device is not in it (it is in the provenance)."""
    return _digest(str(SCHEME), ingredients.chapter, name, canonical(spec), ingredients.train_code,
                   canonical(ingredients.shared_code), policy, keras, engine)

"""Filling the run store, over sessions and machines: fill, status, import, verify.

    python -m shared.publish book/chapters/21_two_digits.py --fill --for 2h [--commit]
    python -m shared.publish --status                       # every chapter on the store
    python -m shared.publish --import out/store             # runs a GPU call brought back
    python -m shared.publish book/chapters/01_mnist_cnn.py --verify [--run NAME]

A fill executes the chapter's notebook with the store in fill mode: every missing or stale run is
trained in the notebook's order and written as it ends; a run that would pass the deadline is not
started (the fill stops at that run boundary), and the next fill goes on from there. See
:mod:`shared.store`.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from shared.checkpoint import Part
from shared.formatting import format_duration
from shared.runkey import Ingredients, engine, keras_version, run_key
from shared.store import (
    COMMIT_ENV,
    COMMITTED,
    DEADLINE_ENV,
    MODE_ENV,
    ROOT,
    STORE_ENV,
    VERIFY_ENV,
    VERIFY_OUT_ENV,
    StoredRun,
    checkpoint_folder,
    manifest_policy,
    read_run,
    run_state,
    stored_runs,
)

CHAPTERS = ROOT / "book" / "chapters"
UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600}


def parse_duration(text: str) -> float:
    """``"2h"``, ``"90m"``, ``"1h30m"``, ``"45s"`` or a number of seconds, in seconds."""
    text = str(text).strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(h|min|m|s)", text)
    if not parts or "".join(f"{a}{b}" for a, b in parts) != text.replace(" ", ""):
        raise ValueError(f"{text!r} is not a duration: write 2h, 90m, 1h30m or 45s")
    return sum(float(a) * UNITS[b] for a, b in parts)


#: a chapter of a fill that stops with at least this much time left hands it to the next chapter
NEXT_CHAPTER_S = 5 * 60


def _execute(py: Path, env: dict[str, str], tolerate: tuple[str, ...] = ()) -> str | None:
    """Execute a chapter's notebook (outputs discarded) with ``env`` set; return the name of the
    exception that ended it (one of the store's clean stops, or one named in ``tolerate``), or
    None when it ran to its end."""
    import jupytext
    from nbclient.exceptions import CellExecutionError

    from shared.publish import _echoing_client_class, kernel_environment

    nb = jupytext.read(py)
    client = _echoing_client_class()(nb, timeout=None, kernel_name="python3",
                                     resources={"metadata": {"path": str(py.parent)}})
    with kernel_environment(env):
        try:
            client.execute()
        except CellExecutionError as err:
            if err.ename in ("FillStopped", "VerifyDone", "PlanStage", "OnlyDone", *tolerate):
                print(f"[{err.ename}] {err.evalue}", flush=True)
                return err.ename
            raise
    return None


def fill(paths: list[Path], profile: str, for_s: float, commit: bool = False,
         store: Path | None = None) -> dict[str, str]:
    """Fill the chapters' runs at ``profile`` for at most ``for_s`` seconds in all, in the order
    given; return each chapter's outcome (``complete``; ``stopped``: runs left for a later fill;
    ``waits``: it builds on another chapter's runs that are not stored yet; ``not reached``).

    A chapter that stops with at least :data:`NEXT_CHAPTER_S` of the fill left (its next runs
    were too long for the time left) hands that time to the chapters after it, so that a fill
    does not idle while a later chapter has runs that fit."""
    deadline = time.time() + for_s
    env = {"BOOK_PROFILE": profile, MODE_ENV: "fill", DEADLINE_ENV: repr(deadline)}
    if commit:
        env[COMMIT_ENV] = "1"
    if store is not None:
        env[STORE_ENV] = str(Path(store).resolve())
    outcome = {}
    for i, py in enumerate(paths, start=1):
        if time.time() >= deadline:
            outcome[py.stem] = "not reached"
            continue
        print(f"=== fill [{i}/{len(paths)}] {py.name} at {profile}; "
              f"{format_duration(deadline - time.time())} left", flush=True)
        stopped = _execute(py, env, tolerate=("MissingRuns",))
        outcome[py.stem] = {None: "complete", "FillStopped": "stopped",
                            "MissingRuns": "waits"}.get(stopped, "complete")
        if stopped in ("FillStopped", "MissingRuns") and (
                deadline - time.time() >= NEXT_CHAPTER_S):
            continue  # time left: the next chapter may have runs that fit
        if stopped:
            for rest in paths[i:]:
                outcome[rest.stem] = "not reached"
            break
    for stem, what in outcome.items():
        print(f"{stem}: {what}")
    return outcome


def _manifest(folder: Path, chapter: str) -> dict | None:
    path = folder / chapter / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else None


def chapter_status(chapter: str, folder: Path = COMMITTED) -> dict:
    """The runs a chapter asked for at its last execution (its manifest), each ``stored``,
    ``stale`` or ``missing`` for today's code, the stored runs it no longer asks for, and the
    estimated cost of the missing ones."""
    man = _manifest(folder, chapter)
    if man is None:
        return {"chapter": chapter, "on_store": False}
    ingredients = Ingredients.of(CHAPTERS / f"{chapter}.py")
    rows, by_group = [], {}
    for name, entry in man["runs"].items():
        policy = manifest_policy(man, name)
        status, run = run_state(folder, ingredients, name, entry["spec"], policy)
        row = {"name": name, "group": entry["group"], "status": status, "run": run,
               "estimate_s": entry.get("estimate_s"), "done": None}
        if entry.get("resumable") and status != "stored":  # a run in parts: how far it got
            key = run_key(ingredients, name, entry["spec"], policy=policy,
                          keras=keras_version(), engine=engine())
            row["done"] = Part.info(checkpoint_folder(folder, man["profile"], chapter, name,
                                                      key)).get("done")
        rows.append(row)
        if run is not None:
            by_group.setdefault(entry["group"], []).append(run.provenance["wall_s"])
    for r in rows:
        if r["status"] != "stored" and r["estimate_s"] is None:
            if r["run"] is not None:
                r["estimate_s"] = r["run"].provenance["wall_s"]
            elif by_group.get(r["group"]):
                r["estimate_s"] = float(np.mean(by_group[r["group"]]))
        if r["done"] and r["estimate_s"] is not None:
            r["estimate_s"] *= 1.0 - r["done"]  # what is left of a run in parts
    todo = [r for r in rows if r["status"] != "stored"]
    return {"chapter": chapter, "on_store": True, "profile": man["profile"], "rows": rows,
            "stored": sum(r["status"] == "stored" for r in rows),
            "stale": sum(r["status"] == "stale" for r in rows),
            "missing": sum(r["status"] == "missing" for r in rows),
            "unlisted": sorted(set(stored_runs(folder, chapter)) - set(man["runs"])),
            "todo_s": sum(r["estimate_s"] or 0 for r in todo),
            "unknown": sum(r["estimate_s"] is None for r in todo),
            "stored_s": sum(r["run"].provenance["wall_s"] for r in rows if r["status"] == "stored")}


def print_status(chapters: list[str], folder: Path = COMMITTED, verbose: bool = False) -> None:
    print(f"run store: {folder} (engine here: {engine()}, Keras {keras_version()})")
    print(f"{'chapter':34} {'profile':7} {'stored':>6} {'stale':>5} {'missing':>7} "
          f"{'trained':>14} {'to fill (estimate)':>20}")
    for chapter in chapters:
        s = chapter_status(chapter, folder)
        if not s["on_store"]:
            continue
        todo = format_duration(s["todo_s"]) if s["todo_s"] else "—"
        if s["unknown"]:
            todo += f" + {s['unknown']} unknown"
        print(f"{chapter:34} {s['profile']:7} {s['stored']:>6} {s['stale']:>5} {s['missing']:>7} "
              f"{format_duration(s['stored_s']):>14} {todo:>20}")
        if s["unlisted"]:
            print(f"  stored but no longer asked for: {', '.join(s['unlisted'])}")
        if verbose:
            for r in s["rows"]:
                where = r["run"].provenance["device"] if r["run"] is not None else ""
                est = format_duration(r["estimate_s"]) if r["estimate_s"] else ""
                status = r["status"] if not r["done"] else f"{r['done']:.0%} done"
                print(f"  {r['name']:28} {status:8} {r['group']:24} {est:>12} {where}")
    print("estimates: the chapter's own, else the stored or stale runs of the same group (on the "
          "devices that trained them); a group not yet begun is unknown until its first run; a run "
          "trained in parts shows what is left of it. "
          "Runs of later stages appear once the runs they depend on are stored.")


def import_runs(source: Path, into: Path = COMMITTED) -> dict[str, list[str]]:
    """Copy the runs of a store folder ``source`` (a GPU call's output, say) into the store ``into``.

    A run is imported only when it is current for today's code (its key, recomputed here with its
    own engine, matches) and ``into`` does not already hold it; its engine is then accepted here
    (``engines.json``). Stale runs are refused and named; a run is never stored twice."""
    source, into = Path(source), Path(into)
    done = {"imported": [], "already stored": [], "stale, refused": []}
    engines_path = into / "engines.json"
    engines = set(json.loads(engines_path.read_text())) if engines_path.exists() else set()
    chapter_dirs = sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))
    unknown = [p.name for p in chapter_dirs if not (CHAPTERS / f"{p.name}.py").exists()]
    if unknown:  # checked before anything is copied
        raise FileNotFoundError(f"{source} holds runs of chapters this checkout does not have: "
                                f"{', '.join(unknown)}")
    try:
        for chapter_dir in chapter_dirs:
            _import_chapter(chapter_dir, into, done, engines)
    finally:  # the engines of what was imported, even if a later run failed
        if engines:
            engines_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = engines_path.with_name(f".engines.json.tmp-{os.getpid()}")
            tmp.write_text(json.dumps(sorted(engines), indent=1) + "\n")
            os.replace(tmp, engines_path)
    for what, names in done.items():
        print(f"{what}: {len(names)}" + (f" ({', '.join(names)})" if names and what != "imported"
                                         else ""))
    return done


def _import_chapter(chapter_dir: Path, into: Path, done: dict, engines: set) -> None:
    """Import one chapter's runs (see :func:`import_runs`)."""
    chapter = chapter_dir.name
    ingredients = Ingredients.of(CHAPTERS / f"{chapter}.py")
    man = _manifest(chapter_dir.parent, chapter) or {"runs": {}}
    for folder in sorted(p for p in chapter_dir.iterdir() if p.is_dir()):
        run = read_run(folder)
        if run is None:
            continue
        label = f"{chapter}/{run.name}"
        prov = run.provenance
        if prov.get("profile") == "smoke" and into.resolve() == COMMITTED.resolve():
            done["stale, refused"].append(f"{label} (a smoke run)")
            continue
        key = run_key(ingredients, run.name, run.spec, policy=prov["dtype_policy"],
                      keras=keras_version(), engine=prov["engine"])
        if key != run.key:
            done["stale, refused"].append(label)
            continue
        there = read_run(into / chapter / run.name)
        if there is not None and (there.key == run.key or run_state(
                into, ingredients, run.name, there.spec, there.provenance["dtype_policy"])[0]
                == "stored"):
            # the same run, or one of this name that is still current here: kept
            done["already stored"].append(label)
            continue
        final = into / chapter / run.name
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{run.name}.import-", dir=final.parent))
        shutil.copytree(folder, tmp, dirs_exist_ok=True)
        old = None
        if final.exists():  # a stale run: moved aside, removed once the new one is in place
            old = Path(tempfile.mkdtemp(prefix=f".{run.name}.old-", dir=final.parent))
            os.replace(final, old / final.name)
        os.replace(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        done["imported"].append(label)
        if prov["engine"] != engine():
            engines.add(prov["engine"])
        _merge_manifest(into, chapter, man, run)


def _merge_manifest(into: Path, chapter: str, source_manifest: dict, run: StoredRun) -> None:
    path = into / chapter / "manifest.json"
    man = json.loads(path.read_text()) if path.exists() else {
        "chapter": chapter, "profile": run.provenance["profile"],
        "dtype_policy": run.provenance["dtype_policy"], "runs": {}}
    entry = dict(source_manifest.get("runs", {}).get(run.name) or {
        "spec": run.spec, "group": run.record.get("group", ""), "estimate_s": None})
    entry.pop("dtype_policy", None)
    if run.provenance["dtype_policy"] != man["dtype_policy"]:  # see Store._write_manifest
        entry["dtype_policy"] = run.provenance["dtype_policy"]
    man["runs"][run.name] = entry
    tmp = path.with_name(f".manifest.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(man, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def verify(py: Path, profile: str, name: str | None = None, seed: int | None = None,
           folder: Path = COMMITTED) -> dict:
    """Train one stored run of ``py`` again (``name``, else one chosen at random among its current
    runs) and compare it with the stored one (:func:`compare_runs`); return the comparison."""
    s = chapter_status(py.stem, folder)
    if not s["on_store"]:
        raise SystemExit(f"{py.stem} has no runs in {folder}")
    current = [r["name"] for r in s["rows"] if r["status"] == "stored"]
    if name is None:
        if not current:
            raise SystemExit(f"{py.stem} has no current stored run to verify")
        seed = random.randrange(10**6) if seed is None else seed
        name = random.Random(seed).choice(current)
        print(f"verifying {py.stem}/{name} (chosen at random among {len(current)}, seed {seed})")
    elif name not in current:
        raise SystemExit(f"{py.stem}/{name} is not a current stored run ({', '.join(current)})")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "verify.json"
        env = {"BOOK_PROFILE": profile, MODE_ENV: "verify", VERIFY_ENV: name,
               VERIFY_OUT_ENV: str(out), STORE_ENV: str(Path(folder).resolve())}
        ended = _execute(py, env)
        if ended != "VerifyDone" or not out.exists():
            raise RuntimeError(f"{py.stem} ended without reaching run {name}")
        report = json.loads(out.read_text())
    print(f"{report['chapter']}/{report['run']}: trained again in {report['wall_s']} s on "
          f"{report['device_now']} ({report['engine_now']}); stored from {report['device_then']} "
          f"({report['engine_then']})")
    for row in report["metrics"]:
        print(f"  {row['metric']:24} stored {row['stored']!r:24} again {row['again']!r:24} "
              f"{'ok' if row['ok'] else 'DIFFERS'}")
    print(f"  history identical: {report['history_identical']}; arrays identical: "
          f"{report['arrays_identical']}")
    print(f"verdict: {report['verdict']}")
    return report


def compare_runs(stored: StoredRun, fresh: dict, siblings: list[StoredRun], exact: bool) -> dict:
    """Compare a re-trained run with the stored one: every metric, the history and the arrays.

    ``exact`` (same engine and device: TensorFlow on a CPU is bit-deterministic) asks for identical
    numbers; otherwise each metric must lie within two standard deviations of the same metric over
    the group's other stored runs (the seed spread), and the arrays are not compared."""
    rows, ok = [], True
    for k, old in stored.metrics.items():
        new = fresh["metrics"].get(k)
        if exact:
            good = new == old or (new is not None and np.isnan(new) and np.isnan(old))
            allowed = 0.0
        else:
            spread = [r.metrics[k] for r in siblings if k in r.metrics]
            allowed = 2 * float(np.std(spread, ddof=1)) if len(spread) >= 2 else None
            good = new is not None and allowed is not None and abs(new - old) <= allowed
        ok &= bool(good)
        rows.append({"metric": k, "stored": old, "again": new, "allowed": allowed, "ok": bool(good)})
    history_same = (set(fresh["history"]) == set(stored.history) and all(
        np.array_equal(np.asarray(fresh["history"][k], dtype=float),
                       np.asarray(stored.history[k], dtype=float), equal_nan=True)
        for k in stored.history))
    arrays = stored.arrays
    arrays_same = (set(arrays) == set(fresh["arrays"]) and all(
        np.array_equal(arrays[k], fresh["arrays"][k],
                       equal_nan=np.issubdtype(arrays[k].dtype, np.floating)) for k in arrays))
    if exact:
        ok &= history_same and arrays_same
    return {"exact": exact, "metrics": rows, "history_identical": history_same,
            "arrays_identical": arrays_same,
            "verdict": ("identical" if exact and ok else "within the seed spread" if ok
                        else "DIFFERS")}


def commit_run(run: StoredRun, message: str) -> None:
    """Commit one stored run (and its chapter's manifest) alone, leaving other changes unstaged;
    a failure (a commit under way in the foreground) is a warning: the run stays on disk."""
    paths = [str(run.folder), str(run.folder.parent / "manifest.json")]
    for attempt in range(3):
        try:
            subprocess.run(["git", "add", "-A", "--", *paths], cwd=ROOT, check=True,
                           capture_output=True, text=True)
            subprocess.run(["git", "commit", "-q", "-m", message, "--only", "--", *paths], cwd=ROOT,
                           check=True, capture_output=True, text=True)
            print(f"[store] committed {run.chapter}/{run.name}", flush=True)
            return
        except subprocess.CalledProcessError as err:
            last = (err.stderr or err.stdout or "").strip()
            # unstage, so that the run does not slip into someone's next commit
            subprocess.run(["git", "reset", "-q", "--", *paths], cwd=ROOT, capture_output=True)
            time.sleep(2 + 3 * attempt)
    print(f"[store] WARNING: could not commit {run.chapter}/{run.name} ({last}); it is stored on "
          "disk: commit it by hand", flush=True)

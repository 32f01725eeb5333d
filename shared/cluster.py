"""Filling the run store from several machines with Dask distributed.

    dask scheduler                                   # on one machine (port 8786)
    dask worker tcp://HOST:8786 --nthreads 1         # on each machine, in a checkout of the book
    dask worker tcp://HOST:8786 --nthreads 1 --resources GPU=1       # a machine with a GPU
    python -m shared.publish book/chapters/14_attention_reduced_mnist.py --fill \\
        --dask tcp://HOST:8786 --for 2h --commit     # on the machine that holds the store

The client (the ``--fill --dask`` command) plans a chapter stage by stage: it executes the notebook
in ``plan`` mode (:mod:`shared.store`), which stops at the first ``get`` with missing runs and names
them with their keys. Each of those runs becomes one task (:func:`train_on_worker`): the worker
checks that its checkout is at the client's commit, executes the notebook with only that run to
train (``BOOK_STORE_ONLY``) into a temporary store, after checking that its key's ingredients
(train cells, shared training code, Keras version, dtype policy) are the client's, and sends the
run's files back. The client writes each run into its store as it comes back, through
:func:`shared.filling.import_runs` (current runs only, never one stored twice), and commits it with
``--commit``; workers need the repository and the data, not the store. When a stage is done the
client plans the next one (runs that need an earlier stage's runs, which travel with the task).

Heaviest first: tasks carry their estimate as Dask's priority, and the heaviest of them prefer the
workers that declared a ``GPU`` resource (loosely: other workers take them when those are busy). A
worker that dies loses only its run in progress: the scheduler gives the task to another worker.
Stopping the client loses the runs in progress; the next fill plans again from the store.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from shared.formatting import format_duration
from shared.store import (
    COMMIT_ENV,
    EXPECT_KEY_ENV,
    MODE_ENV,
    ONLY_ENV,
    PLAN_OUT_ENV,
    ROOT,
    STORE_ENV,
    WORKER_ENV,
    StoreError,
    read_run,
)

#: the Dask resource a worker declares to say it has a GPU (``dask worker ... --resources GPU=1``)
GPU = "GPU"


class WorkerRefused(StoreError):
    """A worker whose checkout differs from the client's refuses the task."""


def head_commit(path: Path = ROOT) -> str:
    """The full commit of the checkout at ``path`` ("unknown" outside git)."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def plan_stage(py: Path, profile: str, store: Path) -> dict:
    """The chapter's next stage: ``{"runs": [...], "ingredients": {...}}`` for the missing runs
    of its first ``get`` that lacks some, or ``{"runs": []}`` when every run is stored."""
    from shared.filling import _execute

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plan.json"
        env = {"BOOK_PROFILE": profile, MODE_ENV: "plan", PLAN_OUT_ENV: str(out),
               STORE_ENV: str(Path(store).resolve())}
        ended = _execute(py, env)
        if ended == "PlanStage":
            return json.loads(out.read_text())
        return {"runs": []}


def _pack(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _unpack(files: dict[str, bytes], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        if "/" in name or name.startswith("."):
            raise ValueError(f"a run file may not be named {name!r}")
        (folder / name).write_bytes(data)


def train_on_worker(py: str, profile: str, name: str, ingredients: dict, commit: str,
                    carry: dict[str, dict[str, bytes]] | None = None) -> dict:
    """One cluster task, run on a worker: train the run ``name`` of the chapter ``py`` (a path in
    the worker's checkout, relative to the repository root) and return its files.

    Refused (:class:`WorkerRefused`) when the worker's checkout is at another commit than the
    client's, or when the notebook finds the key's ``ingredients`` differ. ``carry`` holds runs of
    earlier stages (name -> files) that this worker's store may lack."""
    mine = head_commit()
    worker = _worker_name()
    if mine != commit:
        raise WorkerRefused(f"worker {worker}: its checkout is at commit {mine[:12]}, the "
                            f"client's at {commit[:12]}: check out the client's commit there")
    source = (ROOT / py).resolve()
    chapter = source.stem
    from shared.filling import _execute

    with tempfile.TemporaryDirectory(prefix="book-task-") as tmp:
        store = Path(tmp) / "store"
        for other, files in (carry or {}).items():
            _unpack(files, store / chapter / other)
        env = {"BOOK_PROFILE": profile, MODE_ENV: "fill", ONLY_ENV: name,
               EXPECT_KEY_ENV: json.dumps(ingredients), STORE_ENV: str(store),
               WORKER_ENV: worker, COMMIT_ENV: ""}
        start = time.perf_counter()
        try:
            ended = _execute(source, env)
        except Exception as err:  # the notebook's error, named for the client
            if "refused on this worker" in str(err):
                raise WorkerRefused(f"worker {worker}: {chapter}/{name} " +
                                    str(err).split("refused on this worker: ")[-1][:300]) from None
            raise
        folder = store / chapter / name
        if ended != "OnlyDone" or read_run(folder) is None:
            raise StoreError(f"worker {worker}: {chapter} ended without training {name}")
        return {"chapter": chapter, "name": name, "worker": worker, "files": _pack(folder),
                "task_s": round(time.perf_counter() - start, 1)}


def _worker_name() -> str:
    try:
        from distributed import get_worker

        w = get_worker()
        return str(w.name) if w.name is not None else w.address
    except (ImportError, ValueError):
        return os.uname().nodename


def placement(runs: list[dict], gpu_workers: list[str]) -> dict[str, dict]:
    """Each run's ``client.submit`` options: its priority (heavier first) and, for the heaviest
    (two per GPU worker), a loose preference for the GPU workers."""
    order = sorted(runs, key=lambda r: -(r.get("estimate_s") or 0.0))
    heavy = {r["name"] for r in order[:2 * len(gpu_workers)]} if gpu_workers else set()
    options = {}
    for rank, r in enumerate(order):
        opt = {"priority": len(order) - rank}
        if r["name"] in heavy:
            opt.update(workers=list(gpu_workers), allow_other_workers=True)
        options[r["name"]] = opt
    return options


def _accept(result: dict, into: Path, commit: bool) -> bool:
    """Write a task's run into the store ``into`` (through the import's checks); True when new."""
    from shared.filling import commit_run, import_runs

    with tempfile.TemporaryDirectory() as tmp:
        _unpack(result["files"], Path(tmp) / result["chapter"] / result["name"])
        done = import_runs(Path(tmp), into)
    label = f"{result['chapter']}/{result['name']}"
    new = label in done["imported"]
    if new and commit:
        run = read_run(into / result["chapter"] / result["name"])
        commit_run(run, f"Store run {label} (filled on worker {result['worker']}, "
                        f"{format_duration(result['task_s'])} a task)")
    return new


def dask_fill(paths: list[Path], profile: str, scheduler: str, for_s: float,
              store: Path, commit: bool = False, client=None) -> dict[str, str]:
    """Fill the chapters' missing runs on the Dask cluster at ``scheduler`` (see the module's
    docstring); return each chapter's outcome (``complete``, ``stopped`` at the deadline,
    ``failed``, ``not reached``)."""
    from distributed import Client, as_completed

    own = client is None
    client = client or Client(scheduler, timeout="30s")
    deadline = time.time() + for_s
    commit_id = head_commit()
    outcome = {}
    try:
        for py in paths:
            if time.time() >= deadline:
                outcome[py.stem] = "not reached"
                continue
            outcome[py.stem] = _fill_chapter(client, as_completed, py, profile, store, commit,
                                             commit_id, deadline)
            if outcome[py.stem] != "complete":
                break
    finally:
        if own:
            client.close()
    for py in paths:
        outcome.setdefault(py.stem, "not reached")
        print(f"{py.stem}: {outcome[py.stem]}", flush=True)
    return outcome


def _fill_chapter(client, as_completed, py, profile, store, commit, commit_id, deadline) -> str:
    carried: dict[str, dict[str, bytes]] = {}
    rel = str(py.resolve().relative_to(ROOT)) if py.resolve().is_relative_to(ROOT) else str(py)
    stage = 0
    while True:
        plan = plan_stage(py, profile, store)
        if not plan["runs"]:
            return "complete"
        stage += 1
        workers = client.scheduler_info()["workers"]
        if not workers:
            raise StoreError("the Dask cluster has no workers: start `dask worker ADDRESS`")
        gpus = [w["id"] for w in workers.values() if w.get("resources", {}).get(GPU)]
        opts = placement(plan["runs"], gpus)
        total = sum(r.get("estimate_s") or 0 for r in plan["runs"])
        print(f"[dask] {py.stem}, stage {stage}: {len(plan['runs'])} runs on {len(workers)} "
              f"workers ({len(gpus)} with a GPU); estimated {format_duration(total)} of training",
              flush=True)
        futures = {client.submit(train_on_worker, rel, profile, r["name"], plan["ingredients"],
                                 commit_id, carried or None, pure=False,
                                 key=f"{py.stem}/{r['name']}-{r['key'][:10]}-{time.time_ns()}",
                                 **opts[r["name"]]): r["name"] for r in plan["runs"]}
        done = 0
        pending = as_completed(list(futures), timeout=max(deadline - time.time(), 1))
        try:
            for future in pending:
                name = futures[future]
                if future.status == "error":
                    err = future.exception()
                    client.cancel(list(futures))
                    print(f"[dask] {py.stem}/{name} failed: {type(err).__name__}: {err}",
                          flush=True)
                    return "failed"
                result = future.result()
                new = _accept(result, store, commit)
                done += 1
                carried[name] = result["files"]
                print(f"[dask] {py.stem}/{name} ({done}/{len(futures)}) from {result['worker']} "
                      f"in {format_duration(result['task_s'])}"
                      f"{'' if new else ': already stored, not stored twice'}", flush=True)
        except TimeoutError:
            client.cancel([f for f in futures if not f.done()])
            print(f"[dask] {py.stem}: the fill's time is up; {len(futures) - done} runs of "
                  f"stage {stage} not stored (the next fill plans them again)", flush=True)
            return "stopped"


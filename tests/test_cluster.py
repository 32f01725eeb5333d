"""Filling the run store on a Dask cluster (shared.cluster): a scheduler and two workers on loopback,
one of them killed in the middle of a run; every run stored exactly once, with the worker that
trained it; a worker whose checkout or code differs refused with a clear error."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from shared import cluster, filling, store  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

CHAPTER = '''# %%
from shared import store
from shared.reporting import start_run
run = start_run("77_dask")
runs = store.open("77_dask")
print("started")

# %% tags=["train"]
import time


def train_slow(spec):
    time.sleep(spec["sleep"])
    return {"metrics": {"twice": 2 * spec["a"]}}


def train_after(spec):
    return {"metrics": {"total": spec["total"]}}


print("train_slow(spec), train_after(spec)")

# %%
first = runs.get({f"r{a}": {"a": a, "sleep": 3} for a in range(6)}, train_slow,
                 estimate_s={f"r{a}": 10.0 + a for a in range(6)})
print(sorted(first))

# %%
total = sum(r.metrics["twice"] for r in first.values())
second = runs.get({"after": {"total": total}}, train_after)
print(second["after"].metrics)

# %%
run.finish()
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture
def chapter(tmp_path, monkeypatch):
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    (chapters / "77_dask.py").write_text(CHAPTER)
    monkeypatch.setattr(filling, "CHAPTERS", chapters)
    monkeypatch.delenv(store.MODE_ENV, raising=False)
    return chapters / "77_dask.py"


@pytest.fixture
def loopback(tmp_path):
    """A scheduler and two workers without nannies (a killed worker stays dead); the first
    declares a GPU."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = {"scheduler": _start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--no-dashboard"],
                                 tmp_path / "scheduler.log")}
    for name, extra in (("w1", ["--resources", "GPU=1"]), ("w2", [])):
        procs[name] = _start(["distributed.cli.dask_worker", address, "--no-nanny",
                              "--nthreads", "1", "--name", name, "--no-dashboard", *extra],
                             tmp_path / f"{name}.log")
    from distributed import Client

    client = Client(address, timeout="60s")
    client.wait_for_workers(2, timeout=120)
    yield {"address": address, "client": client, "procs": procs}
    client.close()
    for p in procs.values():
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=30)


def test_placement_puts_the_heaviest_first_and_on_gpus():
    runs = [{"name": "light", "estimate_s": 5}, {"name": "heavy", "estimate_s": 500},
            {"name": "middle", "estimate_s": 50}, {"name": "unknown", "estimate_s": None}]
    opts = cluster.placement(runs, ["tcp://gpu:1"])
    assert [n for n, _ in sorted(opts.items(), key=lambda kv: -kv[1]["priority"])] == [
        "heavy", "middle", "light", "unknown"]
    assert opts["heavy"]["workers"] == ["tcp://gpu:1"] and opts["heavy"]["allow_other_workers"]
    assert "workers" in opts["middle"] and "workers" not in opts["light"]
    assert all("workers" not in o for o in cluster.placement(runs, []).values())


def test_a_worker_at_another_commit_or_with_other_code_is_refused(chapter):
    with pytest.raises(cluster.WorkerRefused, match="commit"):
        cluster.train_on_worker(str(chapter), "smoke", "r0", {}, "0" * 40)
    with pytest.raises(cluster.WorkerRefused, match="Keras version"):
        cluster.train_on_worker(str(chapter), "smoke", "r0", {"Keras version": "2.0.0"},
                                cluster.head_commit())


def test_a_cluster_fills_every_run_once_though_a_worker_dies(chapter, loopback, tmp_path,
                                                              capsys):
    folder = tmp_path / "store"
    client, procs = loopback["client"], loopback["procs"]
    outcome, killed = {}, {}

    def fill():
        outcome.update(cluster.dask_fill([chapter], "smoke", loopback["address"], 600, folder,
                                         client=client))

    thread = threading.Thread(target=fill)
    thread.start()
    w1 = next(a for a, w in client.scheduler_info()["workers"].items() if w["name"] == "w1")
    deadline = time.time() + 240
    while time.time() < deadline and not killed:  # w1 in the middle of a run: kill it
        busy = client.processing().get(w1) or []
        if busy:
            time.sleep(2.0)
            busy = client.processing().get(w1) or []
            if busy:
                killed["task"] = str(busy[0])
                os.killpg(procs["w1"].pid, signal.SIGKILL)
        time.sleep(0.2)
    thread.join(timeout=600)
    out = capsys.readouterr().out
    assert killed, "worker w1 never took a task"
    assert outcome == {"77_dask": "complete"}, out
    assert "2 workers (1 with a GPU)" in out
    runs = {p.name: json.loads((p / "run.json").read_text())
            for p in (folder / "77_dask").iterdir() if p.is_dir()}
    assert sorted(runs) == ["after", *(f"r{a}" for a in range(6))]  # each once, nothing hidden
    workers = {name: r["provenance"]["worker"] for name, r in runs.items()}
    assert set(workers.values()) <= {"w1", "w2"}
    lost = killed["task"].split("/")[1].split("-")[0]  # the run w1 was training when it died
    assert workers[lost] == "w2", (killed, workers)
    assert runs["after"]["metrics"]["total"] == 30.0  # the second stage saw the first's runs
    assert "not stored twice" not in out or out.count("[dask] 77_dask/") >= 7
    # a second fill finds nothing to do
    assert cluster.dask_fill([chapter], "smoke", loopback["address"], 600, folder,
                             client=client) == {"77_dask": "complete"}
    assert sorted(p.name for p in (folder / "77_dask").iterdir() if p.is_dir()) == sorted(runs)

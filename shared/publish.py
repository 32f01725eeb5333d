"""Execute a chapter and publish its outputs with provenance.

    python -m shared.publish book/chapters/21_two_digits.py           # cpu profile, writes the .ipynb
    python -m shared.publish book/chapters/13_gan*.py                 # several, one after another
    python -m shared.publish --all --profile full                     # every chapter (on a GPU)
    python -m shared.publish book/chapters/01_mnist_cnn.py --profile smoke --out /tmp/try.ipynb
    python -m shared.publish --tables   # only regenerate book/runs.md, book/claims.md, claims.csv

The training runs come from the run store (``book/store``, :mod:`shared.store`); filling it is the
long part, publishing the short last step:

    python -m shared.publish book/chapters/21_two_digits.py --fill --for 2h --commit
    python -m shared.publish --status [-v]                  # stored, stale, missing; cost to fill
    python -m shared.publish --import DIR                   # runs filled elsewhere (a GPU call)
    python -m shared.publish book/chapters/01_mnist_cnn.py --verify [--run NAME]
    python -m shared.publish book/chapters/14_attention_reduced_mnist.py --fill \
        --dask tcp://HOST:8786 --for 2h --commit    # on a Dask cluster (shared.cluster)

The chapter's ``.py`` is read with jupytext, executed cell by cell (progress is printed), the
provenance the chapter hands back is checked against the code that ran and stored in the notebook
metadata under ``provenance``, the chapter's reported-versus-reproduced rows under ``claims``, and
the notebook is written next to the ``.py``. Every ``cpu`` or ``full`` run published is appended to
the history ``book/runs.json``; the table of runs ``book/runs.md`` (shown in the introduction) and
the claims scoreboard ``book/claims.md`` (with ``book/claims.csv``) are regenerated from it and from
the published notebooks. Smoke runs are never written over a chapter's published notebook.

Several notebooks run one after another (makers of handed-on models before their users), with the
overall progress and the time left estimated from each notebook's last run at that profile. A
notebook is written only once it has run to its end: one that fails keeps its last published
version, the others go on, and the command exits non-zero naming the failures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from shared import scoreboard as _pages
from shared.profile import PROFILES, PUBLISHABLE
from shared.reporting import PROVENANCE_OUT_ENV, code_cells, code_hash, format_duration

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "book" / "chapters"
RUNS_TABLE = ROOT / "book" / "runs.md"
RUNS_HISTORY = ROOT / "book" / "runs.json"
SCOREBOARD = ROOT / "book" / "claims.md"
CLAIMS_CSV = ROOT / "book" / "claims.csv"
GENERATED = _pages.GENERATED
SCORE_COLUMNS = _pages.SCORE_COLUMNS


def _echoing_client_class():
    from nbclient import NotebookClient

    class EchoingClient(NotebookClient):
        """Echoes the kernel's printed output (per-epoch lines, say) as it arrives."""

        def output(self, outs, msg, display_id, cell_index):
            if msg["msg_type"] == "stream" and msg["content"].get("name") == "stdout":
                sys.stdout.write(msg["content"].get("text", ""))
                sys.stdout.flush()
            return super().output(outs, msg, display_id, cell_index)

    return EchoingClient


@contextlib.contextmanager
def kernel_environment(values: dict[str, str | None]):
    """Set ``values`` in the environment (which a notebook's kernel inherits; None removes one)
    and remove ``MPLBACKEND`` (a non-interactive one, Agg as CI sets, would keep every figure off
    the page); restore the environment afterwards."""
    before = {k: os.environ.get(k) for k in (*values, "MPLBACKEND")}
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    os.environ.pop("MPLBACKEND", None)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def execute(py: Path, profile: str, timeout: int | None = None):
    """Execute ``py`` at ``profile``; return the executed notebook (with provenance in metadata)."""
    import jupytext

    _EchoingClient = _echoing_client_class()

    nb = jupytext.read(py)
    with tempfile.TemporaryDirectory() as tmp:
        prov_file = Path(tmp) / "provenance.json"
        n_code = sum(c.cell_type == "code" for c in nb.cells)
        state = {"i": 0, "t": time.perf_counter(), "t0": time.perf_counter()}

        def on_cell_executed(cell, cell_index, execute_reply):
            if cell.cell_type != "code":
                return
            state["i"] += 1
            now = time.perf_counter()
            first = (cell.source.strip().splitlines() or [""])[0][:60]
            print(f"[{state['i']:>3}/{n_code}] {now - state['t']:7.1f} s  "
                  f"(total {format_duration(now - state['t0'])})  {first}", flush=True)
            state["t"] = now

        client = _EchoingClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(py.parent)}},
                                on_cell_executed=on_cell_executed)
        # a publication loads its runs; a store mode or deadline left in the shell must not
        # make it train
        with kernel_environment({"BOOK_PROFILE": profile, PROVENANCE_OUT_ENV: str(prov_file),
                                 "BOOK_STORE_MODE": "publish", "BOOK_FILL_DEADLINE": None,
                                 "BOOK_STORE_VERIFY": None}):
            client.execute()
        if not prov_file.exists():
            raise RuntimeError(f"{py.name} ran but handed back no provenance: its last cell must call "
                               "run.finish()")
        handed = json.loads(prov_file.read_text())
    prov, claims = handed["provenance"], handed.get("claims", [])
    if prov["code_hash"] != code_hash(nb):
        raise RuntimeError(f"{py.name} changed while it ran (code hash mismatch); run it again")
    if prov["profile"] != profile:
        raise RuntimeError(f"{py.name} ran at profile {prov['profile']!r}, asked for {profile!r}")
    empty = [i for i, c in enumerate((c for c in nb.cells if c.cell_type == "code"), start=1)
             if not c.outputs]
    if empty:
        raise RuntimeError(f"{py.name}: code cells {empty} produced no output (a figure that did "
                           "not render?); such a notebook would be re-executed by the book build, "
                           "so it is not written")
    nb.metadata["provenance"] = prov
    nb.metadata["claims"] = claims
    return nb


def chapter_title(nb) -> str:
    """The first level-1 heading of a notebook's markdown (its title on the page)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "(untitled)"


def published_chapters() -> list[dict]:
    """Every chapter notebook with outputs, in file order: stem, title, provenance, claims."""
    import nbformat

    rows = []
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if "provenance" in nb.metadata:
            rows.append({"stem": path.stem, "title": chapter_title(nb),
                         "provenance": dict(nb.metadata["provenance"]),
                         "claims": [dict(c) for c in nb.metadata.get("claims", [])]})
    return rows


_run_key = _pages._run_key


def read_history() -> list[dict]:
    """Every cpu or full run ever published (``book/runs.json``), oldest first."""
    if not RUNS_HISTORY.exists():
        return []
    return json.loads(RUNS_HISTORY.read_text())


def record_run(prov: dict) -> None:
    """Append a published run (cpu or full) to the history (once)."""
    if prov.get("profile") not in PUBLISHABLE:
        raise ValueError(f"only {' or '.join(PUBLISHABLE)} runs enter the history of runs, "
                         f"not {prov.get('profile')!r}")
    history = read_history()
    if prov.get("runs"):  # the summary, without each run's key (the notebook keeps those)
        prov = {**prov, "runs": {k: v for k, v in prov["runs"].items() if k != "keys"}}
    if _run_key(prov) not in {_run_key(p) for p in history}:
        history.append(prov)
    _write_atomic(RUNS_HISTORY, json.dumps(history, indent=1) + "\n")


def last_wall_time(stem: str, profile: str) -> float | None:
    """The wall time of ``stem``'s newest published run at ``profile`` (None: never run so)."""
    runs = [p for p in read_history() if p["chapter"] == stem and p["profile"] == profile]
    return max(runs, key=lambda p: p["date"])["wall_time_s"] if runs else None


def runs_table(published: list[dict] | None = None) -> str:
    """The table of runs (``book/runs.md``): :func:`shared.scoreboard.runs_table` of the published
    chapters and the history of runs."""
    return _pages.runs_table(published_chapters() if published is None else published,
                             read_history())


def scoreboard(published: list[dict] | None = None) -> str:
    """The claims scoreboard page (``book/claims.md``): :func:`shared.scoreboard.scoreboard`."""
    return _pages.scoreboard(published_chapters() if published is None else published)


def claims_csv(published: list[dict] | None = None) -> str:
    """Every numeric claim as CSV (``book/claims.csv``): :func:`shared.scoreboard.claims_csv`."""
    return _pages.claims_csv(published_chapters() if published is None else published)


def check_published(py: Path) -> list[str]:
    """Problems that make a chapter's published notebook stale or unpublishable (empty: fine)."""
    import jupytext
    import nbformat

    ipynb = py.with_suffix(".ipynb")
    if not ipynb.exists():
        return [f"{py.name} has no paired {ipynb.name}"]
    nb = nbformat.read(ipynb, as_version=4)
    problems = []
    if code_cells(nb) != code_cells(jupytext.read(py)):
        problems.append(f"{ipynb.name}: code cells differ from {py.name} (run `jupytext --sync` "
                        "for prose edits; re-publish or clear outputs after code edits)")
    code = [c for c in nb.cells if c.cell_type == "code"]
    if any(c.outputs for c in code):
        prov = nb.metadata.get("provenance")
        if not prov:
            problems.append(f"{ipynb.name} has outputs but no provenance: publish it with "
                            "`python -m shared.publish` or clear its outputs")
        else:
            if prov.get("profile") not in PUBLISHABLE:
                problems.append(f"{ipynb.name} holds {prov.get('profile')!r}-profile outputs; "
                                f"only {' or '.join(PUBLISHABLE)} runs are published")
            if prov.get("code_hash") != code_hash(nb):
                problems.append(f"{ipynb.name}: its outputs came from other code (code hash "
                                f"{str(prov.get('code_hash'))[:12]} recorded, "
                                f"{code_hash(nb)[:12]} now): re-publish or clear outputs")
        empty = [i for i, c in enumerate(code, start=1) if not c.outputs]
        if empty:
            problems.append(f"{ipynb.name}: code cells {empty} have no output, so the book build "
                            "would re-execute the chapter; make each cell print or show something")
    return problems


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_tables() -> list[Path]:
    """Regenerate book/runs.md, book/claims.md and book/claims.csv (notebooks read once)."""
    published = published_chapters()
    _write_atomic(RUNS_TABLE, runs_table(published))
    _write_atomic(SCOREBOARD, scoreboard(published))
    _write_atomic(CLAIMS_CSV, claims_csv(published))
    return [RUNS_TABLE, SCOREBOARD, CLAIMS_CSV]


USES_CALL = re.compile(r'\.uses\(\s*"(\w+)"')


def makers_of(source: Path) -> set[str]:
    """The chapters whose trained models the chapter file ``source`` loads: its data-cache hand-off
    maker (``shared.training.handoff_maker``) and every chapter named in a ``runs.uses("<maker>",
    ...)`` of the run store."""
    from shared.training import handoff_maker

    return {m for m in (handoff_maker(source), *USES_CALL.findall(source.read_text())) if m}


def store_users(folder: Path) -> dict[str, set[str]]:
    """For each chapter in ``folder`` whose stored runs others load (``runs.uses``), those others:
    at the smoke profile each execution has its own temporary store, so a maker and its users must
    be given one store folder (``BOOK_RUN_STORE``) to share."""
    users: dict[str, set[str]] = {}
    for q in sorted(folder.glob("*.py")):
        for maker in set(USES_CALL.findall(q.read_text())) - {q.stem}:
            users.setdefault(maker, set()).add(q.stem)
    return users


def in_order(paths: list[Path], given: bool = False) -> list[Path]:
    """``paths`` in file order, except that a notebook whose models another one in the list loads
    (``shared.training.handoff_maker``, or the store's ``runs.uses("<maker>", ...)``) runs before
    it. With ``given`` (a fill: the order is its priority), the order given, each maker moved
    just before the first notebook that loads its models."""
    if given:
        order, result = list(dict.fromkeys(paths)), []
        for p in order:
            makers = makers_of(p)
            result += [m for m in order if m.stem in makers and m != p and m not in result]
            if p not in result:
                result.append(p)
        return result
    paths = sorted(dict.fromkeys(paths), key=lambda p: p.name)
    makers = [p for p in paths if any(p.stem in makers_of(q) and p.stem != q.stem
                                      for q in paths)]
    rest = [p for p in paths if p not in makers]
    return makers + rest


def write_notebook(nb, out: Path) -> None:
    """Write ``nb`` to ``out`` whole or not at all (a temporary file, then a rename)."""
    import jupytext

    tmp = out.with_name(f".{out.stem}.tmp.ipynb")
    jupytext.write(nb, tmp, fmt="ipynb")
    os.replace(tmp, out)


def publish_many(paths: list[Path], profile: str, out: Path | None = None,
                 timeout: int | None = None) -> list[dict]:
    """Execute each notebook in turn at ``profile`` and publish it; return one summary per notebook.

    ``out`` (one notebook only) writes elsewhere. A failure is reported and the next notebook runs;
    the failed one keeps its last published version.
    """
    from shared.reporting import verdict_counts

    paths = in_order(paths)
    estimates = {p: last_wall_time(p.stem, profile) for p in paths}
    start, summary = time.perf_counter(), []
    for i, py in enumerate(paths, start=1):
        left = [estimates[q] for q in paths[i - 1:]]
        known = sum(t for t in left if t is not None)
        unknown = sum(t is None for t in left)
        guess = (f"about {format_duration(known)} left" if known else "time left unknown") + (
            f" (+{unknown} notebook{'s' * (unknown > 1)} never run at {profile})"
            if unknown and known else "")
        print(f"=== [{i}/{len(paths)}] {py.name} at profile {profile}; "
              f"{format_duration(time.perf_counter() - start)} so far, {guess}", flush=True)
        target = (out or py.with_suffix(".ipynb")).resolve()
        row = {"notebook": py.stem, "profile": profile, "device": "", "wall time": "",
               "verdicts": "", "status": "failed"}
        try:
            nb = execute(py, profile, timeout=timeout)
            write_notebook(nb, target)
            prov = nb.metadata["provenance"]
            if target.parent == CHAPTERS.resolve():
                record_run(prov)
                write_tables()
            counts = verdict_counts(nb.metadata.get("claims", []))
            row.update(device=prov["device"], status="published" if out is None else f"wrote {target}",
                       **{"wall time": format_duration(prov["wall_time_s"])},
                       verdicts=", ".join(f"{v} {n}" for v, n in counts.items() if n) or "—")
            print(f"wrote {target} (wall time {row['wall time']})", flush=True)
        except Exception as err:  # noqa: BLE001 (reported, and the next notebook goes on)
            text = str(err).strip().splitlines()
            row["status"] = f"failed: {err.__class__.__name__}"
            print(f"FAILED {py.name}: {err.__class__.__name__}\n" + "\n".join(text[-30:]),
                  file=sys.stderr, flush=True)
        summary.append(row)
    print_summary(summary)
    return summary


def print_summary(summary: list[dict]) -> None:
    columns = ("notebook", "profile", "device", "wall time", "verdicts", "status")
    widths = {c: max(len(c), *(len(str(r[c])) for r in summary)) for c in columns}
    print("\n" + "  ".join(c.ljust(widths[c]) for c in columns))
    for r in summary:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in columns))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.publish", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", type=Path, help="the chapters' .py files")
    parser.add_argument("--all", action="store_true", help="every chapter in book/chapters")
    parser.add_argument("--profile", default=None,
                        help=f"one of {', '.join(PROFILES)} (default: BOOK_PROFILE, else cpu)")
    parser.add_argument("--out", type=Path, help="where to write the executed notebook "
                        "(default: the chapter's .ipynb; required for smoke runs; one chapter only)")
    parser.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds")
    parser.add_argument("--tables", action="store_true",
                        help="only regenerate book/runs.md, book/claims.md and book/claims.csv")
    store = parser.add_argument_group("the run store (shared.store)")
    store.add_argument("--fill", action="store_true", help="train the chapters' missing and stale "
                       "runs into the store instead of publishing (stops at a run boundary)")
    store.add_argument("--for", dest="for_", default="2h", help="how long a fill may run in all "
                       "(2h, 90m, 1h30m; default 2h)")
    store.add_argument("--commit", action="store_true", help="commit each run as it is stored")
    store.add_argument("--dask", metavar="ADDRESS", help="--fill on a Dask cluster: the "
                       "scheduler's address (tcp://HOST:8786); see shared.cluster")
    store.add_argument("--store", type=Path, help="the store folder (default: book/store; "
                       "a fill on another machine writes its runs here, for --import)")
    store.add_argument("--status", action="store_true", help="list each chapter's runs: stored, "
                       "stale, missing, and the estimated cost of the missing ones")
    store.add_argument("-v", "--verbose", action="store_true", help="--status: every run")
    store.add_argument("--import", dest="import_", type=Path, metavar="DIR",
                       help="import the current runs of a store folder filled elsewhere")
    store.add_argument("--verify", action="store_true", help="train one stored run again (chosen "
                       "at random unless --run names it) and compare it with the stored one")
    store.add_argument("--run", help="--verify: the run's name")
    args = parser.parse_args(argv)

    actions = [name for name, on in (("--tables", args.tables), ("--status", args.status),
                                     ("--import", args.import_), ("--fill", args.fill),
                                     ("--verify", args.verify)) if on]
    if len(actions) > 1:
        parser.error(f"{' and '.join(actions)} cannot be combined: give one")
    if args.run and not args.verify:
        parser.error("--run names the run for --verify")
    if args.commit and not args.fill:
        parser.error("--commit commits the runs a --fill stores")
    if args.dask and not args.fill:
        parser.error("--dask spreads a --fill over a Dask cluster")
    if args.fill and args.out:
        parser.error("--out is for a publication; a --fill writes runs into the store")
    if args.tables:
        for path in write_tables():
            print(f"wrote {path}")
        return 0
    from shared import filling
    from shared.store import COMMITTED

    folder = args.store.resolve() if args.store else COMMITTED
    if args.commit and folder != COMMITTED.resolve():
        parser.error("--commit commits runs into the book's own store, not --store "
                     f"{args.store}")
    if args.status:
        stems = [p.stem for p in args.chapters] or [p.stem for p in sorted(CHAPTERS.glob("*.py"))]
        filling.print_status(stems, folder, verbose=args.verbose)
        return 0
    if args.import_:
        if not args.import_.is_dir():
            parser.error(f"--import {args.import_}: not a folder")
        done = filling.import_runs(args.import_, folder)
        return 1 if done["stale, refused"] else 0
    from shared.profile import ProfileError, active_profile, check_profile

    try:
        profile = check_profile(args.profile.strip().lower()) if args.profile else active_profile()
    except ProfileError as err:
        parser.error(str(err))
    paths = sorted(CHAPTERS.glob("*.py")) if args.all else list(args.chapters)
    if not paths:
        parser.error("name chapters' .py files, or give --all or --tables")
    for p in paths:
        if p.suffix != ".py" or not p.exists():
            parser.error(f"{p} is not an existing chapter .py file")
    paths = [p.resolve() for p in paths]
    if args.out and len(paths) > 1:
        parser.error("--out takes one chapter")
    if args.fill:
        off = [p.name for p in paths if "store.open(" not in p.read_text()]
        if off:
            parser.error(f"not on the run store (no store.open): {', '.join(off)}; publish "
                         "those directly")
        try:
            seconds = filling.parse_duration(args.for_)
        except ValueError as err:
            parser.error(str(err))
        if profile == "smoke" and args.store is None:
            parser.error("a smoke fill never writes the committed store: give --store somewhere")
        if args.dask:
            from shared.cluster import dask_fill

            outcome = dask_fill(in_order(paths, given=True), profile, args.dask, seconds, folder,
                                commit=args.commit)
            return (0 if all(v == "complete" for v in outcome.values())
                    else 1 if "failed" in outcome.values() else 3)
        outcome = filling.fill(in_order(paths, given=True), profile, seconds, commit=args.commit,
                               store=args.store)
        return 0 if all(v == "complete" for v in outcome.values()) else 3
    if args.verify:
        if len(paths) != 1:
            parser.error("--verify takes one chapter")
        report = filling.verify(paths[0], profile, name=args.run, folder=folder)
        return 1 if report["verdict"] == "DIFFERS" else 0
    if profile not in PUBLISHABLE and (args.out is None
                                       or args.out.resolve().parent == CHAPTERS.resolve()):
        parser.error(f"{profile} outputs are never published: give --out somewhere outside "
                     "book/chapters")

    if args.store:
        if args.out is None and folder != COMMITTED.resolve():
            parser.error("a publication from another store (--store) is not written over the "
                         "chapter: give --out somewhere")
        os.environ["BOOK_RUN_STORE"] = str(folder)  # the kernels inherit it
    print(f"publishing {len(paths)} notebook{'s' * (len(paths) > 1)} at profile {profile} "
          f"(KERAS_BACKEND={os.environ.get('KERAS_BACKEND', 'tensorflow')})", flush=True)
    summary = publish_many(paths, profile, out=args.out, timeout=args.timeout)
    failed = [r["notebook"] for r in summary if r["status"].startswith("failed")]
    if failed:
        print(f"\n{len(failed)} of {len(summary)} failed: {', '.join(failed)} (each keeps its last "
              "published version)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# Rehearse the GPU recipe on this CPU machine, so that no device minute is lost to a missing package.
#
# Builds a fresh virtual environment from exactly two lists: scripts/gpu-image.txt (what the GPU
# image holds) and scripts/gpu-wheels.txt (what is carried to it as wheels), each installed without
# dependencies, the wheels with `--target` and PYTHONPATH as on the GPU. It fails if TensorFlow can
# be imported. Then, with KERAS_BACKEND=jax, it runs scripts/gpu_probe.py (what the chapters still to
# come need) and, at the smoke profile through `shared.publish`, every chapter that a GPU call
# publishes (scripts/gpu-chapters.txt; REHEARSAL_ALL=1: every chapter), writing the notebooks under
# WORK, never over the published ones. A module that neither list provides fails the run with
# its name.
#
# Usage: scripts/rehearse_gpu.sh [WORK]   (default .rehearsal; git-ignored)
# The GPU runs Python 3.12: the rehearsal uses python3.12 when this machine has it (the very wheels
# the GPU gets), else python3 with the same list downloaded for that version (it says so).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mkdir -p "${1:-.rehearsal}" && cd "${1:-.rehearsal}" && pwd)
start=$SECONDS

find_python312() {  # on PATH, or installed by pyenv without being its global version
  local c
  for c in "$(command -v python3.12 || true)" "$(pyenv root 2>/dev/null)"/versions/3.12*/bin/python3.12; do
    if [[ -x "$c" ]] && "$c" -c 'import venv' 2>/dev/null; then echo "$c"; return; fi
  done
}
py=${REHEARSAL_PYTHON:-$(find_python312)}
if [[ -z "$py" ]]; then
  py=$(command -v python3)
  echo "note: no python3.12 here; rehearsing with $("$py" --version) (the GPU has 3.12)"
fi
rm -rf "$work/venv" "$work/site" "$work/whl" "$work/out"
"$py" -m venv "$work/venv"
# shellcheck disable=SC1091
. "$work/venv/bin/activate"
python -m pip install --quiet --upgrade pip
version=$(python -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')

echo "== the GPU image's packages (scripts/gpu-image.txt), no dependencies"
python -m pip install --quiet --no-deps --only-binary=:all: -r scripts/gpu-image.txt

echo "== the carried wheels (scripts/gpu-wheels.txt) for Python $version, installed as on the GPU"
scripts/fetch_gpu_wheels.sh "$work/whl" "$version"
python -m pip install --quiet --no-index --no-deps --no-compile --target "$work/site" "$work"/whl/*.whl
export PYTHONPATH="$work/site:$root" KERAS_BACKEND=jax BOOK_PROFILE=smoke MPLBACKEND=Agg
if [[ -z "${BOOK_DATA_MIRROR:-}" && -d "$root/../shared/data" ]]; then
  export BOOK_DATA_MIRROR="$root/../shared/data"  # as the test set-up does
fi

if python -c 'import tensorflow' 2>/dev/null; then
  echo "FAIL: tensorflow can be imported in the rehearsal environment; the GPU image has none"
  exit 1
fi

missing() {  # name the module a failed step could not import
  local name
  name=$(grep -o -E "No module named '[^']+'" "$1" | head -1 | cut -d"'" -f2 || true)
  if [[ -n "$name" ]]; then
    echo "FAIL: module '$name' is in neither scripts/gpu-image.txt nor scripts/gpu-wheels.txt"
  fi
}

echo "== what the chapters to come need (scripts/gpu_probe.py)"
mkdir -p "$work/out"
if ! python scripts/gpu_probe.py > "$work/out/probe.log" 2>&1; then
  cat "$work/out/probe.log"; missing "$work/out/probe.log"; exit 1
fi
cat "$work/out/probe.log"

# the chapters two at a time (REHEARSAL_JOBS): much of a smoke run is start-up and tracing, which
# overlaps well on two cores
rehearse_one() {
  local chapter=$1 name t
  name=$(basename "$chapter" .py)
  t=$SECONDS
  if ! python -m shared.publish "$chapter" --profile smoke --out "$work/out/$name.ipynb" \
      > "$work/out/$name.log" 2>&1; then
    echo "== $name at smoke profile, KERAS_BACKEND=jax: FAILED"
    tail -40 "$work/out/$name.log"; missing "$work/out/$name.log"; return 1
  fi
  echo "== $name at smoke profile, KERAS_BACKEND=jax: ok in $((SECONDS - t)) s"
}
rehearse_job() {  # one or more chapters, in order (a maker of handed-on models before its users)
  local chapter
  # one run store for the job: a user of another chapter's stored runs (runs.uses) finds them
  export BOOK_RUN_STORE="$work/stores/$(basename "$1" .py)"
  mkdir -p "$BOOK_RUN_STORE"
  for chapter in "$@"; do rehearse_one "$chapter" || return 1; done
}
export -f rehearse_one rehearse_job missing
export work
# The jobs: the chapters a GPU call publishes (scripts/gpu-chapters.txt), or every chapter with
# REHEARSAL_ALL=1 (before re-publishing others on the GPU). Chapters that hand trained models on
# (shared.training.save_handoff / load_handoff, or the run store's runs.uses) share one job, their maker first.
jobs=$(REHEARSAL_ALL="${REHEARSAL_ALL:-}" python - <<'PY'
import os
from pathlib import Path

from shared.publish import makers_of

chapters = {py.stem: py for py in sorted(Path("book/chapters").glob("*.py"))}


def handoff_maker(py):  # the chapter whose models it loads (data cache or run store), if any
    return min(makers_of(py) - {py.stem}, default=None)


listed = [line.strip() for line in Path("scripts/gpu-chapters.txt").read_text().splitlines()
          if line.strip() and not line.startswith("#")]
unknown = [stem for stem in listed if stem not in chapters]
if unknown:
    raise SystemExit(f"scripts/gpu-chapters.txt names no chapter: {', '.join(unknown)}")
wanted = set(chapters) if os.environ.get("REHEARSAL_ALL") else set(listed)
wanted |= {handoff_maker(chapters[stem]) for stem in wanted} - {None}  # a user needs its maker
jobs = {}
for stem, py in chapters.items():
    if stem in wanted:
        jobs.setdefault(handoff_maker(py) or stem, []).append(str(py))
for key, chapters in jobs.items():  # the maker first, then the rest in file order
    chapters.sort(key=lambda c: (Path(c).stem != key, c))
    print(" ".join(chapters))
PY
)
echo "== $(wc -w <<< "$jobs") chapters in $(wc -l <<< "$jobs") jobs${REHEARSAL_ALL:+ (all chapters)}"
if ! xargs -P "${REHEARSAL_JOBS:-2}" -L 1 bash -c 'rehearse_job "$@"' _ <<< "$jobs"; then
  echo "rehearsal FAILED"; exit 1
fi
# the run store as a GPU call uses it: fill one chapter's runs into a folder of their own (what the
# call brings back), then import them into another store, as the CPU machine does afterwards
echo "== the run store: fill 01_mnist_cnn at smoke into a folder, then import it"
rm -rf "$work/store" "$work/imported"
t=$SECONDS
if ! python -m shared.publish book/chapters/01_mnist_cnn.py --fill --profile smoke \
    --store "$work/store" --for 10m > "$work/out/fill.log" 2>&1; then
  echo "FAIL: the fill"; tail -40 "$work/out/fill.log"; missing "$work/out/fill.log"; exit 1
fi
filled=$(find "$work/store" -name run.json | wc -l)
python -m shared.publish --import "$work/store" --store "$work/imported" | tee "$work/out/import.log"
imported=$(find "$work/imported" -name run.json | wc -l)
if [[ "$filled" -lt 1 || "$imported" != "$filled" ]]; then
  echo "FAIL: filled $filled runs, imported $imported"; exit 1
fi
echo "== filled and imported $imported runs in $((SECONDS - t)) s"
echo "rehearsal passed in $((SECONDS - start)) s"

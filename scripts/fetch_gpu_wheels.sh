#!/usr/bin/env bash
# Download, on a machine with network, the wheels a GPU machine WITHOUT network needs to publish a
# chapter: scripts/gpu-wheels.txt, what the book imports beyond the GPU image (gpu-image.txt lists
# what the image already holds: Python 3.12, JAX with CUDA, numpy, scipy, scikit-learn, matplotlib,
# seaborn, pandas, h5py, grpcio, rich, requests and the like).
# Usage: scripts/fetch_gpu_wheels.sh [DEST] [PYTHON_VERSION]   (defaults: .whl 3.12)
# Then carry DEST and the repository to the GPU machine (book/how_made.md, "without network").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-.whl}
py=${2:-3.12}
mkdir -p "$dest"
mapfile -t wheels < <(grep -v -E '^\s*(#|$)' "$here/gpu-wheels.txt")
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version "$py" --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d "$dest" "${wheels[@]}" \
  2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
echo "$(ls "$dest"/*.whl | wc -l) wheels, $(du -sh "$dest" | cut -f1) in $dest"

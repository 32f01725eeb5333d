#!/usr/bin/env bash
# Download, on a machine with network, the wheels a GPU machine WITHOUT network needs to publish a
# chapter: what the book imports beyond a CUDA image that already has Python 3.12, JAX with CUDA,
# numpy, scipy, scikit-learn, matplotlib, seaborn, pandas, h5py, rich and requests.
# Usage: scripts/fetch_gpu_wheels.sh [DEST] [PYTHON_VERSION]   (defaults: .whl 3.12)
# Then carry DEST and the repository to the GPU machine (book/how_made.md, "without network").
set -euo pipefail
dest=${1:-.whl}
py=${2:-3.12}
mkdir -p "$dest"
wheels=(
  # Keras 3 and keras-tuner
  keras==3.15.1 namex==0.1.0 optree==0.20.0 keras-tuner==1.4.8 kt-legacy==1.0.5
  # librosa and what it needs beyond the scientific stack
  librosa==0.11.0 audioread==3.1.0 soundfile==0.14.0 soxr==1.1.0 pooch==1.9.0 decorator==5.3.1
  cffi==2.1.1 pycparser==3.12 lazy-loader==0.6 msgpack==1.2.4
  # executing a notebook: jupytext, nbclient, ipykernel and theirs
  jupytext==1.19.6 mdit-py-plugins==0.7.0 nbformat==5.11.1 fastjsonschema==2.22.3 jsonschema==4.26.0
  jsonschema-specifications==2025.9.1 referencing==0.37.0 rpds-py==2026.9.1 jupyter-core==5.9.1
  platformdirs==4.14.7 traitlets==5.16.1 nbclient==0.11.0 jupyter-client==8.10.0 pyzmq==27.3.0
  tornado==6.6.1 ipykernel==7.4.0 comm==0.2.3 debugpy==1.8.22 ipython==9.18.1 matplotlib-inline==0.2.2
  nest-asyncio2==1.7.4 jedi==0.20.1 parso==0.8.7 prompt-toolkit==3.0.53 wcwidth==0.9.4 pexpect==4.9.0
  ptyprocess==0.7.0 stack-data==0.6.3 asttokens==3.0.2 executing==2.3.0 pure-eval==0.2.4
  ipython-pygments-lexers==1.1.1
  # glue (only myst_nb.glue is imported at run time)
  myst-nb==1.4.0
)
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version "$py" --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d "$dest" "${wheels[@]}"
du -sh "$dest"

#!/usr/bin/env bash
# Rehearse benchmarks/gpu_run.sh on this CPU, as far as a CPU allows: a clean Python 3.12
# venv holding what the H200's image holds that the run uses (JAX, scikit-learn, SciPy,
# pandas, matplotlib, tqdm and Keras' other needs), but no Keras, scikeras or TensorFlow;
# the run installs the very wheels it carries, then runs JAX on a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d .carry/whl ] || bash benchmarks/gpu_carry.sh
venv=${REHEARSAL_VENV:-/tmp/gpu-rehearsal-venv}
if [ ! -x "$venv/bin/python3" ]; then
    py=${PYTHON312:-python3.12}  # the H200 runs Python 3.12: so do its wheels
    "$py" -c "" 2>/dev/null || py=$(ls /root/.pyenv/versions/3.12.*/bin/python3.12 | head -1)
    "$py" -m venv "$venv"
    "$venv/bin/pip" install -q jax jaxlib scikit-learn scipy pandas matplotlib tqdm numpy rich \
        h5py ml-dtypes absl-py packaging typing-extensions
fi
if "$venv/bin/python3" -c "import keras" 2>/dev/null || "$venv/bin/python3" -c "import tensorflow" 2>/dev/null; then
    echo "the rehearsal venv must hold neither Keras nor TensorFlow" >&2
    exit 1
fi
PATH="$venv/bin:$PATH" OUT=${OUT:-runs/gpu-rehearsal} GPU_BACKENDS=${GPU_BACKENDS:-jax} \
    CHECK_IMAGES=1000 COMPARE_ARGS="--max-samples 2000 --max-test-samples 1000 --epochs 1" \
    bash benchmarks/gpu_run.sh

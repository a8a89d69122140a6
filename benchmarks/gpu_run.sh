#!/usr/bin/env bash
# The GPU run (issue 19): the README's main job on the lent H200, which has CUDA builds
# of JAX and PyTorch but no TensorFlow and no network.
#
# Here, once:   bash benchmarks/gpu_carry.sh       (wheels + MNIST into .carry/, git-ignored)
# There:        device run: command "bash benchmarks/gpu_run.sh", carry [".carry"], timeout_s 590
# Rehearsal on this CPU (a clean Python 3.12 venv with what the H200 image has):
#               bash benchmarks/gpu_rehearsal.sh
#
# For each backend: a short fit of each network that prints the device of its weights
# (benchmarks/gpu_check.py), then `mnist-estimators compare --dataset mnist` on the
# complete MNIST with nvidia-smi sampling the GPU's utilisation every 0.5 s. Each
# compare has a time limit (COMPARE_TIMEOUT, s); its folder is resumable and comes back
# as BACKEND.tgz whatever happened. At most 8 files come back from $OUT: this writes 7.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-runs/gpu}
mkdir -p "$out"
exec > >(tee "$out/gpu_run.log") 2>&1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .carry/whl/*.whl || exit 1
export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1 MNIST_ESTIMATORS_DATA="$PWD/.carry/mnist"
nvidia-smi || echo "no nvidia-smi here: a CPU rehearsal"
python3 -c "from importlib import metadata
for p in ('scikit-learn', 'keras', 'scikeras', 'jax', 'torch', 'numpy'):
    try:
        print(p, metadata.version(p))
    except metadata.PackageNotFoundError:
        print(p, 'not installed')"
for backend in ${GPU_BACKENDS:-jax torch}; do
    echo "== $backend $(date -u +%T)"
    python3 benchmarks/gpu_check.py --backend "$backend" --n "${CHECK_IMAGES:-10000}" \
        | tee "$out/check-$backend.json"
    smi=""
    if command -v nvidia-smi >/dev/null; then
        nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -lms 500 \
            > "$out/utilisation-$backend.csv" &
        smi=$!
    fi
    start=$(date +%s)
    # shellcheck disable=SC2086  # COMPARE_ARGS is a list of options on purpose
    timeout "${COMPARE_TIMEOUT:-270}" python3 -m mnist_estimators.cli compare --dataset mnist \
        --backend "$backend" --out "$out/$backend" --no-progress ${COMPARE_ARGS:-}
    echo "compare on $backend: exit $? after $(( $(date +%s) - start )) s"
    [ -n "$smi" ] && kill "$smi"
    tar czf "$out/$backend.tgz" -C "$out" "$backend" && rm -r "${out:?}/$backend"
done

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
# complete MNIST with nvidia-smi sampling the GPU's utilisation every 0.5 s. The backends
# share RUN_SECONDS (560 by default, for a call of timeout_s 590) equally; a compare
# stopped at its limit keeps its finished folds (resumable), and every compare's folder
# comes back as BACKEND.tgz whatever happened. At most 8 files come back from $OUT: this
# writes 7.
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
# Every backend gets an equal part of what is left before the deadline (the device call's
# timeout_s less a margin), so the last one runs too; whatever stops a compare, its folder
# comes back as BACKEND.tgz (on exit as well).
deadline=$(( SECONDS + ${RUN_SECONDS:-560} ))
read -r -a backends <<< "${GPU_BACKENDS:-jax torch}"
smi=""
pack() {  # BACKEND: its results folder as one file ($OUT gives back at most 8)
    [ -d "$out/$1" ] && tar czf "$out/$1.tgz" -C "$out" "$1" && rm -r "${out:?}/$1"
    return 0
}
finish() {
    [ -n "$smi" ] && kill "$smi" 2>/dev/null
    for b in "${backends[@]}"; do pack "$b"; done
}
trap finish EXIT
for i in "${!backends[@]}"; do
    backend=${backends[$i]}
    budget=$(( (deadline - SECONDS) / (${#backends[@]} - i) ))
    echo "== $backend $(date -u +%T): $budget s"
    timeout $(( budget / 4 )) python3 benchmarks/gpu_check.py --backend "$backend" \
        --n "${CHECK_IMAGES:-10000}" | tee "$out/check-$backend.json"
    if command -v nvidia-smi >/dev/null; then
        nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -lms 500 \
            > "$out/utilisation-$backend.csv" &
        smi=$!
    fi
    start=$SECONDS
    # shellcheck disable=SC2086  # COMPARE_ARGS is a list of options on purpose
    timeout "${COMPARE_TIMEOUT:-$(( deadline - SECONDS - (${#backends[@]} - i - 1) * budget ))}" \
        python3 -m mnist_estimators.cli compare --dataset mnist --backend "$backend" \
        --out "$out/$backend" --no-progress ${COMPARE_ARGS:-}
    echo "compare on $backend: exit $? after $(( SECONDS - start )) s (124: stopped at its limit)"
    [ -n "$smi" ] && kill "$smi" 2>/dev/null
    smi=""
    pack "$backend"
done

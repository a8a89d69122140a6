#!/usr/bin/env bash
# What benchmarks/gpu_run.sh needs on the H200 beyond its image, into .carry/ (git-ignored,
# named in the device call's carry): Keras, scikeras and what Keras needs that the image
# lacks (namex, optree) as cp312 manylinux wheels, and the MNIST files (../shared does
# not travel). About 14 MB, within the 64 MiB a call carries.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .carry/whl .carry/mnist
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux1_x86_64 \
    -d .carry/whl keras==3.15.1 scikeras==0.13.0 namex==0.1.0 optree==0.20.0
cp "${MNIST_ESTIMATORS_DATA:-../shared/data/mnist}"/*-ubyte.gz .carry/mnist/
du -sh .carry

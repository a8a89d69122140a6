"""Print, one per line, what a venv without TensorFlow needs for BACKEND: the package's
dependencies from pyproject.toml but TensorFlow, the backend's extra and the test extra.

    python .ci/requirements.py jax | pip install -r /dev/stdin && pip install --no-deps -e .

PyTorch is printed pinned to the release whose CPU build lies on this project's
machines (a range would fetch a CUDA build of several GB).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib

#: The PyTorch release installed from the machine's disk (see the env notes).
TORCH_ON_DISK = "torch==2.13.0"


def requirements(backend: str) -> list[str]:
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    if backend not in extras:
        raise SystemExit(f"no extra [{backend}] in pyproject.toml: choose one of jax, torch")
    wanted = [d for d in project["dependencies"] if not d.startswith("tensorflow")]
    wanted += extras[backend] + extras["test"]
    out = []
    for req in wanted:
        name = re.split(r"[<>=!~\[ ;]", req, maxsplit=1)[0]
        out.append(TORCH_ON_DISK if name == "torch" else req)
    return list(dict.fromkeys(out))


if __name__ == "__main__":
    print("\n".join(requirements(sys.argv[1])))

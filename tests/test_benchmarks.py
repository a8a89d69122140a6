"""A smoke test of the benchmark harness: it runs, and its JSON holds what it promises.

No timing is asserted: speed figures belong to benchmarks/, measured on a quiet machine.
"""

import importlib.util
import json
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[1] / "benchmarks" / "harness.py"


def test_harness_runs_and_writes_its_json(tmp_path, monkeypatch, capsys, mnist_dir):
    monkeypatch.setenv("MNIST_ESTIMATORS_DATA", str(mnist_dir))
    spec = importlib.util.spec_from_file_location("harness", HARNESS)
    harness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(harness)
    out = tmp_path / "bench.json"
    argv = [
        "--n",
        "192",
        "--n-test",
        "128",
        "--repeats",
        "2",
        "--batch-sizes",
        "64",
        "--models",
        "cnn",
        "--no-torch",
        "--no-time-to-accuracy",
        "--json",
        str(out),
    ]
    assert harness.main(argv) == 0
    report = json.loads(out.read_text())
    assert "AVX" in report["machine"] or "cores" in report["machine"]
    assert report["threads"]["usable_cores"] >= 1
    cnn = report["models"]["cnn"]
    assert set(cnn["samples"]) == {"ours-defaults", "ours@64", "ours@64-unseeded", "keras@64"}
    assert all(len(runs) == 2 for runs in cnn["samples"].values())  # both repeats kept
    s = cnn["summary"]["keras@64"]
    assert s["train_min"] <= s["train_median"] <= s["train_max"]
    expected = s["train_median"] / cnn["summary"]["ours@64"]["train_median"]
    assert cnn["ratios"]["wrapper_overhead@64 (keras/ours, seeded)"] == expected
    assert len(cnn["fixed_cost_seconds"]["ours"]) == 2
    assert "wrapper_overhead@64" in capsys.readouterr().out

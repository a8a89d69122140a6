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
    assert set(cnn["samples"]) == {
        "ours-defaults",
        "ours@64",
        "ours@64-unseeded",
        "keras@64",
        "keras-matched@64",
    }
    assert all(len(runs) == 2 for runs in cnn["samples"].values())  # both repeats kept
    s = cnn["summary"]["keras-matched@64"]
    assert s["train_min"] <= s["train_median"] <= s["train_max"]
    expected = s["train_median"] / cnn["summary"]["ours@64"]["train_median"]
    assert cnn["ratios"]["wrapper_overhead@64 (keras-matched/ours, seeded)"] == expected
    assert len(cnn["fixed_cost_seconds"]["ours"]) == 2
    assert "wrapper_overhead@64" in capsys.readouterr().out


def test_whole_job_memory_watch_sums_the_process_tree():
    """The whole job's RSS is read over the process tree: a parent and its child, each
    holding 150 MB, peak at over 300 MB in all and over 150 MB in the largest."""
    import subprocess
    import sys

    spec = importlib.util.spec_from_file_location("harness", HARNESS)
    harness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(harness)
    hold = "b = bytearray(150_000_000); import time; time.sleep(2.5)"
    code = f"import subprocess, sys; c = subprocess.Popen([sys.executable, '-c', {hold!r}]); {hold}; c.wait()"
    total, single = harness._watch_rss(subprocess.Popen([sys.executable, "-c", code]))
    assert total > 300e6 and 150e6 < single < 300e6, (total, single)

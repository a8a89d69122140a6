"""The README's commands are what CI runs, and they point at the complete MNIST."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## On a fresh machine", 1)[1].split("\n## ", 1)[0]
    main_job, tests = _bash_blocks(section)[:2]
    assert "mnist-estimators compare" in main_job and "pytest" in tests
    ci_lines = (REPO / ".ci" / "run").read_text().splitlines()
    assert tests in ci_lines  # verbatim, as one line
    for command in (main_job, tests):
        assert "MNIST_ESTIMATORS_DATA=../shared/data/mnist " in command

"""The parts of ``benchmarks/harness.py``, one module a topic.

* ``networks``: the reference notebook's networks in plain Keras, and their inputs;
* ``runners``: one fit and prediction of each variant (ours, plain Keras, PyTorch);
* ``measure``: throughput, the fixed cost of a fit, time to accuracy, the memory watcher;
* ``whole_job``: the README's main job against the reference notebook;
* ``summary``: medians, ratios and the machine's thread settings.

``benchmarks/harness.py`` puts its own folder on ``sys.path`` and imports them from here.
"""

"""What the explanation experiments measured (:mod:`.experiments`), as tables and tests.

:class:`Explanation` is built from the experiments' records alone, so a resumed
run gives the same object as an uninterrupted one. The tests compare the first
two models (the CNN and the LSTM): each is one of :mod:`.stats`, run on the
records' predictions here, never in the workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .stats import (
    drop_difference_test,
    expected_calibration_error,
    finding_across_seeds,
    mcnemar_test,
    paired_seed_ttest,
)

__all__ = ["ORIGINAL", "SEPARATOR", "Explanation", "model_name", "split_model_name"]

#: The condition of the untouched images.
ORIGINAL = "original"
#: Between a network's name and its condition in a refit's model name.
SEPARATOR = ", "
#: Bins of the expected calibration error and the reliability diagrams.
CALIBRATION_BINS = 15


def model_name(network: str, condition: str) -> str:
    """The refit's name of ``network`` trained and tested under ``condition``.

    Examples
    --------
    >>> model_name("CNN", "pixels permuted")
    'CNN, pixels permuted'
    >>> split_model_name(model_name("CNN", "pixels permuted"))
    ('CNN', 'pixels permuted')
    """
    return f"{network}{SEPARATOR}{condition}"


def split_model_name(name: str) -> tuple[str, str]:
    """``(network, condition)`` of a refit's name (see :func:`model_name`)."""
    network, condition = name.rsplit(SEPARATOR, 1)
    return network, condition


def _probe_point(name: str) -> tuple[str, float]:
    """``"shift x -2"`` -> ``("shift x", -2.0)``."""
    kind, amount = name.rsplit(" ", 1)
    return kind, float(amount)


@dataclass
class Explanation:
    """The explanation experiments' results: one table per experiment and the tests.

    Attributes
    ----------
    names : list of str
        The networks; tests compare ``names[0]`` with ``names[1]``.
    spatial : DataFrame
        Experiment a: ``network, condition, seed, accuracy, fit_time``.
    spatial_tests : DataFrame
        Per condition and seed: each network's drop from the original
        condition, the difference-in-drops test, and McNemar's test of the two
        networks under the condition.
    robustness, robustness_tests : DataFrame
        Experiment b: ``network, seed, probe, amount, accuracy`` (amount 0 is the
        untouched test set); at every point and seed, McNemar's test of the two
        networks (``difference``, ``p_value``) and the test of what the change
        costs each (``drop_*``, ``drop_difference``, ``drop_p``).
    learning, learning_tests : DataFrame
        Experiment c: ``network, seed, n_train, train_accuracy, test_accuracy,
        fit_time`` and per size the paired t-test over seeds.
    throughput, speedups : DataFrame
        Experiment d: ``network, batch_size, threads, repeat, images_per_s`` (per timed
        epoch), ``fit_images_per_s`` (per whole fit) and per
        network and batch the median images/s per thread count and the speedup.
    parallel_test : dict or None
        Paired t-test of the two networks' log speedups over batch sizes.
    calibration : DataFrame
        Experiment e: ``network, seed, accuracy, mean_confidence, ece``.
    reliability : dict
        network -> ``(correct, confidence)`` over all seeds, for reliability diagrams.
    config : dict
        Experiments, seeds, data fingerprints and the run's setup.
    """

    names: list
    config: dict
    spatial: pd.DataFrame = field(default_factory=pd.DataFrame)
    spatial_tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    robustness: pd.DataFrame = field(default_factory=pd.DataFrame)
    robustness_tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    learning: pd.DataFrame = field(default_factory=pd.DataFrame)
    learning_tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    throughput: pd.DataFrame = field(default_factory=pd.DataFrame)
    speedups: pd.DataFrame = field(default_factory=pd.DataFrame)
    parallel_test: dict | None = None
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
    reliability: dict = field(default_factory=dict)

    @property
    def pair(self) -> tuple[str, str] | None:
        """The two networks the tests compare, or None with one network."""
        return (self.names[0], self.names[1]) if len(self.names) >= 2 else None

    @property
    def experiments(self) -> list[str]:
        """The experiments that ran."""
        return list(self.config.get("experiments", []))

    # -- construction --------------------------------------------------------------
    @classmethod
    def from_records(cls, records: dict, names: list, y_test, config: dict) -> Explanation:
        """Build every table and test from the experiments' records.

        Parameters
        ----------
        records : dict
            ``"refits"``, ``"learning"`` and ``"parallel"`` -> list of records.
        names : list of str
            The networks, in the order of the ``models`` dict.
        y_test : array
            The test labels the refits predicted.
        config : dict
            See :attr:`config`.
        """
        y_test = np.asarray(y_test)
        ex = cls(names=list(names), config=config)
        wanted = set(config.get("experiments", []))
        refits = sorted(
            records.get("refits", []),
            key=lambda r: (r["seed"], names.index(split_model_name(r["model"])[0])),
        )
        if "spatial" in wanted:
            ex._spatial(refits, y_test)
        if "robustness" in wanted:
            ex._robustness(refits, y_test)
        if "calibration" in wanted:
            ex._calibration(refits, y_test)
        if records.get("learning"):
            ex._learning(records["learning"])
        if records.get("parallel"):
            ex._parallel(records["parallel"])
        return ex

    def _by_key(self, refits) -> dict:
        return {(*split_model_name(r["model"]), r["seed"]): r for r in refits}

    def _spatial(self, refits, y_test) -> None:
        rows = []
        for r in refits:
            net, cond = split_model_name(r["model"])
            rows.append(
                {"network": net, "condition": cond, "seed": r["seed"],
                 "accuracy": r["accuracy"], "fit_time": r["fit_time"]}
            )  # fmt: skip
        self.spatial = pd.DataFrame(rows)
        if self.pair is None:
            return
        a, b = self.pair
        by = self._by_key(refits)
        tests = []
        conditions = [c for c in dict.fromkeys(self.spatial["condition"]) if c != ORIGINAL]
        for cond in conditions:
            for seed in sorted(self.spatial["seed"].unique()):
                keys = [(a, ORIGINAL, seed), (a, cond, seed), (b, ORIGINAL, seed), (b, cond, seed)]
                if not all(k in by for k in keys):
                    continue
                preds = [by[k]["predictions"] for k in keys]
                drop = drop_difference_test(y_test, *preds)
                gap = mcnemar_test(y_test, preds[1], preds[3])
                tests.append(
                    {
                        "condition": cond,
                        "seed": seed,
                        f"drop_{a}": drop.detail["drop_a"],
                        f"drop_{b}": drop.detail["drop_b"],
                        "drop_difference": drop.mean_difference,
                        "drop_p": drop.p_value,
                        "gap": gap.mean_difference,
                        "gap_p": gap.p_value,
                    }
                )
        self.spatial_tests = pd.DataFrame(tests)

    def _robustness(self, refits, y_test) -> None:
        rows, tests = [], []
        originals = [r for r in refits if split_model_name(r["model"])[1] == ORIGINAL]
        for r in originals:
            net = split_model_name(r["model"])[0]
            kinds = dict.fromkeys(_probe_point(p)[0] for p in r.get("probes", {}))
            for kind in kinds:  # amount 0: the untouched test set, on every curve
                rows.append(
                    {"network": net, "seed": r["seed"], "probe": kind, "amount": 0.0,
                     "accuracy": r["accuracy"]}
                )  # fmt: skip
            for name, pred in r.get("probes", {}).items():
                kind, amount = _probe_point(name)
                rows.append(
                    {"network": net, "seed": r["seed"], "probe": kind, "amount": amount,
                     "accuracy": float(np.mean(np.asarray(pred) == y_test))}
                )  # fmt: skip
        self.robustness = pd.DataFrame(rows)
        if self.robustness.empty:
            return
        self.robustness = self.robustness.sort_values(
            ["network", "seed", "probe", "amount"], key=self._network_order, kind="stable"
        ).reset_index(drop=True)
        self.robustness["amount"] = self.robustness["amount"].astype(int)
        if self.pair is None:
            return
        a, b = self.pair
        by = {(split_model_name(r["model"])[0], r["seed"]): r for r in originals}
        for seed in sorted({s for _, s in by}):
            if (a, seed) not in by or (b, seed) not in by:
                continue
            ra, rb = by[(a, seed)], by[(b, seed)]
            points = {"original 0": (ra["predictions"], rb["predictions"])}
            points |= {p: (ra["probes"][p], rb["probes"][p]) for p in ra.get("probes", {})}
            for name, (pa, pb) in points.items():
                kind, amount = _probe_point(name)
                t = mcnemar_test(y_test, pa, pb)
                # What the change of the test images costs each network: the drop test.
                drop = drop_difference_test(y_test, ra["predictions"], pa, rb["predictions"], pb)
                tests.append(
                    {"probe": kind, "amount": int(amount), "seed": seed,
                     "difference": t.mean_difference, "p_value": t.p_value,
                     f"drop_{a}": drop.detail["drop_a"], f"drop_{b}": drop.detail["drop_b"],
                     "drop_difference": drop.mean_difference, "drop_p": drop.p_value}
                )  # fmt: skip
        self.robustness_tests = pd.DataFrame(tests)

    def _network_order(self, column: pd.Series) -> pd.Series:
        if column.name == "network":
            return column.map({n: i for i, n in enumerate(self.names)})
        return column

    def _calibration(self, refits, y_test) -> None:
        rows, pooled = [], {}
        for r in refits:
            net, cond = split_model_name(r["model"])
            if cond != ORIGINAL:
                continue
            correct = np.asarray(r["predictions"]) == y_test
            conf = np.asarray(r["confidence"], float)
            rows.append(
                {
                    "network": net,
                    "seed": r["seed"],
                    "accuracy": float(correct.mean()),
                    "mean_confidence": float(conf.mean()),
                    "ece": expected_calibration_error(correct, conf, CALIBRATION_BINS),
                }
            )
            c0, f0 = pooled.get(net, (np.zeros(0, bool), np.zeros(0)))
            pooled[net] = (np.concatenate([c0, correct]), np.concatenate([f0, conf]))
        self.calibration = pd.DataFrame(rows)
        self.reliability = pooled

    def _learning(self, records) -> None:
        cols = ["network", "seed", "n_train", "train_accuracy", "test_accuracy", "fit_time"]
        self.learning = (
            pd.DataFrame([{c: r[c] for c in cols} for r in records])
            .sort_values(["network", "n_train", "seed"], key=self._network_order, kind="stable")
            .reset_index(drop=True)
        )
        if self.pair is None:
            return
        a, b = self.pair
        tests = []
        for n, part in self.learning.groupby("n_train"):
            wide = part.pivot(index="seed", columns="network", values="test_accuracy").dropna()
            if a not in wide or b not in wide or len(wide) < 2:
                continue
            t = paired_seed_ttest(wide[a], wide[b])
            tests.append(
                {"n_train": int(n), "difference": t.mean_difference, "p_value": t.p_value,
                 "seeds": len(wide)}
            )  # fmt: skip
        self.learning_tests = pd.DataFrame(tests)

    def _parallel(self, records) -> None:
        rows = [
            {"network": r["network"], "batch_size": r["batch_size"], "threads": r["threads"],
             "repeat": i, "images_per_s": v,
             "fit_images_per_s": r.get("fit_images_per_s", [np.nan] * len(r["images_per_s"]))[i]}
            for r in records for i, v in enumerate(r["images_per_s"])
        ]  # fmt: skip
        self.throughput = (
            pd.DataFrame(rows)
            .sort_values(["network", "batch_size", "threads", "repeat"], key=self._network_order)
            .reset_index(drop=True)
        )
        med = self.throughput.groupby(["network", "batch_size", "threads"], sort=False)[
            "images_per_s"
        ].median()
        wide = med.unstack("threads")
        wide.columns = [f"images_per_s_{k}t" for k in wide.columns]
        threads = sorted(self.throughput["threads"].unique())
        if len(threads) >= 2:
            lo, hi = threads[0], threads[-1]
            wide["speedup"] = wide[f"images_per_s_{hi}t"] / wide[f"images_per_s_{lo}t"]
        self.speedups = wide.reset_index()
        if self.pair is None or "speedup" not in self.speedups:
            return
        a, b = self.pair
        s = self.speedups.pivot(index="batch_size", columns="network", values="speedup").dropna()
        if a in s and b in s and len(s) >= 2:
            t = paired_seed_ttest(np.log(s[a]), np.log(s[b]))
            self.parallel_test = {
                "test": "paired t-test of log speedups over batch sizes",
                "mean_log_ratio": t.mean_difference,
                "p_value": t.p_value,
                "batch_sizes": [int(v) for v in s.index],
            }

    # -- summaries ----------------------------------------------------------------
    def finding(self, tests: pd.DataFrame, column: str, p_column: str) -> str | None:
        """The network every seed's test found better in ``tests`` (see
        :func:`~mnist_estimators.evaluation.stats.finding_across_seeds`)."""
        if self.pair is None or tests.empty:
            return None
        results = [
            {"p_value": p, "mean_difference": d}
            for d, p in zip(tests[column], tests[p_column], strict=True)
        ]
        return finding_across_seeds(results, *self.pair)

    def to_dict(self) -> dict:
        """Everything but the raw predictions, JSON-able (``results.json``)."""
        out = {"names": self.names, "config": self.config, "parallel_test": self.parallel_test}
        for key in (
            "spatial", "spatial_tests", "robustness", "robustness_tests", "learning",
            "learning_tests", "throughput", "speedups", "calibration",
        ):  # fmt: skip
            out[key] = getattr(self, key).to_dict(orient="records")
        return out

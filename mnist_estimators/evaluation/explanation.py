"""What the explanation experiments measured (:mod:`.experiments`), as tables, effects and verdicts.

:class:`Explanation` is built from the experiments' records alone, so a resumed run
(or the records committed beside a report) gives the same object as an uninterrupted
one. It compares the first two models (the CNN and the LSTM). The unit of inference
is the replicate: each primary endpoint (:data:`~.verdicts.ENDPOINTS`) is one effect
per training seed (or per measuring process, for throughput), computed from the
records' predictions here, never in the workers; :func:`~.verdicts.decide` turns them
into :class:`~.verdicts.Verdict` objects. The rest of each grid is described with
intervals over the replicates (:attr:`Explanation.secondary`), without verdicts. The
per-image tests of :attr:`Explanation.spatial_tests` describe one seed each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .stats import ALPHA, drop_difference_test, expected_calibration_error, mcnemar_test
from .verdicts import ENDPOINTS, analysis_plan, decide, describe

__all__ = ["ORIGINAL", "SEPARATOR", "Explanation", "model_name", "split_model_name"]

#: The condition of the untouched images.
ORIGINAL = "original"
#: Between a network's name and its condition in a refit's model name.
SEPARATOR = ", "
#: Bins of the expected calibration error and the reliability diagrams.
CALIBRATION_BINS = 15


def _jsonish(value):
    """A plan's value as stored in JSON (tuples as lists), for comparison."""
    return json.loads(json.dumps(value))


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


def refit_parts(record: dict) -> tuple[str, str]:
    """``(network, condition)`` of a refit record: the fields it carries; a record written
    before it carried them names them in its model's name (:func:`split_model_name`)."""
    if "network" in record and "condition" in record:
        return record["network"], record["condition"]
    return split_model_name(record["model"])


def _probe_point(name: str) -> tuple[str, float]:
    """``"shift x -2"`` -> ``("shift x", -2.0)``."""
    kind, amount = name.rsplit(" ", 1)
    return kind, float(amount)


@dataclass
class Explanation:
    """The explanation experiments' results: tables, effects, verdicts and descriptions.

    Attributes
    ----------
    names : list of str
        The networks; ``names[0]`` (a) is compared with ``names[1]`` (b).
    config : dict
        Experiments, seeds, data fingerprints, the analysis plan and the run's setup.
    spatial : DataFrame
        Experiment a: ``network, condition, seed, accuracy, fit_time``.
    spatial_tests : DataFrame
        Per condition and seed, the per-image tests of that one seed: each network's
        drop from the original condition and the paired t-test over test images of
        their difference; McNemar's test of the two networks under the condition.
    robustness : DataFrame
        Experiment b: ``network, seed, probe, amount, accuracy`` (amount 0 is the
        untouched test set).
    learning : DataFrame
        Experiment c: ``network, schedule, seed, n_train, epochs, steps,
        train_accuracy, test_accuracy, fit_time``; ``schedule`` is ``"steps"`` (every
        size trained for the same number of optimizer steps) or ``"epochs"`` (the
        same number of epochs at every size).
    throughput : DataFrame
        Experiment d: ``network, batch_size, threads, replicate, repeat,
        images_per_s`` (per timed epoch) and ``fit_images_per_s`` (per whole fit);
        ``replicate`` is the measuring process.
    rates : DataFrame
        Experiment d per process: ``network, batch_size, threads, replicate,
        images_per_s`` (the median of its timed epochs).
    speedups : DataFrame
        Per network and batch size: the median images/s over processes per thread
        count, and their ratio (for the figure).
    calibration : DataFrame
        Experiment e: ``network, seed, accuracy, mean_confidence, ece``.
    reliability : dict
        network -> ``(correct, confidence)`` over all seeds, for reliability diagrams.
    effects : dict
        Primary endpoint key -> Series of its effect per replicate.
    verdicts : dict
        Primary endpoint key -> :class:`~.verdicts.Verdict`.
    secondary : DataFrame
        The rest of each grid, described over the replicates: ``experiment, measure,
        point, unit`` and the :class:`~.stats.ReplicateTest` fields. No verdicts.
    """

    names: list
    config: dict
    spatial: pd.DataFrame = field(default_factory=pd.DataFrame)
    spatial_tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    robustness: pd.DataFrame = field(default_factory=pd.DataFrame)
    learning: pd.DataFrame = field(default_factory=pd.DataFrame)
    throughput: pd.DataFrame = field(default_factory=pd.DataFrame)
    rates: pd.DataFrame = field(default_factory=pd.DataFrame)
    speedups: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
    reliability: dict = field(default_factory=dict)
    effects: dict = field(default_factory=dict)
    verdicts: dict = field(default_factory=dict)
    secondary: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def pair(self) -> tuple[str, str] | None:
        """The two networks compared, or None with one network."""
        return (self.names[0], self.names[1]) if len(self.names) >= 2 else None

    @property
    def experiments(self) -> list[str]:
        """The experiments that ran."""
        return list(self.config.get("experiments", []))

    @property
    def alpha(self) -> float:
        """The significance level of the run's analysis plan."""
        return float(self.config.get("plan", {}).get("alpha", ALPHA))

    @property
    def family_size(self) -> int:
        """The primary endpoints in the corrected family: those whose experiment ran."""
        return sum(v.status != "not run" for v in self.verdicts.values())

    def plan_deviations(self) -> list[dict]:
        """Where the verdicts' rules differ from the plan stored in the run before its data.

        A run keeps the plan it declared (:func:`~.verdicts.analysis_plan`); its records
        may be analysed later by a package whose rules have changed. Each entry is one
        key of the plan: ``{"key", "planned", "applied"}``; empty when they agree, or
        when the run stored no plan.
        """
        planned = self.config.get("plan")
        if not planned:
            return []
        applied = analysis_plan(self.alpha)
        return [
            {"key": key, "planned": planned.get(key), "applied": applied[key]}
            for key in applied
            if _jsonish(planned.get(key)) != _jsonish(applied[key])
        ]

    # -- construction --------------------------------------------------------------
    @classmethod
    def from_records(cls, records: dict, names: list, y_test, config: dict) -> Explanation:
        """Build every table, effect, verdict and description from the experiments' records.

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
            key=lambda r: (r["seed"], names.index(refit_parts(r)[0])),
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
        if ex.pair is not None:
            ex._decide()
        return ex

    def _by_key(self, refits) -> dict:
        return {(*refit_parts(r), r["seed"]): r for r in refits}

    def _network_order(self, column: pd.Series) -> pd.Series:
        if column.name == "network":
            return column.map({n: i for i, n in enumerate(self.names)})
        return column

    def _spatial(self, refits, y_test) -> None:
        rows = []
        for r in refits:
            net, cond = refit_parts(r)
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
        for cond in self.conditions():
            for seed in sorted(self.spatial["seed"].unique()):
                keys = [(a, ORIGINAL, seed), (a, cond, seed), (b, ORIGINAL, seed), (b, cond, seed)]
                if not all(k in by for k in keys):
                    continue
                preds = [by[k]["predictions"] for k in keys]
                drop = drop_difference_test(y_test, *preds)
                gap = mcnemar_test(y_test, preds[1], preds[3])
                tests.append(
                    {"condition": cond, "seed": seed, "drop_a": drop.detail["drop_a"],
                     "drop_b": drop.detail["drop_b"], "drop_difference": drop.mean_difference,
                     "drop_p": drop.p_value, "gap": gap.mean_difference, "gap_p": gap.p_value}
                )  # fmt: skip
        self.spatial_tests = pd.DataFrame(tests)

    def conditions(self) -> list[str]:
        """Experiment a's conditions other than the original images, in run order."""
        if self.spatial.empty:
            return []
        return [c for c in dict.fromkeys(self.spatial["condition"]) if c != ORIGINAL]

    def _robustness(self, refits, y_test) -> None:
        rows = []
        originals = [r for r in refits if refit_parts(r)[1] == ORIGINAL]
        for r in originals:
            net = refit_parts(r)[0]
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

    def _calibration(self, refits, y_test) -> None:
        rows, pooled = [], {}
        for r in refits:
            net, cond = refit_parts(r)
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
        cols = ["network", "schedule", "seed", "n_train", "epochs", "steps",
                "train_accuracy", "test_accuracy", "fit_time"]  # fmt: skip
        rows = [
            {c: r.get(c, "epochs" if c == "schedule" else np.nan) for c in cols} for r in records
        ]
        # The point on all the training images is fitted once, under "epochs": with the
        # network's own epochs there, it is the steps schedule's point too.
        if "steps" in self.config.get("schedules", []):
            full = self.config.get("n_train")
            rows += [
                {**row, "schedule": "steps"}
                for row in list(rows)
                if row["schedule"] == "epochs" and row["n_train"] == full
            ]
        self.learning = (
            pd.DataFrame(rows, columns=cols)
            .sort_values(
                ["schedule", "network", "n_train", "seed"], key=self._network_order, kind="stable"
            )
            .reset_index(drop=True)
        )

    def _parallel(self, records) -> None:
        rows = [
            {"network": r["network"], "batch_size": r["batch_size"], "threads": r["threads"],
             "replicate": r.get("replicate", 0), "repeat": i, "images_per_s": v,
             "fit_images_per_s": r.get("fit_images_per_s", [np.nan] * len(r["images_per_s"]))[i]}
            for r in records for i, v in enumerate(r["images_per_s"])
        ]  # fmt: skip
        keys = ["network", "batch_size", "threads", "replicate"]
        self.throughput = (
            pd.DataFrame(rows)
            .sort_values([*keys, "repeat"], key=self._network_order)
            .reset_index(drop=True)
        )
        self.rates = (
            self.throughput.groupby(keys, sort=False)["images_per_s"].median().reset_index()
        )
        med = self.rates.groupby(["network", "batch_size", "threads"], sort=False)[
            "images_per_s"
        ].median()
        wide = med.unstack("threads")
        wide.columns = [f"images_per_s_{k}t" for k in wide.columns]
        threads = self.thread_counts()
        if len(threads) >= 2:
            lo, hi = threads[0], threads[-1]
            wide["speedup"] = wide[f"images_per_s_{hi}t"] / wide[f"images_per_s_{lo}t"]
        self.speedups = wide.reset_index()

    def thread_counts(self) -> list[int]:
        """Experiment d's thread counts, fewest first."""
        if self.throughput.empty:
            return []
        return sorted(int(k) for k in self.throughput["threads"].unique())

    # -- effects, verdicts, descriptions --------------------------------------------
    def _accuracy(self, table: pd.DataFrame, columns: list) -> pd.DataFrame:
        """``table``'s accuracies, one row per seed, one column per ``columns`` tuple."""
        return table.pivot_table(index="seed", columns=columns, values="accuracy")

    def _drop_effect(self, condition: str) -> pd.Series:
        """Per seed: the first network's accuracy drop under ``condition`` minus the second's."""
        a, b = self.pair
        acc = self._accuracy(self.spatial, ["network", "condition"])
        needed = [(n, c) for n in (a, b) for c in (ORIGINAL, condition)]
        if any(k not in acc for k in needed):
            return pd.Series(dtype=float)
        drop_a = acc[(a, ORIGINAL)] - acc[(a, condition)]
        drop_b = acc[(b, ORIGINAL)] - acc[(b, condition)]
        return (drop_a - drop_b).dropna()

    def _robustness_effects(self) -> pd.DataFrame:
        """Per seed (rows) and probe point (columns): the second network's drop minus the first's."""
        a, b = self.pair
        acc = self._accuracy(self.robustness, ["network", "probe", "amount"])
        out = {}
        for net, kind, amount in acc.columns:
            if net != a or amount == 0 or (b, kind, amount) not in acc:
                continue
            drop_a = acc[(a, kind, 0)] - acc[(a, kind, amount)]
            drop_b = acc[(b, kind, 0)] - acc[(b, kind, amount)]
            out[(kind, amount)] = drop_b - drop_a
        return pd.DataFrame(out)

    def _learning_difference(self, schedule: str) -> pd.DataFrame:
        """Per seed (rows) and size (columns): test accuracy of the first network minus the second."""
        a, b = self.pair
        part = self.learning[self.learning["schedule"] == schedule]
        wide = part.pivot_table(
            index="seed", columns=["network", "n_train"], values="test_accuracy"
        )
        sizes = sorted({n for net, n in wide.columns if net == a and (b, n) in wide})
        return pd.DataFrame({n: wide[(a, n)] - wide[(b, n)] for n in sizes})

    def _log_rate_ratio(self, threads: int) -> pd.DataFrame:
        """Per process (rows) and batch size (columns): log(first network's rate / second's)."""
        a, b = self.pair
        r = self.rates[self.rates["threads"] == threads]
        wide = r.pivot_table(
            index="replicate", columns=["network", "batch_size"], values="images_per_s"
        )
        batches = sorted({bs for net, bs in wide.columns if net == a and (b, bs) in wide})
        return pd.DataFrame({bs: np.log(wide[(a, bs)] / wide[(b, bs)]) for bs in batches})

    def _log_speedup_ratio(self) -> pd.DataFrame:
        """Per process pair (rows) and batch size: log(first network's speedup / second's)."""
        lo, hi = self.thread_counts()[0], self.thread_counts()[-1]
        return self._log_rate_ratio(hi) - self._log_rate_ratio(lo)

    def _decide(self) -> None:
        a, b = self.pair
        effects: dict[str, pd.Series] = {}
        secondary: list[dict] = []

        def note(experiment, measure, point, unit, values) -> None:
            test = describe(values, unit, self.alpha)
            secondary.append(
                {"experiment": experiment, "measure": measure, "point": point, "unit": unit,
                 **test.to_dict()}
            )  # fmt: skip

        if not self.spatial.empty:
            for cond in self.conditions():
                if cond in {e.key for e in ENDPOINTS}:
                    effects[cond] = self._drop_effect(cond)
                acc = self._accuracy(self.spatial, ["network", "condition"])
                if (a, cond) in acc and (b, cond) in acc:
                    note("spatial", f"{a} accuracy minus {b} under the change", cond,
                         "accuracy", acc[(a, cond)] - acc[(b, cond)])  # fmt: skip
        if not self.robustness.empty:
            per_point = self._robustness_effects()
            shifts = [c for c in per_point if c[0].startswith("shift")]
            if shifts:
                effects["robustness"] = per_point[shifts].mean(axis=1)
            for kind in dict.fromkeys(k for k, _ in per_point):
                cols = [c for c in per_point if c[0] == kind]
                note("robustness", f"{b} drop minus {a} drop, mean over the grid", kind,
                     "accuracy", per_point[cols].mean(axis=1))  # fmt: skip
                for col in cols:
                    note("robustness", f"{b} drop minus {a} drop", f"{kind} {col[1]:+d}",
                         "accuracy", per_point[col])  # fmt: skip
        if not self.learning.empty:
            schedules = list(dict.fromkeys(self.learning["schedule"]))
            primary = "steps" if "steps" in schedules else schedules[0]
            for schedule in schedules:
                diff = self._learning_difference(schedule)
                if diff.empty:
                    continue
                if schedule == primary:
                    effects["learning"] = diff[diff.columns[0]]
                for n in diff.columns:
                    note("learning", f"{a} minus {b} test accuracy, equal {schedule}",
                         f"{int(n):,} images", "accuracy", diff[n])  # fmt: skip
        threads = self.thread_counts()
        if threads:
            for label, k in (("fewest", threads[0]), ("most", threads[-1])):
                ratio = self._log_rate_ratio(k)
                if not ratio.empty:
                    effects[f"slower ({label} threads)"] = ratio.mean(axis=1)
            for k in threads:
                ratio = self._log_rate_ratio(k)
                for bs in ratio.columns:
                    note("parallel", f"log({a} images/s / {b} images/s)",
                         f"batch {bs}, {k} thread(s)", "log ratio", ratio[bs])  # fmt: skip
            if len(threads) >= 2:
                speed = self._log_speedup_ratio()
                if not speed.empty:
                    effects["parallelises worse"] = speed.mean(axis=1)
                for bs in speed.columns:
                    note("parallel", f"log({a} speedup / {b} speedup)", f"batch {bs}",
                         "log ratio", speed[bs])  # fmt: skip
        if not self.calibration.empty and self.calibration["seed"].nunique() >= 2:
            ece = self.calibration.pivot(index="seed", columns="network", values="ece")
            if a in ece and b in ece:
                note("calibration", f"{b} ECE minus {a} ECE", "original images",
                     "accuracy", ece[b] - ece[a])  # fmt: skip
        self.effects = effects
        self.verdicts = decide(effects, self.alpha)
        self.secondary = pd.DataFrame(secondary)

    def to_dict(self) -> dict:
        """Everything but the raw predictions, JSON-able (``results.json``)."""
        out = {"names": self.names, "config": self.config}
        for key in (
            "spatial", "spatial_tests", "robustness", "learning", "throughput", "rates",
            "speedups", "calibration", "secondary",
        ):  # fmt: skip
            out[key] = getattr(self, key).to_dict(orient="records")
        out["verdicts"] = [v.to_dict() for v in self.verdicts.values()]
        return out

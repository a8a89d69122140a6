"""The explanation report: "Does the reference's explanation hold?"

For each of the reference notebook's claims (:data:`CLAIMS`): the claim quoted,
each experiment that tests it in one line, its figure, and a one-sentence
verdict computed from that experiment's test. The verdict's word comes from one
table (:data:`VERDICTS`); no sentence is written without the test behind it,
and where the seeds disagree the sentence says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import json_default
from ..evaluation.experiment_grid import EXPERIMENTS
from ..evaluation.explanation import ORIGINAL, Explanation
from ..evaluation.stats import ALPHA, format_p
from .explanation_figures import plot_explanation
from .report import _setup_lines, write_report_files

__all__ = ["CLAIMS", "VERDICTS", "claim_verdicts", "explanation_markdown", "write_explanation"]

#: The reference notebook's claims, quoted, and the evidence that tests each.
CLAIMS = {
    1: {
        "quote": "The CNN exploits the local correlations between pixels through its "
        "convolution filters.",
        "evidence": ("pixels permuted", "robustness", "learning"),
    },
    2: {
        "quote": "The LSTM treats each row as a time step and so loses important spatial "
        "information.",
        "evidence": ("rows shuffled", "transposed"),
    },
    3: {
        "quote": "The LSTM is slower because it processes the data sequentially and cannot "
        "parallelise as efficiently as convolutions, which use highly optimised matrix "
        "operations.",
        "evidence": ("parallel",),
    },
}

#: A verdict's word, as the report prints it.
VERDICTS = {
    "supported": "supports the claim",
    "contradicted": "contradicts the claim",
    "mixed": "mixed evidence",
    "no effect": "no effect shown",
    "not run": "not run",
}

#: Which figure shows each piece of evidence.
EVIDENCE_FIGURES = {
    "pixels permuted": "explain_spatial",
    "rows shuffled": "explain_spatial",
    "transposed": "explain_spatial",
    "robustness": "explain_robustness",
    "learning": "explain_learning",
    "parallel": "explain_parallel",
}


def _pts(x: float) -> str:
    """Accuracy difference in percentage points."""
    return f"{100 * x:.2f}"


def _p_seeds(ps) -> str:
    """The p-values of every seed, as one phrase."""
    ps = [float(p) for p in ps]
    n = len(ps)
    if all(p < 0.001 for p in ps):
        return f"p < 0.001 on {'each of ' if n > 1 else ''}{n} seed{'s' * (n > 1)}"
    if all(p < ALPHA for p in ps):
        return f"p ≤ {max(ps):.3f} on {'each of ' if n > 1 else ''}{n} seed{'s' * (n > 1)}"
    return "p = " + ", ".join(f"{p:.3g}" for p in ps) + (" by seed" if n > 1 else "")


def _loses(network: str, drop: float) -> str:
    """``"the CNN loses 4.10 points"`` (or gains, for a negative drop)."""
    return f"the {network} {'loses' if drop >= 0 else 'gains'} {_pts(abs(drop))} points"


def _drop_verdict(ex: Explanation, tests: pd.DataFrame, what: str, meaning: dict) -> tuple:
    """Verdict on a difference in drops: ``meaning`` maps the finding to (status, clause)."""
    a, b = ex.pair
    found = ex.finding(tests, "drop_difference", "drop_p")
    da, db = tests[f"drop_{a}"].mean(), tests[f"drop_{b}"].mean()
    head = (
        f"{what}, {_loses(a, da)} and {_loses(b, db)} of accuracy (difference in drops: "
        f"{_p_seeds(tests['drop_p'])})"
    )
    status, clause = meaning[found if found in (a, b) else None]
    return status, f"{head}: {clause}"


def _spatial(ex: Explanation, condition: str) -> tuple[str, str, str]:
    a, b = ex.pair
    t = ex.spatial_tests[ex.spatial_tests["condition"] == condition]
    if condition == "pixels permuted":
        line = (
            "Both networks trained and tested on images whose pixels are reordered by one "
            "fixed random permutation per seed (the same for training and test)."
        )
        meaning = {
            a: ("supported", f"the {a}'s advantage comes from the local structure of the pixels."),
            b: ("contradicted", f"the {b} depends on local structure more than the {a} does."),
            None: ("mixed", "the difference is not significant on every seed, so this "
                   "experiment does not settle it."),
        }  # fmt: skip
        status, verdict = _drop_verdict(ex, t, "With the pixels permuted", meaning)
    elif condition == "rows shuffled":
        line = (
            "Both networks trained and tested on images whose rows come in one fixed "
            "shuffled order per seed (each row intact: the LSTM reads the same time steps, reordered)."
        )
        meaning = {
            a: ("supported", f"the {a} uses the vertical neighbourhoods that the {b}, "
                "reading rows one after another, exploits less."),
            b: ("contradicted", f"the {b} uses the order of its rows (the vertical structure) "
                f"more than the {a} does, so reading rows does not make it lose that information."),
            None: ("mixed", "the difference is not significant on every seed, so this "
                   "experiment does not settle it."),
        }  # fmt: skip
        status, verdict = _drop_verdict(ex, t, "With the rows shuffled", meaning)
    else:  # transposed
        line = (
            "Both networks trained and tested on transposed images: the LSTM reads columns "
            "as its time steps; for the CNN it is the same task mirrored."
        )
        meaning = {
            a: ("supported", f"relative to the {a}, the {b} does better reading columns than "
                "rows, so reading rows costs it information."),
            b: ("mixed", f"relative to the {a}, the {b} does worse reading columns: rows are "
                "the better direction for it, which does not say that reading rows loses "
                "information."),
            None: ("no effect", f"relative to the {a}, the {b} is not shown to do better or "
                   "worse reading columns than rows: the direction it reads in is not shown "
                   "to matter."),
        }  # fmt: skip
        status, verdict = _drop_verdict(ex, t, "Transposed", meaning)
    gap = ex.finding(t, "gap", "gap_p")
    if gap in (a, b):
        verdict += f" Under this change the {gap} is still the more accurate (McNemar, every seed)."
    elif gap == "mixed":
        verdict += " Under this change the seeds disagree on which network is more accurate."
    else:
        orig = ex.spatial[ex.spatial["condition"] == ORIGINAL].groupby("network")["accuracy"]
        lead = orig.mean().get(a, np.nan) - orig.mean().get(b, np.nan)
        verdict += (
            " Under this change neither network is more accurate on every seed (McNemar, "
            f"{_p_seeds(t['gap_p'])}); on the original images the {a} is "
            f"{_pts(lead)} points ahead."
        )
    return line, status, verdict


def _robustness(ex: Explanation) -> tuple[str, str, str]:
    a, b = ex.pair
    line = (
        "The networks trained on the original images, tested without retraining on test "
        "images shifted by 1-4 px along x and y (both ways) and rotated by up to 20°."
    )
    t = ex.robustness_tests[ex.robustness_tests["probe"] != "original"]
    kinds = sorted(set(t["probe"]), key=lambda k: (k == "rotation", k))
    keeps = dict.fromkeys(kinds, 0)  # points where the b network drops more: a keeps more
    loses = dict.fromkeys(kinds, 0)
    count = dict.fromkeys(kinds, 0)
    for (kind, _), g in t.groupby(["probe", "amount"], sort=False):
        found = ex.finding(g, "drop_difference", "drop_p")
        count[kind] += 1
        keeps[kind] += found == b
        loses[kind] += found == a
    names = {"shift x": "horizontal shifts", "shift y": "vertical shifts", "rotation": "rotations"}

    def tally(counts) -> str:
        return ", ".join(f"{counts[k]} of {count[k]} {names.get(k, k)}" for k in kinds)

    r = ex.robustness
    at2 = r[r["amount"].abs() == 2].groupby(["probe", "network"])["accuracy"].mean()
    two = "; ".join(
        f"{k.replace('shift ', '')} ±2 px: {a} {100 * at2.get((k, a), np.nan):.1f} %, "
        f"{b} {100 * at2.get((k, b), np.nan):.1f} %"
        for k in kinds
        if k != "rotation" and (k, a) in at2
    )
    head = (
        f"The change costs the {b} significantly more than the {a} (difference in drops, "
        f"p < {ALPHA} on every seed) at {tally(keeps)}, and the {a} more at {tally(loses)}"
        + (f" ({two})" if two else "")
    )
    more_a = [names.get(k, k) for k in kinds if keeps[k] > loses[k]]
    more_b = [names.get(k, k) for k in kinds if loses[k] > keeps[k]]
    if more_a and not more_b:
        return line, "supported", f"{head}: the {a} is the more robust to these changes."
    if more_b and not more_a:
        return line, "contradicted", f"{head}: the {b} is the more robust to these changes."
    if not more_a and not more_b:
        return line, "no effect", f"{head}: neither is shown to be more robust."
    return (
        line,
        "mixed",
        (
            f"{head}: the {a} is the more robust to {' and '.join(more_a)}, the {b} to "
            f"{' and '.join(more_b)}."
        ),
    )


def _learning(ex: Explanation) -> tuple[str, str, str]:
    a, b = ex.pair
    t = ex.learning_tests
    sizes = sorted(ex.learning["n_train"].unique())
    line = (
        f"Learning curves through scikit-learn's learning_curve: {sizes[0]:,} to "
        f"{sizes[-1]:,} training images (a random subset per seed), tested on the test set."
    )
    if t.empty:
        return line, "not run", "Needs two networks and at least two seeds for its test."
    small, large = t.iloc[0], t.iloc[-1]
    seeds = int(small["seeds"])

    def ahead(row) -> str:
        d = row["difference"]
        return f"{_pts(abs(d))} points {'ahead of' if d >= 0 else 'behind'} the {b}"

    head = (
        f"With {int(small['n_train']):,} training images the {a} is {ahead(small)} "
        f"({format_p(small['p_value'])}, paired over {seeds} seeds); with "
        f"{int(large['n_train']):,}, {ahead(large)} ({format_p(large['p_value'])})"
    )
    lead_small = small["p_value"] < ALPHA and small["difference"] > 0
    if lead_small and small["difference"] > large["difference"]:
        return (
            line,
            "supported",
            f"{head}: the {a} needs fewer images, as a built-in notion of locality would make it.",
        )
    if small["p_value"] < ALPHA and small["difference"] < 0:
        return line, "contradicted", f"{head}: the {b} learns more from few images."
    return line, "mixed", f"{head}: the data do not show the {a} learning more from few images."


def _parallel(ex: Explanation) -> tuple[str, str, str]:
    a, b = ex.pair
    setup = ex.config.get("setup", {})
    s = ex.speedups
    batches = sorted(s["batch_size"].unique())
    threads = sorted(ex.throughput["threads"].unique())
    line = (
        f"Training images/s of each network at batch {batches[0]}-{batches[-1]} with "
        f"{' and '.join(map(str, threads))} thread(s), {ex.config.get('repeats', 'several')} "
        f"timed epochs per point (medians), on {setup.get('backend', '?')} ({setup.get('device', '?')})."
    )
    top = f"images_per_s_{threads[-1]}t"
    wide = s.pivot(index="batch_size", columns="network", values=top)
    slower = int((wide[b] < wide[a]).sum())
    speed = f"the {b} trains slower than the {a} at {slower} of {len(wide)} batch sizes"
    if ex.parallel_test is None:
        status = "supported" if slower == len(wide) else "mixed" if slower else "contradicted"
        return (
            line,
            status,
            f"With {threads[-1]} thread(s), {speed}; one thread count, so no speedup test.",
        )
    sp = s.pivot(index="batch_size", columns="network", values="speedup")
    ga, gb = (float(np.exp(np.log(sp[n]).mean())) for n in (a, b))
    p = ex.parallel_test["p_value"]
    head = (
        f"A second thread speeds the {a} up {ga:.2f}x and the {b} {gb:.2f}x (geometric mean over "
        f"batch sizes; paired t-test on log speedups {format_p(p)}), and {speed}"
    )
    worse = p < ALPHA and ga > gb
    better = p < ALPHA and gb > ga
    backend = setup.get("backend", "this backend")
    if worse and slower == len(wide):
        return line, "supported", f"{head}: on {backend}, the {b} is slower and parallelises worse."
    if better or slower == 0:
        return (
            line,
            "contradicted",
            f"{head}: on {backend}, the {b} is not held back by its recurrence here.",
        )
    return (
        line,
        "mixed",
        (
            f"{head}: on {backend}, the {b} is "
            f"{'slower' if slower == len(wide) else 'not slower at every batch size'}, and "
            f"that it parallelises worse is {'shown' if worse else 'not shown'}."
        ),
    )


_EVIDENCE = {
    "pixels permuted": ("spatial", lambda ex: _spatial(ex, "pixels permuted")),
    "rows shuffled": ("spatial", lambda ex: _spatial(ex, "rows shuffled")),
    "transposed": ("spatial", lambda ex: _spatial(ex, "transposed")),
    "robustness": ("robustness", _robustness),
    "learning": ("learning", _learning),
    "parallel": ("parallel", _parallel),
}


def claim_verdicts(ex: Explanation) -> list[dict]:
    """One row per claim and piece of evidence: claim, experiment, figure, status, verdict.

    Evidence whose experiment did not run (or with one network) is ``"not run"``.
    """
    rows = []
    for number, claim in CLAIMS.items():
        for key in claim["evidence"]:
            experiment, verdict_of = _EVIDENCE[key]
            row = {
                "claim": number,
                "quote": claim["quote"],
                "evidence": key,
                "experiment_letter": EXPERIMENTS[experiment],
                "figure": EVIDENCE_FIGURES[key],
            }
            ran = experiment in ex.experiments and ex.pair is not None
            if ran and experiment == "spatial":
                ran = key in set(ex.spatial_tests.get("condition", []))
            if not ran:
                rows.append({**row, "experiment": key, "status": "not run", "verdict": "Not run."})
                continue
            line, status, verdict = verdict_of(ex)
            rows.append({**row, "experiment": line, "status": status, "verdict": verdict})
    return rows


def _calibration_lines(ex: Explanation, figures: dict) -> list[str]:
    c = ex.calibration
    if c.empty:
        return []
    lines = [
        "## Calibration (experiment e)",
        "",
        "Expected calibration error (ECE: 15 equal bins of the predicted class's probability) "
        "of each network's refit on the original images, on the test set.",
        "",
        "| network | accuracy | mean confidence | ECE (mean ± std over seeds) |",
        "|---|---|---|---|",
    ]
    for net in ex.names:
        g = c[c["network"] == net]
        std = g["ece"].std(ddof=1) if len(g) > 1 else 0.0
        lines.append(
            f"| {net} | {g['accuracy'].mean():.4f} | {g['mean_confidence'].mean():.4f} | "
            f"{g['ece'].mean():.4f} ± {std:.4f} |"
        )
    lines.append("")
    if ex.pair is not None and c["seed"].nunique() >= 2:
        from_seeds = c.pivot(index="seed", columns="network", values="ece").dropna()
        a, b = ex.pair
        d = from_seeds[a] - from_seeds[b]
        lower = a if d.mean() < 0 else b
        if (d < 0).all() or (d > 0).all():
            agree = f"lower on every seed ({len(d)})"
        else:
            agree = "lower on average, not on every seed"
        lines += [f"The {lower}'s probabilities are the better calibrated: its ECE is {agree}.", ""]
    if "explain_calibration" in figures:
        lines += [f"![Reliability diagram]({Path(figures['explain_calibration']).name})", ""]
    return lines


def _table(df: pd.DataFrame, digits: int = 4) -> list[str]:
    if df.empty:
        return []
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        cells = []
        for v in row:
            if isinstance(v, float | np.floating):
                cells.append(f"{v:.3g}" if abs(v) < 1e-3 and v != 0 else f"{v:.{digits}f}")
            else:
                cells.append(str(v))
        out.append("| " + " | ".join(cells) + " |")
    return [*out, ""]


def explanation_markdown(ex: Explanation, figures: dict) -> str:
    """The explanation report as Markdown (``report.md`` of ``mnist-estimators explain``)."""
    names = " vs ".join(ex.names)
    seeds = ex.config.get("seeds", [])
    lines = [
        f"# {names}: does the reference's explanation hold?",
        "",
        f"The reference notebook explained its result with three claims. Each is tested "
        f"here by experiments with {len(seeds)} training seed(s) ({', '.join(map(str, seeds))}) "
        f"on {ex.config.get('n_train', '?'):,} training and {ex.config.get('n_test', '?'):,} "
        "test images; a verdict is stated only with the test behind it (significance level "
        f"{ALPHA}), and a difference only when every seed shows it.",
        "",
    ]
    lines += _setup_lines(ex.config)
    rows = claim_verdicts(ex)
    lines += [
        "## Does the reference's explanation hold?",
        "",
        "| claim | experiment | verdict |",
        "|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['claim']} | {r['experiment_letter']}: {r['evidence']} | {VERDICTS[r['status']]} |"
        )
    lines.append("")
    shown = set()
    for number, claim in CLAIMS.items():
        lines += [f"### Claim {number}", "", f"> {claim['quote']}", ""]
        for r in (r for r in rows if r["claim"] == number):
            lines += [
                f"**Experiment ({r['experiment_letter']}), {r['evidence']}.** {r['experiment']}",
                "",
            ]
            fig = figures.get(r["figure"])
            if fig is not None and r["figure"] not in shown:
                shown.add(r["figure"])
                lines += [f"![{r['evidence']}]({Path(fig).name})", ""]
            lines += [f"**Verdict ({VERDICTS[r['status']]}).** {r['verdict']}", ""]
    lines += _calibration_lines(ex, figures)
    lines += ["## Measurements", ""]
    for title, df in (
        ("Experiment a: accuracy per condition and seed", ex.spatial),
        ("Experiment a: drops from the original images, and their tests", ex.spatial_tests),
        ("Experiment b: tests at each shift and rotation", ex.robustness_tests),
        ("Experiment c: learning curves", ex.learning),
        ("Experiment c: tests per training size", ex.learning_tests),
        ("Experiment d: training images/s (medians) and speedups", ex.speedups),
        ("Experiment e: calibration per seed", ex.calibration),
    ):
        if not df.empty:
            lines += [f"### {title}", "", *_table(df)]
    return "\n".join(lines)


def write_explanation(ex: Explanation, out_dir) -> dict:
    """Write report.md, report.html (self-contained), results.json and the figures.

    Parameters
    ----------
    ex : Explanation
        From :func:`~mnist_estimators.evaluation.experiments.explain`.
    out_dir : str or Path
        Created if needed (the records of the run may already be in it).

    Returns
    -------
    dict
        Name -> path of every file written.
    """
    results = {**ex.to_dict(), "verdicts": claim_verdicts(ex)}
    return write_report_files(
        out_dir,
        plot=lambda folder: plot_explanation(ex, folder),
        files={"results.json": json.dumps(results, indent=1, default=json_default)},
        markdown=lambda figures: explanation_markdown(ex, figures),
        title=f"{' vs '.join(ex.names)}: does the reference's explanation hold?",
    )

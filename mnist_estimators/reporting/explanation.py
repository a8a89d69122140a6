"""The explanation report: "Does the reference's explanation hold?"

For each of the reference notebook's claims (:data:`CLAIMS`): the claim quoted, each
primary endpoint that tests it (the experiment as it ran, read from the run's
configuration), its figure, and a sentence written from the endpoint's
:class:`~mnist_estimators.evaluation.verdicts.Verdict`: the effect over the replicates
with its confidence interval, the adjusted p of the difference and of the
equivalence test, the power at the margin, and the verdict's word. Every decision is
made in :mod:`mnist_estimators.evaluation.verdicts`; this module only writes it. The
secondary results follow as intervals, without verdicts.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import json_default
from ..evaluation.experiment_grid import EXPERIMENTS
from ..evaluation.explanation import CALIBRATION_BINS, Explanation
from ..evaluation.stats import format_p
from ..evaluation.verdicts import ENDPOINTS, MIN_REPLICATES, VERDICT_WORDS, Verdict
from .explanation_figures import plot_explanation
from .report import _setup_lines, write_report_files

__all__ = ["CLAIMS", "VERDICTS", "claim_verdicts", "explanation_markdown", "write_explanation"]

#: A verdict's label in the report (the words and their meaning: ``VERDICT_WORDS``).
VERDICTS = {word: entry["label"] for word, entry in VERDICT_WORDS.items()}

#: The reference notebook's claims, quoted, and the evidence that tests each.
CLAIMS = {
    1: {
        "quote": "The CNN exploits the local correlations between pixels through its "
        "convolution filters.",
        "evidence": ("pixels permuted", "robustness", "learning"),  # see ENDPOINTS
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
        "evidence": ("slower (fewest threads)", "slower (most threads)", "parallelises worse"),
    },
}

#: Which figure shows each experiment.
EXPERIMENT_FIGURES = {
    "spatial": "explain_spatial",
    "robustness": "explain_robustness",
    "learning": "explain_learning",
    "parallel": "explain_parallel",
}


def _pts(x: float) -> str:
    """Accuracy (or a difference of accuracies) in percentage points."""
    return f"{100 * x:.2f}"


def _effect(value: float, unit: str) -> str:
    """An effect in its unit: accuracy points, or a ratio for a log ratio."""
    if unit == "log ratio":
        return f"{np.exp(value):.3f}x"
    return f"{_pts(value)} points"


def _interval(test, unit: str) -> str:
    return f"95 % CI {_effect(test.ci_low, unit)} to {_effect(test.ci_high, unit)}"


def _effect_ci(test, unit: str) -> str:
    """``"9.50 (-5.32 to 24.32) points"`` or ``"0.842x (0.673x to 1.052x)"``."""
    if unit == "log ratio":
        return f"{_effect(test.effect, unit)} ({_effect(test.ci_low, unit)} to {_effect(test.ci_high, unit)})"
    return f"{_pts(test.effect)} ({_pts(test.ci_low)} to {_pts(test.ci_high)}) points"


def _p(value: float) -> str:
    return f"{value:.3g}" if np.isfinite(value) else "-"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'es' if word.endswith('s') else 's'}" if n != 1 else f"{n} {word}"


#: How the report names experiment a's conditions.
CONDITION_PHRASES = {
    "pixels permuted": "images whose pixels are permuted",
    "rows shuffled": "images whose rows are shuffled",
    "transposed": "transposed images (the LSTM reads columns)",
}


def _margin(unit: str, margin: float) -> str:
    if unit == "log ratio":
        return f"{np.exp(-margin):.3f}x to {np.exp(margin):.3f}x"
    return f"±{_pts(margin)} points"


def _experiment_line(ex: Explanation, verdict: Verdict) -> str:
    """What ran for this endpoint, read from the run's configuration (never a fixed grid)."""
    config = ex.config
    kind = verdict.endpoint.experiment
    if kind == "spatial":
        return (
            f"Both networks trained and tested on "
            f"{CONDITION_PHRASES.get(verdict.endpoint.key, verdict.endpoint.key)} (one fixed "
            "transform per training seed, the same for training and test)."
        )
    if kind == "robustness":
        shifts = ", ".join(f"{v:+d}" for v in config.get("shifts", []))
        rotations = ", ".join(f"{v:+g}" for v in config.get("rotations", []))
        return (
            f"The networks trained on the original images, tested without retraining on "
            f"test images shifted along x and along y by {shifts or 'no'} px"
            + (f" and rotated by {rotations}°" if rotations else "")
            + "; the endpoint averages the shifts, the rotations are secondary."
        )
    if kind == "learning":
        sizes = config.get("train_sizes", [])
        steps = config.get("steps", {})
        budget = ", ".join(f"{n}: {s:,}" for n, s in steps.items() if s)
        return (
            f"Learning curves at {', '.join(f'{n:,}' for n in sizes)} training images (a random "
            f"subset per seed), tested on the test set; every size trained for the same number "
            f"of optimizer steps ({budget or 'the network own epochs'}, the steps of the "
            f"default training on all images), the fixed-epoch curve beside it."
        )
    threads = config.get("threads", [])
    return (
        f"Training images/s at batch sizes {', '.join(map(str, config.get('batch_sizes', [])))} "
        f"with {' and '.join(map(str, threads))} thread(s): {config.get('processes', '?')} "
        f"fresh processes per thread count, each timing {config.get('repeats', '?')} epochs of "
        f"{config.get('throughput_images', 0):,} images per network and batch size (its rate: "
        f"their median); on {config.get('setup', {}).get('backend', '?')} "
        f"({config.get('setup', {}).get('device', '?')})."
    )


def _verdict_sentence(ex: Explanation, verdict: Verdict) -> str:
    """One endpoint's verdict, as the report writes it."""
    a, b = ex.pair
    endpoint, test = verdict.endpoint, verdict.test
    what = endpoint.effect.format(a=a, b=b)
    if test is None:
        return "Not run."
    unit = endpoint.unit
    replicates = _plural(test.n, endpoint.replicate)
    if test.n < 2:
        return f"{what[0].upper()}{what[1:]}: {_effect(test.effect, unit)} ({replicates}: no test)."
    lines = [
        f"{what[0].upper()}{what[1:]}: {_effect(test.effect, unit)} over {replicates} "
        f"({_interval(test, unit)}; spread between {_plural(2, endpoint.replicate)[2:]} "
        f"{_effect(test.sd, 'accuracy') if unit == 'accuracy' else f'{test.sd:.3f} in log ratio'})."
    ]
    equivalence_interval = (
        f"{_effect(test.equivalence_low, unit)} to {_effect(test.equivalence_high, unit)}"
    )
    if verdict.reason:
        lines.append(
            f"Not a verdict: {verdict.reason} (raw p = {test.p_value:.3g}, equivalence p = "
            f"{test.p_equivalence:.3g})."
        )
    else:
        lines.append(
            f"Difference from 0: {format_p(test.p_value)}, adjusted "
            f"{format_p(verdict.p_adjusted)}; within {_margin(unit, endpoint.margin)} "
            f"(TOST, whose {100 * (1 - 2 * ex.alpha):.0f} % interval is {equivalence_interval}): "
            f"{format_p(test.p_equivalence)}, adjusted {format_p(verdict.p_equivalence_adjusted)}."
        )
    detectable = (
        _effect(test.smallest_detectable, unit)
        if unit == "accuracy"
        else f"{np.exp(test.smallest_detectable):.3f}x"
    )
    lines.append(
        f"At the observed spread and the family's strictest level ({test.power_alpha:.3g}): "
        f"power {_percent(test.power_at_margin)} to detect an effect of one margin, "
        f"{_percent(test.equivalence_power)} to show equivalence if the true effect is 0; "
        f"smallest effect detectable with 80 % power: {detectable}."
    )
    lines.append(
        f"**{VERDICTS[verdict.status].capitalize()}**: {VERDICT_WORDS[verdict.status]['meaning']}"
        f"{NOTES.get(verdict.note, '')}."
    )
    return " ".join(lines)


#: How the report words a verdict's note (:attr:`Verdict.note`).
NOTES = {
    "significant within the margin": "; a difference from 0 is also significant, but "
    "smaller than the margin",
    "interval reaches within the margin": "; its confidence interval reaches within the "
    "margin, so the effect is not shown to exceed it",
}


def _plan_value(value) -> str:
    return (
        f"“{value}”" if isinstance(value, str) else f"`{json.dumps(value, default=json_default)}`"
    )


def _percent(value: float) -> str:
    return "not computable" if not np.isfinite(value) else f"{100 * value:.0f} %"


def claim_verdicts(ex: Explanation) -> list[dict]:
    """One row per claim and primary endpoint: claim, experiment, figure, status, sentences.

    The statuses are :attr:`Explanation.verdicts` (decided in evaluation); an endpoint
    whose experiment did not run, or with one network, is ``"not run"``.
    """
    rows = []
    for number, claim in CLAIMS.items():
        for key in claim["evidence"]:
            endpoint = next(e for e in ENDPOINTS if e.key == key)
            row = {
                "claim": number,
                "quote": claim["quote"],
                "evidence": key,
                "experiment_letter": EXPERIMENTS[endpoint.experiment],
                "figure": EXPERIMENT_FIGURES[endpoint.experiment],
            }
            verdict = ex.verdicts.get(key)
            if verdict is None or verdict.status == "not run":
                rows.append(
                    {**row, "experiment": "Not run.", "status": "not run", "verdict": "Not run."}
                )
                continue
            rows.append(
                {**row, "experiment": _experiment_line(ex, verdict), "status": verdict.status,
                 "verdict": _verdict_sentence(ex, verdict)}
            )  # fmt: skip
    return rows


def _calibration_lines(ex: Explanation, figures: dict) -> list[str]:
    c = ex.calibration
    if c.empty:
        return []
    lines = [
        "## Calibration (experiment e, secondary)",
        "",
        f"Expected calibration error (ECE: {CALIBRATION_BINS} equal bins of the predicted "
        "class's probability) of each network's refit on the original images, on the test set.",
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
    row = _secondary(ex, "calibration")
    if not row.empty:
        r = row.iloc[0]
        lines += [
            f"{r['measure']}: {r['effect']:.4f} over {int(r['n'])} seeds (95 % CI "
            f"{r['ci_low']:.4f} to {r['ci_high']:.4f}).",
            "",
        ]
    if "explain_calibration" in figures:
        lines += [f"![Reliability diagram]({Path(figures['explain_calibration']).name})", ""]
    return lines


def _secondary(ex: Explanation, experiment: str) -> pd.DataFrame:
    s = ex.secondary
    return s[s["experiment"] == experiment] if not s.empty else s


def _secondary_lines(ex: Explanation) -> list[str]:
    if ex.secondary.empty:
        return []
    lines = [
        "## Secondary results (intervals over the replicates, no verdicts)",
        "",
        "The rest of each experiment's grid: each row's effect over the replicates with its "
        "95 % confidence interval and raw p (not corrected: these are descriptions, not tests "
        "of the claims).",
        "",
    ]
    for experiment, part in ex.secondary.groupby("experiment", sort=False):
        lines += [
            f"### Experiment {EXPERIMENTS.get(experiment, experiment)}: {experiment}",
            "",
            "| measure | point | n | effect | 95 % CI | raw p |",
            "|---|---|---|---|---|---|",
        ]
        for _, r in part.iterrows():
            unit = r["unit"]
            ci = (
                f"{_effect(r['ci_low'], unit)} to {_effect(r['ci_high'], unit)}"
                if np.isfinite(r["ci_low"])
                else "-"
            )
            p = f"{r['p_value']:.3g}" if np.isfinite(r["p_value"]) else "-"
            lines.append(
                f"| {r['measure']} | {r['point']} | {int(r['n'])} | {_effect(r['effect'], unit)} "
                f"| {ci} | {p} |"
            )
        lines.append("")
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
    plan = ex.config.get("plan", {})
    margins = plan.get("margins", {})
    lines = [
        f"# {names}: does the reference's explanation hold?",
        "",
        f"The reference notebook explained its result with three claims. Each is tested "
        f"here by experiments with {len(seeds)} training seed(s) ({', '.join(map(str, seeds))}) "
        f"on {ex.config.get('n_train', 0):,} training and {ex.config.get('n_test', 0):,} "
        "test images. The unit of inference is the training run: each primary endpoint is "
        "one effect per seed (per measuring process for speed), tested over them with a "
        f"t-test. The {ex.family_size} primary endpoints that ran form one family: their "
        "difference and equivalence tests together, corrected by Holm's step-down with "
        f"Shaffer's logical constraint at {ex.alpha} (at most one of an endpoint's two "
        "nulls can be true). No difference is read from a null result: an effect is "
        "called absent only when two one-sided tests put it within its margin "
        f"(±{_pts(margins.get('accuracy', np.nan))} accuracy points, "
        f"{100 * (np.exp(margins.get('log ratio', np.nan)) - 1):.0f} % of throughput), else "
        f"the verdict is inconclusive; a verdict needs at least {MIN_REPLICATES} replicates. "
        "The endpoints, margins and family were in the run's configuration before any "
        "training (docs: the statistics explanation).",
        "",
    ]
    if any(v.reason and v.status != "not run" for v in ex.verdicts.values()):
        lines += [
            f"**A quick run:** fewer than {MIN_REPLICATES} replicates for some endpoints, "
            "whose effects are described below without a verdict.",
            "",
        ]
    for change in ex.plan_deviations():
        lines += [
            f"**Changed since the run's plan:** {change['key']}: the run declared "
            f"{_plan_value(change['planned'])}; these verdicts apply {_plan_value(change['applied'])}.",
            "",
        ]
    lines += _setup_lines(ex.config)
    rows = claim_verdicts(ex)
    lines += [
        "## Does the reference's explanation hold?",
        "",
        "| claim | primary endpoint | effect (95 % CI) | n | p | adjusted p | equivalence adjusted p | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        v = ex.verdicts.get(r["evidence"])
        t = None if v is None else v.test
        if t is None or t.n < 2:
            cells = "- | - | - | - | -"
        else:
            unit = v.endpoint.unit
            cells = (
                f"{_effect_ci(t, unit)} | {t.n} | {_p(t.p_value)} | {_p(v.p_adjusted)} "
                f"| {_p(v.p_equivalence_adjusted)}"
            )
        lines.append(
            f"| {r['claim']} | {r['experiment_letter']}: {r['evidence']} | {cells} | "
            f"{VERDICTS[r['status']]} |"
        )
    lines.append("")
    shown = set()
    for number, claim in CLAIMS.items():
        lines += [f"### Claim {number}", "", f"> {claim['quote']}", ""]
        for r in (r for r in rows if r["claim"] == number):
            lines += [
                f"**Endpoint: {r['evidence']} (experiment {r['experiment_letter']}).** "
                f"{r['experiment']}",
                "",
            ]
            fig = figures.get(r["figure"])
            if fig is not None and r["figure"] not in shown:
                shown.add(r["figure"])
                lines += [f"![{r['evidence']}]({Path(fig).name})", ""]
            lines += [f"**Verdict ({VERDICTS[r['status']]}).** {r['verdict']}", ""]
    lines += _secondary_lines(ex)
    lines += _calibration_lines(ex, figures)
    lines += ["## Measurements", ""]
    for title, df in (
        ("Experiment a: accuracy per condition and seed", ex.spatial),
        (
            "Experiment a: per-image tests of each seed alone (they describe one trained "
            "network each; the verdicts rest on the seeds)",
            ex.spatial_tests,
        ),
        ("Experiment c: learning curves", ex.learning),
        ("Experiment d: training images/s per process (medians of its epochs)", ex.rates),
        ("Experiment d: medians over processes, and the speedup", ex.speedups),
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
    results = {**ex.to_dict(), "claims": claim_verdicts(ex)}
    return write_report_files(
        out_dir,
        plot=lambda folder: plot_explanation(ex, folder),
        files={"results.json": json.dumps(results, indent=1, default=json_default)},
        markdown=lambda figures: explanation_markdown(ex, figures),
        title=f"{' vs '.join(ex.names)}: does the reference's explanation hold?",
    )

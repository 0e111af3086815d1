"""`harness report --plot FILE.png`: grouped bars (syntax, execution, accuracy) per model with
95% clustered whiskers (report/clustered.py) and value labels, all over scored items. matplotlib is the optional
`plot` extra and is imported only here, on use, with the non-interactive Agg backend."""

from __future__ import annotations

from pathlib import Path

from ..errors import HarnessError, InputError
from ..outputs import check_output
from .summary import RunSummary
from .tables import num

LEVELS = (
    ("syntax", "Syntactic validity", "#4C72B0"),
    ("execution", "Execution success", "#55A868"),
    ("accuracy", "Output accuracy", "#C44E52"),
)


PLOT_FORMATS = ("png", "svg", "pdf")


def plot_target(path: str | Path) -> Path:
    """The plot file, checked before any work: a known image suffix, never over a results database."""
    target = check_output(path, "plot")
    if target.suffix.lower().lstrip(".") not in PLOT_FORMATS:
        raise InputError(f"--plot {target}: name the file .png, .svg or .pdf (the suffix picks the format)")
    return target


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise HarnessError("--plot needs matplotlib: pip install 'oncograph-harness[plot]'") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_summaries(summaries: list[RunSummary], path: str | Path) -> Path:
    plotted = [s for s in summaries if s.n_scored]
    if not plotted:
        raise HarnessError("nothing to plot: no run has scored items")
    plt = _pyplot()
    count, width = len(plotted), 0.26
    fig, ax = plt.subplots(figsize=(max(6.5, 1.9 * count + 2.5), 5.2), dpi=120)
    for index, (attribute, name, colour) in enumerate(LEVELS):
        xs, heights, lower, upper = [], [], [], []
        for position, summary in enumerate(plotted):
            rate = getattr(summary, attribute)
            low, high = rate.cluster_ci or rate.ci
            xs.append(position + (index - 1) * width)
            heights.append(rate.pct)
            lower.append(rate.pct - low)
            upper.append(high - rate.pct)
        ax.bar(
            xs,
            heights,
            width * 0.92,
            label=name,
            color=colour,
            yerr=[lower, upper],
            error_kw={"ecolor": "#333333", "elinewidth": 1, "capsize": 3},
            zorder=2,
        )
        for x, height, up in zip(xs, heights, upper):
            ax.annotate(
                num(height),
                (x, height + up),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                rotation=90 if count > 4 else 0,
            )
    ax.set_xticks(range(count))
    ax.set_xticklabels(
        [f"{s.label}\n(n={s.n_scored}" + (f", {s.n_infra} infra" if s.n_infra else "") + ")" for s in plotted],
        fontsize=9,
    )
    ax.set_ylim(0, 118)
    ax.set_yticks(range(0, 101, 20))
    ax.set_ylabel("% of scored items")
    ax.set_title("Syntax, execution and accuracy per model (whiskers: 95% clustered interval over groups)", fontsize=10)
    ax.grid(axis="y", color="#dddddd", zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines["left"].set_bounds(0, 100)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False, fontsize=9)
    fig.tight_layout()
    target = plot_target(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(target, format=target.suffix.lower().lstrip("."))
    except OSError as exc:
        raise HarnessError(f"cannot write plot {target}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return target

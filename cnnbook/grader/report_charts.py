"""The charts of ``cnnbook report``: pass rates per test, and the score distribution."""

from __future__ import annotations

from pathlib import Path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def pass_rates(tests: list[dict], assignment: str, path: Path) -> None:
    """A bar per test, the checks the class fails most at the top."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(3, len(tests)) + 1.2))
    labels = [r["test"] for r in reversed(tests)]
    rates = [100 * r["pass_rate"] for r in reversed(tests)]
    ax.barh(labels, rates, color="#4C72B0")
    for y, rate in enumerate(rates):
        ax.text(min(rate + 1, 92), y, f"{rate:.0f}%", va="center", fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("submissions passing (%)")
    ax.set_title(f"{assignment}\nautograder tests, most failed at the top", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def histogram(percents: list[float], assignment: str, path: Path) -> None:
    """The submissions' scores in % (late penalties applied), in bins of 10."""
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(percents, bins=[i * 10 for i in range(11)], color="#55A868", edgecolor="white")
    ax.set_xlim(0, 100)
    ax.set_xlabel("score (% of the points, late penalties applied)")
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{assignment}: score distribution (n = {len(percents)})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

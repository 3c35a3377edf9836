"""PNG charts (matplotlib, Agg backend: no display in workers or servers).

Each function writes one file and returns nothing; the manifest (true pixel size and byte size) is
built afterwards from the files themselves, so it can never disagree with them.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

DPI = 100
PAIR_SIZE = (7.0, 3.6)


def image_id(image_type: str, model: str | None = None, horizon: int | None = None) -> str:
    parts = [image_type] + ([model] if model else []) + ([f"h{horizon}"] if horizon is not None else [])
    return "__".join(parts)


def png_dimensions(path: Path) -> tuple[int, int]:
    with Image.open(path) as im:
        return im.size  # (width, height)


def _save(fig: Figure, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def model_ranking(path: Path, horizons: list[int], da: dict[str, list[float]], always_up: list[float]) -> None:
    """DA by horizon for every model, ranked by mean DA in the legend, against always-up at each horizon."""
    mean_up = float(np.mean(always_up))
    ranked = sorted(da, key=lambda m: -float(np.mean(da[m])))
    fig, ax = plt.subplots(figsize=(9, 4.8))
    colors = plt.cm.tab10(np.linspace(0, 1, 10))
    for k, m in enumerate(ranked):
        mean = float(np.mean(da[m]))
        ax.plot(
            horizons,
            da[m],
            marker="o",
            ms=3,
            lw=1,
            color=colors[k % 10],
            label=f"{m}: {mean:.1f}% ({mean - mean_up:+.1f} pp vs always-up)",
        )
    ax.plot(
        horizons,
        always_up,
        color="#C44E52",
        lw=2.5,
        ls="--",
        marker="s",
        ms=5,
        label=f"always up (baseline): {mean_up:.1f}%",
    )
    ax.axhline(50, color="k", lw=0.8, ls=":", label="chance (50%)")
    ax.set_xticks(horizons, [f"h={h}" for h in horizons])
    ax.set_ylabel("Out-of-sample directional accuracy (%)")
    ax.set_title("Model ranking: DA by horizon against always-up (walk-forward)")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    _save(fig, path)


def metrics_heatmap(path: Path, models: list[str], horizons: list[int], da: np.ndarray, always_up: list[float]) -> None:
    """DA per model and horizon, coloured by its edge over always-up at that horizon (last row)."""
    rows = [*models, "always up"]
    values = np.vstack([da, always_up])
    edge = values - np.asarray(always_up)[None, :]
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(horizons), 1.2 + 0.45 * len(rows)))
    span = max(float(np.nanmax(np.abs(edge))), 1.0)
    im = ax.imshow(edge, cmap="RdBu", vmin=-span, vmax=span, aspect="auto")
    ax.set_xticks(range(len(horizons)), [f"h={h}" for h in horizons])
    ax.set_yticks(range(len(rows)), rows)
    ax.axhline(len(models) - 0.5, color="k", lw=1.5)
    for i in range(len(rows)):
        for j in range(len(horizons)):
            ax.text(
                j,
                i,
                f"{values[i, j]:.1f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if abs(edge[i, j]) > 0.6 * span else "black",
                fontweight="bold" if i == len(models) else "normal",
            )
    fig.colorbar(im, ax=ax, label="DA minus always-up (pp)")
    ax.set_title("Out-of-sample DA (%) by horizon; colour: edge over always-up")
    _save(fig, path)


def backtest_equity(path: Path, dates: pd.Series, equity: np.ndarray, hold: np.ndarray, title: str) -> None:
    fig, ax = plt.subplots(figsize=PAIR_SIZE)
    ax.plot(dates, equity, lw=1.2, label="strategy: sign(prediction), overlapping")
    ax.plot(dates, hold, lw=1, color="gray", alpha=0.8, label="buy and hold")
    ax.set_ylabel("Wealth (start = 1)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    _save(fig, path)


def backtest_drawdown(path: Path, dates: pd.Series, drawdown: np.ndarray, title: str) -> None:
    fig, ax = plt.subplots(figsize=PAIR_SIZE)
    ax.fill_between(dates, drawdown * 100, 0, color="#C44E52", alpha=0.6)
    ax.set_ylabel("Drawdown (%)")
    ax.set_title(title)
    _save(fig, path)


def feature_importance(path: Path, features: dict[str, float], title: str) -> None:
    names = list(features)[::-1]
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.barh(names, [features[n] * 100 for n in names], color="#55A868")
    ax.set_xlabel("Share of total importance (%)")
    ax.set_title(title)
    _save(fig, path)


def forecast_fan_chart(
    path: Path,
    hist_dates: pd.DatetimeIndex,
    hist_prices: np.ndarray,
    fc_dates: pd.DatetimeIndex,
    center: np.ndarray,
    bands: dict[tuple[float, float], tuple[np.ndarray, np.ndarray]],
    title: str,
) -> None:
    """``bands`` maps (lower q, upper q) to price arrays; they start at the last observed price."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(hist_dates, hist_prices, color="k", lw=1, label="price")
    alphas = iter((0.18, 0.32, 0.5))
    for (ql, qh), (lo, hi) in sorted(bands.items()):
        ax.fill_between(
            fc_dates, lo, hi, color="#4C72B0", alpha=next(alphas, 0.4), label=f"{ql:.0%}-{qh:.0%} of OOS errors"
        )
    ax.plot(fc_dates, center, color="#4C72B0", lw=1.5, marker="o", ms=3, label="consensus")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")
    _save(fig, path)

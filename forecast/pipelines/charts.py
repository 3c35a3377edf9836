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
from PIL import Image  # noqa: E402

DPI = 100
PAIR_SIZE = (7.0, 3.6)


def image_id(image_type: str, model: str | None = None, horizon: int | None = None) -> str:
    parts = [image_type] + ([model] if model else []) + ([f"h{horizon}"] if horizon is not None else [])
    return "__".join(parts)


def png_dimensions(path: Path) -> tuple[int, int]:
    with Image.open(path) as im:
        return im.size  # (width, height)


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def model_ranking(path: Path, avg_da: dict[str, float], baseline_da: float | None) -> None:
    names = sorted(avg_da, key=avg_da.get)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.barh(names, [avg_da[n] for n in names], color="#4C72B0")
    ax.axvline(50, color="k", lw=1, ls="--", label="chance (50%)")
    if baseline_da is not None:
        ax.axvline(baseline_da, color="#C44E52", lw=1, label=f"always-up baseline ({baseline_da:.1f}%)")
    lo = min([*avg_da.values(), 50.0, baseline_da or 50.0])
    ax.set_xlim(lo - 3, max([*avg_da.values(), 50.0, baseline_da or 50.0]) + 3)
    ax.set_xlabel("Mean out-of-sample directional accuracy over horizons (%)")
    ax.set_title("Model ranking (walk-forward)")
    ax.legend(loc="lower right", fontsize=8)
    _save(fig, path)


def metrics_heatmap(path: Path, models: list[str], horizons: list[int], da: np.ndarray) -> None:
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(horizons), 1.2 + 0.45 * len(models)))
    span = max(float(np.nanmax(np.abs(da - 50))), 1.0)
    im = ax.imshow(da, cmap="RdBu", vmin=50 - span, vmax=50 + span, aspect="auto")
    ax.set_xticks(range(len(horizons)), [f"h={h}" for h in horizons])
    ax.set_yticks(range(len(models)), models)
    for i in range(len(models)):
        for j in range(len(horizons)):
            ax.text(j, i, f"{da[i, j]:.1f}", ha="center", va="center", fontsize=8)
    fig.colorbar(im, ax=ax, label="DA test (%)")
    ax.set_title("Out-of-sample directional accuracy")
    _save(fig, path)


def backtest_equity(path: Path, dates, equity: np.ndarray, hold: np.ndarray, title: str) -> None:
    fig, ax = plt.subplots(figsize=PAIR_SIZE)
    ax.plot(dates, equity, lw=1.2, label="strategy: sign(prediction), overlapping")
    ax.plot(dates, hold, lw=1, color="gray", alpha=0.8, label="buy and hold")
    ax.set_ylabel("Wealth (start = 1)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    _save(fig, path)


def backtest_drawdown(path: Path, dates, drawdown: np.ndarray, title: str) -> None:
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


def forecast_fan_chart(path: Path, hist_dates, hist_prices: np.ndarray, fc_dates, center: np.ndarray,
                       bands: dict[tuple[float, float], tuple[np.ndarray, np.ndarray]], title: str) -> None:
    """``bands`` maps (lower q, upper q) to price arrays; they start at the last observed price."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(hist_dates, hist_prices, color="k", lw=1, label="price")
    alphas = iter((0.18, 0.32, 0.5))
    for (ql, qh), (lo, hi) in sorted(bands.items()):
        ax.fill_between(fc_dates, lo, hi, color="#4C72B0", alpha=next(alphas, 0.4),
                        label=f"{ql:.0%}-{qh:.0%} of OOS errors")
    ax.plot(fc_dates, center, color="#4C72B0", lw=1.5, marker="o", ms=3, label="consensus")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")
    _save(fig, path)

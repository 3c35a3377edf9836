"""The verdict: does any model beat always-up, per horizon and overall, with the search priced in.

Per horizon, Hansen's SPA test asks whether any of the run's models beats always-up on all test points
(directional loss, stationary bootstrap with mean block 2h). Searching over horizons is a search too,
so the SPA p-values are Holm-adjusted across the run's horizons. The best model is the one with the
highest DA on the selection block; its edge is scored on the hold-out block, which played no part in
choosing it. A horizon beats the baseline when the adjusted SPA p < alpha and that hold-out edge > 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from pipelines import skill
from pipelines.skill import Split
from runcontract.models import HorizonSkill


@dataclass(frozen=True)
class HorizonData:
    """One horizon's pooled walk-forward test points and every model's predictions on them."""

    h: int
    test_rows: np.ndarray
    y_test: np.ndarray
    preds: dict[str, np.ndarray]
    split: Split

    @cached_property
    def base_hits(self) -> np.ndarray:
        return skill.always_up_hits(self.y_test)

    @cached_property
    def model_hits(self) -> dict[str, np.ndarray]:
        return {m: skill.hits(self.y_test, p) for m, p in self.preds.items()}

    def da(self, model: str | None, block: np.ndarray | None = None) -> float:
        """DA (%) of ``model`` (None: always-up) on ``block`` (None: all test points)."""
        hit = self.base_hits if model is None else self.model_hits[model]
        return 100.0 * float(np.mean(hit if block is None else hit[block]))

    def holdout_edge(self, model: str) -> float:
        hold = self.split.holdout
        return self.da(model, hold) - self.da(None, hold)

    def selection_best(self) -> str:
        sel = self.split.selection
        return max(self.preds, key=lambda m: self.da(m, sel))  # first in model order on a tie


def horizon_skills(horizons: list[HorizonData], alpha: float, reps: int, seed: int) -> list[HorizonSkill]:
    raw = [
        skill.spa_p_value(d.base_hits, np.column_stack([d.model_hits[m] for m in d.preds]), d.h, reps, seed + d.h)
        for d in horizons
    ]
    out = []
    for d, p, p_adjusted in zip(horizons, raw, skill.holm(raw), strict=True):
        best, hold = d.selection_best(), d.split.holdout
        edge = d.holdout_edge(best)
        out.append(
            HorizonSkill(
                horizon=d.h,
                baseline_da=round(d.da(None), 4),
                best_model=best,
                best_edge=round(edge, 4),
                best_holdout_da=round(d.da(best, hold), 4),
                baseline_holdout_da=round(d.da(None, hold), 4),
                spa_p_value=round(p, 6),
                spa_p_value_adjusted=round(p_adjusted, 6),
                beats_baseline=bool(p_adjusted < alpha and edge > 0),
                n_test=len(d.y_test),
                n_holdout=len(hold),
            )
        )
    return out


def best_model_overall(horizons: list[HorizonData]) -> tuple[str, float]:
    """The model with the highest mean selection-block DA over horizons, and its mean hold-out edge (pp)."""
    models = list(horizons[0].preds)
    best = max(models, key=lambda m: np.mean([d.da(m, d.split.selection) for d in horizons]))
    return best, float(np.mean([d.holdout_edge(best) for d in horizons]))


def sentence(skills: list[HorizonSkill]) -> str:
    """One sentence a reader can act on: which model beats always-up where, or that none does."""
    winners = [s for s in skills if s.beats_baseline]
    if not winners:
        where = f"h={skills[0].horizon}" if len(skills) == 1 else "any horizon"
        return f"No model beats always-up at {where} on this data."
    claims = [
        f"{s.best_model} beats always-up at h={s.horizon} by {s.best_edge:+.1f} pp on the hold-out "
        f"(SPA p = {s.spa_p_value:.3f}, {s.spa_p_value_adjusted:.3f} adjusted across horizons)"
        for s in winners
    ]
    rest = [f"h={s.horizon}" for s in skills if not s.beats_baseline]
    tail = f"; no model does at {', '.join(rest)}" if rest else ""
    return "; ".join(claims) + tail + "."

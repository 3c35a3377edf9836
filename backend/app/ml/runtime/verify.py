"""Proof that a compiled scorer gives the model's own answers before it serves one request.

The verification rows come from the feature schema: per feature a range (the card's min/max, else
the training centre and spread a fitted StandardScaler exposes, else the tree ensemble's split
thresholds, else around the explanation baseline), sampled uniformly, and then rounded to integers
or one decimal for part of the rows, because real inputs are round numbers and round numbers sit on
tree splits. For trees, the split thresholds themselves and their float32 neighbours are added: the
values where a float32 graph and scikit-learn are most likely to disagree. The explanation batch the
API scores for the baseline student is added too.

A compiled scorer is accepted only when its largest absolute score difference is <= 1e-5 and no row
changes side of the 0.5 pass threshold as served (scores rounded to six decimals, then labelled).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.ml.explain import perturbation_rows
from app.ml.featurizer import FeatureSchema
from app.ml.steps import column_groups, first_step

TOLERANCE = 1e-5
PASS_THRESHOLD = 0.5
# The API serves scores rounded to this many decimals and labels the rounded score, so a label is
# compared the way it is served: a forest's exact 0.5 (100 of 200 trees) that a float32 sum gives as
# 0.49999997 is the same served label, not a flip.
SERVED_DECIMALS = 6
N_ROWS = 2000


@dataclass(frozen=True)
class Verification:
    rows: int
    max_abs_diff: float
    label_flips: int

    @property
    def passed(self) -> bool:
        return self.max_abs_diff <= TOLERANCE and self.label_flips == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "max_abs_diff": self.max_abs_diff,
            "label_flips": self.label_flips,
            "tolerance": TOLERANCE,
        }


def compare(reference: np.ndarray, candidate: np.ndarray) -> Verification:
    reference, candidate = np.asarray(reference, np.float64), np.asarray(candidate, np.float64)
    if reference.shape != candidate.shape or not np.all(np.isfinite(candidate)):
        return Verification(len(reference), float("inf"), len(reference))
    served_ref, served_cand = np.round(reference, SERVED_DECIMALS), np.round(candidate, SERVED_DECIMALS)
    flips = int(np.sum((served_ref >= PASS_THRESHOLD) != (served_cand >= PASS_THRESHOLD)))
    return Verification(len(reference), float(np.max(np.abs(reference - candidate))), flips)


def _tree_thresholds(estimator: Any, n_features: int) -> list[np.ndarray]:
    """Split thresholds per feature of a scikit-learn tree or forest (the final step of a pipeline
    only when every step before it is the identity on columns, which a tree cannot know)."""
    model = estimator.steps[-1][1] if hasattr(estimator, "steps") and len(estimator.steps) == 1 else estimator
    members = getattr(model, "estimators_", None)
    trees = (
        [model]
        if hasattr(model, "tree_")
        else ([] if members is None else list(np.ravel(np.asarray(members, dtype=object))))
    )
    found: list[list[float]] = [[] for _ in range(n_features)]
    for tree in trees:
        structure = getattr(tree, "tree_", None)
        if structure is None:
            continue
        for feature, threshold in zip(structure.feature, structure.threshold, strict=True):
            if 0 <= feature < n_features:
                found[feature].append(float(threshold))
    return [np.unique(values) for values in found]


def _column_statistics(
    estimator: Any, names: list[str]
) -> tuple[dict[int, tuple[float, float]], dict[int, np.ndarray]]:
    """Per column, what the fitted preprocessing learned: (centre, spread) from a StandardScaler, and
    the levels an encoder knows (OneHotEncoder/OrdinalEncoder ``categories_``)."""
    first = first_step(estimator) if hasattr(estimator, "steps") else None
    stats: dict[int, tuple[float, float]] = {}
    levels: dict[int, np.ndarray] = {}
    if first is not None and hasattr(first, "mean_") and hasattr(first, "scale_"):
        if len(first.mean_) == len(names):
            stats = {j: (float(first.mean_[j]), float(first.scale_[j])) for j in range(len(names))}
    for columns, steps in column_groups(estimator):
        index = [names.index(c) for c in columns if c in names]
        for step in steps:
            if hasattr(step, "mean_") and hasattr(step, "scale_") and len(step.mean_) == len(index):
                stats.update({j: (float(m), float(s)) for j, m, s in zip(index, step.mean_, step.scale_, strict=True)})
            if hasattr(step, "categories_") and len(step.categories_) == len(index):
                for j, cats in zip(index, step.categories_, strict=True):
                    numeric = np.asarray([c for c in cats if isinstance(c, (int, float, np.number))], dtype=float)
                    if len(numeric):
                        levels[j] = numeric
    return stats, levels


def _ranges(
    schema: FeatureSchema,
    estimator: Any,
    baselines: np.ndarray,
    thresholds: list[np.ndarray],
    stats: dict[int, tuple[float, float]],
) -> list[tuple[float, float]]:
    out = []
    for j, spec in enumerate(schema.specs):
        if spec.levels:
            out.append((0.0, 1.0))  # placeholder: the column is filled with its levels afterwards
        elif spec.minimum is not None and spec.maximum is not None:
            out.append((spec.minimum, spec.maximum))
        elif j in stats:
            centre, spread = stats[j]
            out.append((centre - 4 * spread, centre + 4 * spread))
        elif len(thresholds[j]):
            margin = max(float(np.ptp(thresholds[j])) * 0.2, 1.0)
            out.append((float(thresholds[j].min()) - margin, float(thresholds[j].max()) + margin))
        else:
            width = 3 * max(abs(float(baselines[j])), 1.0)
            out.append((float(baselines[j]) - width, float(baselines[j]) + width))
    return out


def verification_rows(
    schema: FeatureSchema, estimator: Any, baselines: np.ndarray, n: int = N_ROWS, seed: int = 0
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = len(schema.specs)
    thresholds = _tree_thresholds(estimator, k)
    stats, levels = _column_statistics(estimator, schema.names)
    ranges = _ranges(schema, estimator, baselines, thresholds, stats)
    low = np.array([r[0] for r in ranges])
    high = np.array([r[1] for r in ranges])
    rows = rng.uniform(low, high, size=(n, k))
    third = n // 3
    rows[:third] = np.round(rows[:third])  # integer inputs
    rows[third : 2 * third] = np.round(rows[third : 2 * third], 1)  # one decimal
    for j, known in levels.items():  # an encoded column takes its known levels (and the odd unknown one)
        rows[:, j] = np.where(rng.random(n) < 0.95, rng.choice(known, n), rows[:, j])
    if schema.has_categorical:
        rows = rows.astype(object)
        for j, spec in enumerate(schema.specs):
            if spec.levels:
                pool = list(spec.levels) + (["an unseen level"] if spec.accepts_unknown_level else [])
                rows[:, j] = rng.choice(np.array(pool, dtype=object), n)
    edge_rows = []
    for j, values in enumerate(thresholds):
        if not len(values):
            continue
        picks = values if len(values) <= 200 else rng.choice(values, 200, replace=False)
        for value in picks:
            as32 = np.float32(value)
            for candidate in (
                value,
                float(as32),
                float(np.nextafter(as32, np.float32(np.inf))),
                float(np.nextafter(as32, np.float32(-np.inf))),
            ):
                row = rows[rng.integers(n)].copy()
                row[j] = candidate
                edge_rows.append(row)
    explain = perturbation_rows(baselines.copy(), baselines)
    blocks = [rows, explain] + ([np.array(edge_rows, dtype=rows.dtype)] if edge_rows else [])
    return np.vstack(blocks).astype(schema.row_dtype)

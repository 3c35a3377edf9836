"""What the model-serving service answers: predictions, explanations and what-if scenarios, and its
errors.

Result contract: ``score`` is the probability of passing, rounded to 6 decimals, and ``label`` is
the card's positive label ("Aprobar" by default) exactly when that rounded score is >= 0.5. The
label never comes from ``model.predict``, whose threshold may differ. What-if in mock mode simulates
the spec's ±0.02: the baseline is 0.5 and the scenario is 0.5 + 0.02 * sign(sum of deltas).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.ml.explain import impacts_from_scores
from app.ml.runtime.verify import SERVED_DECIMALS

PASS_THRESHOLD = 0.5
MOCK_SCORE = 0.5
MOCK_WHATIF_STEP = 0.02
SCORE_DECIMALS = SERVED_DECIMALS

Features = dict[str, float | str]


class InferenceError(RuntimeError):
    """The loaded model failed on valid input (a server-side fault, not the client's)."""


class ModelUnavailableError(RuntimeError):
    """No model can be served and a mock is not allowed (production): the API answers 503."""


@dataclass(frozen=True)
class FeatureImpact:
    feature: str
    impact: float


@dataclass(frozen=True)
class PredictionResult:
    label: str
    score: float
    explain: list[FeatureImpact]
    version: str
    features: dict[str, float | str]


@dataclass(frozen=True)
class WhatIfResult:
    prediction: PredictionResult
    baseline: PredictionResult
    applied_deltas: dict[str, float]


@dataclass(frozen=True)
class Answers:
    """Turns one model's scores (or the mock's) into results, labelled with that model's labels."""

    version: str
    feature_names: list[str]
    positive_label: str
    negative_label: str

    def label(self, score: float) -> str:
        return self.positive_label if score >= PASS_THRESHOLD else self.negative_label

    def result(self, resolved: Features, scores: np.ndarray) -> PredictionResult:
        """``scores`` are the model's for ``resolved`` and its explanation rows."""
        score = round(float(scores[0]), SCORE_DECIMALS)
        impacts = impacts_from_scores(scores, self.feature_names)
        return PredictionResult(
            label=self.label(score),
            score=score,
            explain=[FeatureImpact(name, round(impact, SCORE_DECIMALS)) for name, impact in impacts],
            version=self.version,
            features=dict(resolved),
        )

    def whatif(
        self, resolved: Features, shifted: Features, applied: dict[str, float], scores: np.ndarray
    ) -> WhatIfResult:
        """``scores``: the baseline's explanation block, then the scenario's."""
        split = len(resolved) + 1
        return WhatIfResult(
            prediction=self.result(shifted, scores[split:]),
            baseline=self.result(resolved, scores[:split]),
            applied_deltas=applied,
        )

    def mock(self, resolved: Features, score: float = MOCK_SCORE) -> PredictionResult:
        score = round(score, SCORE_DECIMALS)
        return PredictionResult(
            label=self.label(score),
            score=score,
            # The mock score does not depend on any feature, so every impact is honestly zero.
            explain=[FeatureImpact(name, 0.0) for name in resolved],
            version=self.version,
            features=dict(resolved),
        )

    def mock_whatif(self, resolved: Features, shifted: Features, applied: dict[str, float]) -> WhatIfResult:
        direction = float(np.sign(sum(applied.values()))) if applied else 0.0
        scenario_score = min(1.0, max(0.0, MOCK_SCORE + MOCK_WHATIF_STEP * direction))
        return WhatIfResult(
            prediction=self.mock(shifted, scenario_score),
            baseline=self.mock(resolved, MOCK_SCORE),
            applied_deltas=applied,
        )

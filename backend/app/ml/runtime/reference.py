"""The reference scorer: the estimator itself, called in one dedicated thread.

scikit-learn holds the GIL for most of a call, so sixteen requests scoring a forest at once in a
thread pool each take ~2x longer than one after the other and slow every other request down too.
One thread makes concurrent requests queue for the model instead of fighting over the GIL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import sklearn

from app.ml.featurizer import FeatureSchema, build_model_input
from app.ml.scoring import Scorer


class ReferenceScorer:
    def __init__(self, scorer: Scorer, schema: FeatureSchema):
        self._scorer = scorer
        self._schema = schema
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model-reference")

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Scores in the calling thread (start-up, verification, the CLI)."""
        # Inputs are validated finite already; skipping sklearn's own scan saves time per call.
        with sklearn.config_context(assume_finite=True):
            return np.asarray(self._scorer.scores(build_model_input(rows, self._schema)), dtype=np.float64)

    def submit(self, rows: np.ndarray) -> Future[np.ndarray]:
        return self._thread.submit(self.scores, rows)

    async def ascores(self, rows: np.ndarray) -> np.ndarray:
        return await asyncio.wrap_future(self.submit(rows))

    async def acall(self, score: Callable[[np.ndarray], np.ndarray], rows: np.ndarray) -> np.ndarray:
        """Runs another scorer whose call holds the GIL (pipeline steps) in the same model thread."""
        return await asyncio.wrap_future(self._thread.submit(score, rows))

    def close(self) -> None:
        """Stops the thread once the calls already queued (requests in flight) have run."""
        self._thread.shutdown(wait=False, cancel_futures=False)

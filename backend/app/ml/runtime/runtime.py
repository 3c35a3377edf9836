"""The model runtime: serve the reference scorer at once, compile and verify in the background, swap.

This is the last step of the load (app/ml/model_loader.py: read -> inspect schema -> build scorer ->
verify): the reference scorer (the estimator itself, in its own thread) serves at once -> compile to
ONNX in a child process -> verify against the reference on the schema's rows -> swap. A tree ensemble whose ONNX graph fails
(HistGradientBoosting's categorical splits) gets a second candidate, Treelite, verified the same way.
Until the swap, and whenever compiling or verifying fails, requests are served by the reference
scorer; the reason is in ``path``.

After the swap a shadow check re-scores live requests with the reference scorer, off the hot path:
all of the first SHADOW_FIRST, then one in SHADOW_EVERY. One disagreement above the tolerance
switches serving back to the reference scorer for good (until the next load), and is logged.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from app.ml.model_file import ModelFile
from app.ml.model_schema import ModelSchema
from app.ml.runtime.onnx_compile import CompileError, compile_in_subprocess, graph_inputs
from app.ml.runtime.onnx_scorer import OnnxScorer
from app.ml.runtime.reference import ReferenceScorer
from app.ml.runtime.treelite_scorer import SUPPORTED as TREELITE_FAMILIES
from app.ml.runtime.treelite_scorer import TreeliteScorer
from app.ml.runtime.verify import TOLERANCE, Verification, compare, verification_rows
from app.ml.scoring import METHOD_PROBA, Scorer
from app.ml.steps import final_step

logger = logging.getLogger(__name__)

# Families that are slower in onnxruntime than in scikit-learn (nearest neighbours: ~3x).
NOT_WORTH_COMPILING = ("KNeighborsClassifier", "RadiusNeighborsClassifier")
# A float graph first (exact for trees, the common case); a double one when float drifts.
PRECISIONS = ("float", "double")
SHADOW_FIRST = 200
SHADOW_EVERY = 100  # 1% after the first SHADOW_FIRST


@dataclass(frozen=True)
class CompileOptions:
    enabled: bool = True
    timeout_s: float = 120.0
    max_bytes: int = 512 * 2**20
    max_memory_bytes: int = 4 * 2**30


@dataclass(frozen=True)
class ServingPath:
    """Which scorer serves and why: ``sklearn`` (the reference), ``onnx`` or ``treelite`` (verified)."""

    kind: str
    reason: str
    verification: Verification | None = None
    compile_seconds: float | None = None
    shadow_checked: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.kind,
            "reason": self.reason,
            "verification": self.verification.as_dict() if self.verification else None,
            "compile_seconds": self.compile_seconds,
            "shadow_checked": self.shadow_checked,
            **self.details,
        }


class ModelRuntime:
    """Loading, step 4 (verify): serves the reference scorer now and a compiled scorer only once it
    has been verified against it (:meth:`start` in the background, :meth:`compile_now` in this thread)."""

    def __init__(
        self, model_file: ModelFile, schema: ModelSchema, scorer: Scorer, options: CompileOptions | None = None
    ):
        self._file = model_file
        self._schema = schema
        self._scorer = scorer
        self.options = options or CompileOptions()
        self.reference = ReferenceScorer(scorer, schema.features)
        self._compiled: OnnxScorer | TreeliteScorer | None = None
        self._lock = threading.Lock()
        self._started = False
        self._shadow_seen = 0
        self.path = ServingPath("sklearn", self._initial_reason())

    def _initial_reason(self) -> str:
        if not self.options.enabled:
            return "compilation is off (MODEL_COMPILE=false)"
        if self._scorer.method != METHOD_PROBA:
            return f"compiled path needs predict_proba; the model is scored with {self._scorer.method}"
        final = final_step(self._file.estimator)
        if type(final).__name__ in NOT_WORTH_COMPILING:
            return f"not compiled: {type(final).__name__} runs faster in scikit-learn than in onnxruntime"
        return "compiling in the background; the reference scorer serves meanwhile"

    # -- serving --------------------------------------------------------------------------------

    @property
    def compiled(self) -> bool:
        return self._compiled is not None

    def scores(self, block: np.ndarray) -> np.ndarray:
        """Scores in the calling thread (CLI, tests); the API uses :meth:`ascores`."""
        compiled = self._compiled
        if compiled is None:
            return self.reference.scores(block)
        scores = compiled.scores(block)
        self._maybe_shadow(block, scores)
        return scores

    async def ascores(self, block: np.ndarray) -> np.ndarray:
        compiled = self._compiled
        if compiled is None:
            return await self.reference.ascores(block)
        if compiled.runs_inline:
            # onnxruntime answers a ten-row call in microseconds: cheaper inline than a thread hop.
            scores = compiled.scores(block)
        else:  # scikit-learn pipeline steps run first: keep them off the event loop
            scores = await self.reference.acall(compiled.scores, block)
        self._maybe_shadow(block, scores)
        return scores

    # -- shadow check ---------------------------------------------------------------------------

    def _maybe_shadow(self, block: np.ndarray, scores: np.ndarray) -> None:
        with self._lock:
            self._shadow_seen += 1
            seen = self._shadow_seen
        if seen > SHADOW_FIRST and seen % SHADOW_EVERY:
            return
        future = self.reference.submit(block.copy())
        future.add_done_callback(lambda done: self._check_shadow(done, scores.copy()))

    def _check_shadow(self, done: Future[np.ndarray], compiled_scores: np.ndarray) -> None:
        if done.cancelled() or done.exception() is not None:
            return
        result = compare(done.result(), compiled_scores)
        with self._lock:
            if self._compiled is None:
                return
            if result.passed:
                self.path = replace(self.path, shadow_checked=self.path.shadow_checked + 1)
                return
            self._compiled = None
            self.path = ServingPath(
                "sklearn",
                f"shadow check: the compiled scorer disagreed with the reference on a live request "
                f"(|diff| {result.max_abs_diff:.3g}, {result.label_flips} label flips); switched back",
                verification=self.path.verification,
                compile_seconds=self.path.compile_seconds,
                shadow_checked=self.path.shadow_checked + 1,
            )
        logger.error("model shadow check failed: %s", self.path.reason)

    # -- compile, verify, swap ------------------------------------------------------------------

    def start(self) -> None:
        """Compiles in a background thread (once); the reference scorer serves meanwhile."""
        with self._lock:
            if self._started or not self.path.reason.startswith("compiling"):
                return
            self._started = True
        threading.Thread(target=self.compile_now, name="model-compile", daemon=True).start()

    def compile_now(self) -> ServingPath:
        """The whole compile -> verify -> swap line, in the calling thread; returns the new path."""
        started = time.perf_counter()
        if not self._initial_reason().startswith("compiling"):
            return self.path  # off, not predict_proba, or a family not worth compiling
        failures: list[tuple[str, ServingPath]] = []
        for precision in PRECISIONS:
            path = self._attempt(precision, started)
            if path.kind == "onnx":
                return path
            failures.append((precision, path))
            if not path.reason.startswith("not compiled: verification failed"):
                break  # a double graph only helps when the float one converted but drifted
        onnx_why = "; ".join(
            f"{precision}: {failed.reason.removeprefix('not compiled: ')}" for precision, failed in failures
        )
        if type(final_step(self._file.estimator)).__name__ in TREELITE_FAMILIES:
            path = self._attempt_treelite(started, onnx_why)
            if path.kind == "treelite":
                return path
            onnx_why = f"onnx {onnx_why}; {path.reason.removeprefix('not compiled: ')}"
        elif len(failures) == 1:
            return failures[0][1]
        return self._keep_reference(onnx_why, failures[-1][1].compile_seconds, failures[0][1].verification)

    def _attempt_treelite(self, started: float, onnx_why: str) -> ServingPath:
        try:
            candidate = TreeliteScorer(self._file.estimator, self._schema.features, self._scorer.positive_index)
        except CompileError as exc:
            return self._keep_reference(f"treelite: {exc}", time.perf_counter() - started)
        path = self.install(candidate, time.perf_counter() - started)
        if path.kind == "treelite":
            with self._lock:
                self.path = replace(path, details={**path.details, "onnx_refused": onnx_why})
            return self.path
        return self._keep_reference(
            f"treelite: {path.reason.removeprefix('not compiled: ')}", path.compile_seconds, path.verification
        )

    def _attempt(self, precision: str, started: float) -> ServingPath:
        features = self._schema.features
        try:
            categorical = frozenset(s.name for s in features.specs if s.is_categorical)
            inputs = graph_inputs(self._file.estimator, features.names, categorical)
            graph = compile_in_subprocess(
                self._file.path,
                inputs,
                len(features.names),
                precision=precision,
                timeout_s=self.options.timeout_s,
                max_bytes=self.options.max_bytes,
                max_memory_bytes=self.options.max_memory_bytes,
                expected_sha256=self._file.sha256,
            )
            candidate = OnnxScorer(graph, inputs, self._scorer.positive_index, precision)
            return self.install(candidate, time.perf_counter() - started)
        except CompileError as exc:
            return self._keep_reference(str(exc), time.perf_counter() - started)
        except Exception as exc:  # noqa: BLE001 - a failed compile must never take serving down
            return self._keep_reference(f"{type(exc).__name__}: {exc}", time.perf_counter() - started)

    def install(self, candidate: Any, compile_seconds: float | None = None) -> ServingPath:
        """Verifies ``candidate`` (anything with ``scores(rows)``) against the reference and swaps it
        in only if it passes."""
        rows = verification_rows(self._schema.features, self._file.estimator, self._schema.baselines)
        result = compare(self.reference.scores(rows), candidate.scores(rows))
        if not result.passed:
            return self._keep_reference(
                f"verification failed: max |diff| {result.max_abs_diff:.3g} (tolerance {TOLERANCE:g}), "
                f"{result.label_flips} label flips on {result.rows} rows",
                compile_seconds,
                result,
            )
        kind = getattr(candidate, "kind", "onnx")
        precision = getattr(candidate, "precision", "float")
        how = (
            f"imported into Treelite (GTIL, {precision} inputs)"
            if kind == "treelite"
            else f"compiled with skl2onnx ({precision} inputs)"
        )
        with self._lock:
            self._compiled = candidate
            self._shadow_seen = 0
            self.path = ServingPath(
                kind,
                f"{how} and verified against the reference scorer",
                verification=result,
                compile_seconds=compile_seconds,
                details={"graph_bytes": getattr(candidate, "graph_bytes", None)},
            )
        logger.info("model compiled: %s, max |diff| %.3g on %d rows", kind, result.max_abs_diff, result.rows)
        return self.path

    def _keep_reference(
        self, why: str, compile_seconds: float | None, result: Verification | None = None
    ) -> ServingPath:
        with self._lock:
            self.path = ServingPath(
                "sklearn", f"not compiled: {why}", verification=result, compile_seconds=compile_seconds
            )
        logger.warning("model served by the reference scorer: %s", why)
        return self.path

    def close(self) -> None:
        self.reference.close()

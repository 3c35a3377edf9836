"""Positive-class scores from a compiled ONNX graph (onnxruntime, one thread per call).

A float graph is fed float32: scikit-learn's trees compare their inputs as float32 too, so a tree
ensemble sees exactly the values it would see in scikit-learn. A double graph is fed float64, for
models (linear, neural) whose arithmetic in float32 drifts past the tolerance. The verifier
(app/ml/runtime/verify.py) decides which one, if any, is exact enough.
"""

from __future__ import annotations

import numpy as np

from app.ml.runtime.onnx_compile import CompileError, GraphInput


class OnnxScorer:
    kind = "onnx"
    runs_inline = True  # a ten-row call takes microseconds

    def __init__(self, graph: bytes, inputs: list[GraphInput], positive_index: int, precision: str = "float"):
        import onnxruntime as ort

        options = ort.SessionOptions()
        # Parallelism comes from serving many requests, not from splitting a 10-row call.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - an unloadable graph just means "not compiled"
            raise CompileError(f"onnxruntime cannot load the graph: {type(exc).__name__}: {exc}") from exc
        outputs = {o.name: o.type for o in self._session.get_outputs()}
        if "probabilities" not in outputs:
            raise CompileError(f"the graph has no probabilities output (outputs: {list(outputs)})")
        # skl2onnx graphs (ZipMap off) give a tensor; CatBoost's own export a sequence of {class: p} maps.
        self._as_maps = outputs["probabilities"].startswith("seq(map")
        self._output = ["probabilities"]
        graph_names = [i.name for i in self._session.get_inputs()]
        if len(graph_names) != len(inputs):
            raise CompileError(f"the graph takes {len(graph_names)} inputs, expected {len(inputs)}")
        # The converter may rename inputs (e.g. "PRCTJE-NPC-S" -> "PRCTJE_NPC_S"); their order is ours.
        self._inputs = [(name, list(gi.columns), gi.text) for name, gi in zip(graph_names, inputs, strict=True)]
        self._positive_index = positive_index
        self.graph_bytes = len(graph)
        self.precision = precision
        self._dtype = np.float64 if precision == "double" else np.float32

    def scores(self, rows: np.ndarray) -> np.ndarray:
        if len(self._inputs) == 1:
            feed = {self._inputs[0][0]: np.asarray(rows, dtype=self._dtype)}
        else:  # one input per column: numbers in the graph's precision, categorical levels as strings
            feed = {name: rows[:, columns].astype(str if text else self._dtype) for name, columns, text in self._inputs}
        (probabilities,) = self._session.run(self._output, feed)
        if self._as_maps:
            return np.array([row[self._positive_index] for row in probabilities], dtype=np.float64)
        return np.asarray(probabilities, dtype=np.float64)[:, self._positive_index]

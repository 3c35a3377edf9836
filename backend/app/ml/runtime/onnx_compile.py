"""Compile a pickled classifier to ONNX in a child process, with a time, memory and size limit.

Conversion runs in ``python -m app.ml.runtime.onnx_compile`` so a huge forest or a converter that hangs
can never stall or crash the API: the parent waits at most ``timeout_s``, the child's address space
is capped, and an output larger than ``max_bytes`` is refused. The child loads the same pickle the
API loaded (joblib, so the same trust rule applies: MODEL_PATH must be a file the operators trust).

skl2onnx converts scikit-learn estimators (pipelines and ColumnTransformers included, one graph
input per column for the latter); the onnxmltools converters are registered for XGBoost and
LightGBM when those libraries are installed. ZipMap is off, so probabilities come out as a tensor.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.ml.model_file import file_sha256
from app.ml.steps import final_step, first_step

BACKEND_DIR = Path(__file__).resolve().parents[3]
# Default opset, and the ai.onnx.ml opset whose TreeEnsemble operators onnxruntime runs everywhere.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


class CompileError(Exception):
    """The model could not be compiled; the message says why (shown in readiness and /model)."""


@dataclass(frozen=True)
class GraphInput:
    """One graph input: ``"X"`` with every column, or one column of a ColumnTransformer."""

    name: str
    columns: tuple[int, ...]
    text: bool = False  # a categorical column, fed as strings


def graph_inputs(estimator: Any, names: list[str], categorical: frozenset[str] = frozenset()) -> list[GraphInput]:
    """A ColumnTransformer selects columns by name, so it gets one input per column (strings for the
    categorical ones); anything else one float matrix."""
    from sklearn.compose import ColumnTransformer

    if isinstance(first_step(estimator), ColumnTransformer):
        return [GraphInput(name, (i,), name in categorical) for i, name in enumerate(names)]
    return [GraphInput("X", tuple(range(len(names))))]


def _register_boosters() -> None:
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes

    options = {"nocl": [True, False], "zipmap": [True, False, "columns"]}
    try:
        from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
        from xgboost import XGBClassifier

        update_registered_converter(
            XGBClassifier,
            "XGBoostXGBClassifier",
            calculate_linear_classifier_output_shapes,
            convert_xgboost,
            options=options,
        )
    except ImportError:
        pass
    try:
        from lightgbm import LGBMClassifier
        from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm

        update_registered_converter(
            LGBMClassifier,
            "LightGbmLGBMClassifier",
            calculate_linear_classifier_output_shapes,
            convert_lightgbm,
            options=options,
        )
    except ImportError:
        pass


def _ints_not_bools() -> None:
    """Newer protobuf refuses a bool in an ONNX integer-list attribute ("Expected an int, got a
    boolean"), which skl2onnx passes for HistGradientBoosting's tree flags; ONNX reads them as 0/1.
    Patched in this child process only."""
    import onnx.helper as helper

    original = helper.make_attribute
    if getattr(original, "ints_not_bools", False):
        return

    def make_attribute(key: str, value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, (list, tuple)) and any(isinstance(v, (bool, np.bool_)) for v in value):
            value = [int(v) if isinstance(v, (bool, np.bool_)) else v for v in value]
        return original(key, value, *args, **kwargs)

    make_attribute.ints_not_bools = True  # type: ignore[attr-defined]
    helper.make_attribute = make_attribute


def _catboost_graph(model: Any, inputs: list[GraphInput], precision: str) -> bytes:
    """CatBoost writes its own ONNX graph (skl2onnx has no converter for it): numeric features only."""
    if precision != "float" or len(inputs) != 1:
        raise CompileError("CatBoost's ONNX export takes one float matrix")
    if model.get_cat_feature_indices():
        raise CompileError("CatBoost's ONNX export does not support categorical features")
    with tempfile.TemporaryDirectory(prefix="unitrack-catboost-") as tmp:
        path = Path(tmp) / "model.onnx"
        model.save_model(str(path), format="onnx")
        return path.read_bytes()


def _members(estimator: Any, name: str) -> list[Any]:
    value = getattr(estimator, name, None)
    if value is None or isinstance(value, str):
        return []
    items = list(np.ravel(np.asarray(value, dtype=object))) if hasattr(value, "shape") else list(value)
    # (name, estimator) pairs in steps/estimators, (name, transformer, columns) in transformers_.
    return [item[1] if isinstance(item, tuple) else item for item in items]


def _walk(estimator: Any) -> Iterator[Any]:
    """The estimator and every estimator nested in it (pipeline steps, ensemble members)."""
    yield estimator
    for name in ("steps", "estimators", "estimators_", "transformers_"):
        for member in _members(estimator, name):
            if hasattr(member, "fit"):
                yield from _walk(member)


def _prepare_for_conversion(estimator: Any) -> None:
    """Settings the converters need that do not change predict_proba (this is the child's own copy)."""
    for part in _walk(estimator):
        if type(part).__name__ == "VotingClassifier":
            part.flatten_transform = False  # only shapes transform(); the converter lacks the flat form
        booster = getattr(part, "get_booster", None)
        if callable(booster) and type(part).__module__.startswith("xgboost"):
            booster().feature_names = None  # the converter reads features as f0, f1, ...


def convert(model_path: Path, inputs: list[GraphInput], n_features: int, precision: str = "float") -> bytes:
    """The ONNX bytes of the pickled model (runs in the child process)."""
    import joblib
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, StringTensorType

    _register_boosters()
    _ints_not_bools()
    estimator = joblib.load(model_path)
    if type(estimator).__name__ == "CatBoostClassifier":
        return _catboost_graph(estimator, inputs, precision)
    _prepare_for_conversion(estimator)
    tensor = DoubleTensorType if precision == "double" else FloatTensorType
    types = [
        (gi.name, (StringTensorType if gi.text else tensor)([None, len(gi.columns) if gi.name == "X" else 1]))
        for gi in inputs
    ]
    if types[0][0] == "X" and len(inputs[0].columns) != n_features:
        raise CompileError("graph input does not cover every feature")
    onx = convert_sklearn(
        estimator,
        initial_types=types,
        target_opset=TARGET_OPSET,
        options={id(final_step(estimator)): {"zipmap": False}},
    )
    graph: bytes = onx.SerializeToString()  # skl2onnx is untyped; this is onnx's ModelProto
    return graph


def compile_in_subprocess(
    model_path: Path,
    inputs: list[GraphInput],
    n_features: int,
    *,
    precision: str,
    timeout_s: float,
    max_bytes: int,
    max_memory_bytes: int,
    expected_sha256: str,
) -> bytes:
    """Runs :func:`convert` in a child process; raises CompileError on a failure, a time-out or a
    graph over ``max_bytes``.

    The child converts a private copy whose sha256 is the one the API loaded: a file replaced on disk
    in the meantime (a deploy, a hot reload) is never compiled in place of the model that serves."""
    with tempfile.TemporaryDirectory(prefix="unitrack-onnx-") as tmp:
        out = Path(tmp) / "model.onnx"
        copy = Path(tmp) / "model.pkl"
        shutil.copyfile(model_path, copy)
        if file_sha256(copy) != expected_sha256:
            raise CompileError("the model file changed on disk after it was loaded; a reload picks the new one up")
        model_path = copy
        spec = json.dumps(
            {
                "inputs": [[gi.name, list(gi.columns), gi.text] for gi in inputs],
                "n_features": n_features,
                "precision": precision,
                "max_memory_bytes": max_memory_bytes,
            }
        )
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        try:
            done = subprocess.run(
                [sys.executable, "-m", "app.ml.runtime.onnx_compile", str(model_path), str(out), spec],
                cwd=BACKEND_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout_s,
            )
        except subprocess.TimeoutExpired as exc:
            raise CompileError(f"ONNX conversion took longer than {timeout_s:g} s") from exc
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
            raise CompileError(f"ONNX conversion failed: {last[:300]}")
        size = out.stat().st_size if out.exists() else 0
        if size == 0:
            raise CompileError("ONNX conversion wrote no graph")
        if size > max_bytes:
            raise CompileError(f"the ONNX graph is {size / 2**20:.0f} MiB, over the {max_bytes / 2**20:.0f} MiB limit")
        return out.read_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Convert a pickled classifier to ONNX (child process).")
    parser.add_argument("model_path", type=Path)
    parser.add_argument("out_path", type=Path)
    parser.add_argument("spec", help="JSON: inputs and n_features")
    args = parser.parse_args(argv)
    spec = json.loads(args.spec)
    # The child caps its own address space (a preexec_fn is unsafe in the API's threaded parent).
    limit = int(spec["max_memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    inputs = [GraphInput(name, tuple(columns), text) for name, columns, text in spec["inputs"]]
    try:
        graph = convert(args.model_path, inputs, int(spec["n_features"]), spec["precision"])
    except Exception as exc:  # noqa: BLE001 - any converter failure is one line for the parent
        print(f"{type(exc).__name__}: {exc}".replace("\n", " "), file=sys.stderr)
        return 1
    args.out_path.write_bytes(graph)
    return 0


if __name__ == "__main__":
    sys.exit(main())

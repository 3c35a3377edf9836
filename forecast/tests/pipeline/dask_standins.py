"""Model stand-ins for the Dask executor tests: a model whose worker dies on its first fit, and one that
always fails. ``RegisterStandIns`` puts them in the model registry of every Dask worker (a worker the
nanny restarts gets them again); the tests put them in the test process's registry themselves."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Self

import numpy as np
from distributed.diagnostics.plugin import WorkerPlugin

from pipelines.models import REGISTRY, Forecaster
from pipelines.models.linear import RidgeModel


class DiesOnFirstFit(RidgeModel):
    """Ridge, except that the very first fit anywhere kills its process (the marker file says it happened)."""

    name = "dies_once"
    marker: Path | None = None

    def fit(self, X: np.ndarray, y: np.ndarray, purge: int = 0) -> Self:
        assert self.marker is not None, "RegisterStandIns sets the marker"
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return super().fit(X, y, purge)
        os.close(fd)
        os._exit(1)  # the worker dies mid-task, as a killed or OOM-ed one would


class AlwaysFails(RidgeModel):
    """Raises on every fit; each attempt leaves a file in ``attempts`` so a test can count the retries."""

    name = "always_fails"
    attempts: Path | None = None

    def fit(self, X: np.ndarray, y: np.ndarray, purge: int = 0) -> Self:
        assert self.attempts is not None, "RegisterStandIns sets the attempts folder"
        (self.attempts / uuid.uuid4().hex).touch()
        raise RuntimeError("the always_fails stand-in refuses to fit")


STAND_INS: tuple[type[Forecaster], ...] = (DiesOnFirstFit, AlwaysFails)


def register_stand_ins(folder: Path) -> None:
    DiesOnFirstFit.marker = folder / "dies_once.marker"
    AlwaysFails.attempts = folder / "always_fails.attempts"
    AlwaysFails.attempts.mkdir(exist_ok=True)
    for cls in STAND_INS:
        REGISTRY[cls.name] = cls


class RegisterStandIns(WorkerPlugin):
    name = "pipeline-test-stand-ins"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def setup(self, worker: object) -> None:
        register_stand_ins(self.folder)

"""The one error every loading step raises when a model file cannot be served."""

from __future__ import annotations


class ModelLoadError(Exception):
    """The model cannot be served; ``reason`` is shown in the engine status."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

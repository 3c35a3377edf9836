"""The published run, as the API reads it: the contract itself lives in `runcontract.run`, which the
pipeline writes with; the API's modules keep importing it from here."""

from runcontract.run import (
    BUNDLE_SCHEMA_VERSION,
    LATEST_POINTER,
    RUN_BUNDLE_FILE,
    RUNS_DIRNAME,
    DataInfo,
    DirectionalSignificance,
    HorizonBaseline,
    RunBundle,
    RunImage,
    RunSummary,
)

__all__ = [
    "BUNDLE_SCHEMA_VERSION",
    "LATEST_POINTER",
    "RUNS_DIRNAME",
    "RUN_BUNDLE_FILE",
    "DataInfo",
    "DirectionalSignificance",
    "HorizonBaseline",
    "RunBundle",
    "RunImage",
    "RunSummary",
]

"""The published run's methodology text and settings."""

from __future__ import annotations

from api.schemas.methodology import MethodologyResponse
from api.services.results import Snapshot


def methodology(snapshot: Snapshot) -> MethodologyResponse:
    summary = snapshot.bundle.summary
    return MethodologyResponse(
        run_id=summary.run_id,
        generated_at=summary.generated_at,
        methodology=summary.methodology,
        parameters=summary.parameters,
    )

"""OpenTelemetry tracing for both services: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.

With the variable set (the standard OpenTelemetry one, e.g. ``http://collector:4318``), every request
becomes a span (opentelemetry-instrumentation-fastapi) exported over OTLP/HTTP in batches, with the
request id as the span attribute ``request.id`` and the trace id bound into every log line of the
request. Tests hand in their own span processor (the SDK's in-memory exporter) instead.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace  # the API only (a FastAPI dependency); the SDK is imported when enabled

ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT"


def enable_tracing(app: FastAPI, service_name: str, span_processor: Any | None = None) -> Any | None:
    """Instruments ``app`` when an OTLP endpoint is configured (or a processor is given); returns the
    tracer provider, or None when tracing stays off."""
    if span_processor is None and not os.environ.get(ENDPOINT_VARIABLE):
        return None
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if span_processor is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_processor = BatchSpanProcessor(OTLPSpanExporter())  # reads the endpoint from the environment
    provider.add_span_processor(span_processor)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, exclude_spans=["receive", "send"])
    return provider


def current_trace_ids() -> dict[str, str]:
    """``trace_id``/``span_id`` of the span in progress, for log lines (empty when not tracing)."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}


def tag_request(request_id: str) -> None:
    """Puts the request id on the span in progress (a no-op when not tracing)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute("request.id", request_id)

"""Forecast's logging is the shared kit's (servicekit/logging.py); this module keeps the name
``api.logging.get_logger`` for the modules that import it from here."""

from __future__ import annotations

from servicekit.logging import configure_logging, get_logger

__all__ = ["configure_logging", "get_logger"]

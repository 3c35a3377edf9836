"""Test-only helpers shared by the backend and forecast suites (never shipped in an image)."""

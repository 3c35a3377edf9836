"""Cross-cutting concerns: settings, security, logging, errors, middleware."""

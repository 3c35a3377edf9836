"""Cross-cutting concerns of UniTrack: settings, security, metrics, the rate limit (logging, errors and
middleware come from servicekit)."""

"""Application services used by the API layer."""

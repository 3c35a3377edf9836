"""Pydantic contracts of the forecast service: the single source of truth for the API, the pipeline's
files and the front end's Zod schemas."""

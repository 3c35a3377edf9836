"""Forecasting pipeline: walk-forward evaluation of nine models over seven horizons, published atomically.

Entry point: ``cd forecast && python -m pipelines.run``. Nothing in this package knows about HTTP; the API
only reads the run directories it publishes (see ``runcontract/run.py``).
"""

"""Model-serving tests: plain pytest, no FastAPI app or database needed."""

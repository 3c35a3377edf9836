"""Model serving internals: card parsing, loading, featurizing, scoring and explanations.

Nothing in this package knows about HTTP; the API layer maps its errors to responses.
"""

"""The forecast run contract: the RunBundle the pipeline writes and the API serves, with every part of it.

`pipelines` writes runs with these types and `api` reads them; neither of those two imports the other.
The API's own request and response models (pages, dashboards, auth, health) stay in `api.schemas`, which
re-exports the run's parts under their old names so the OpenAPI document does not change.
"""

"""The forecast API's request and response models. The run's parts that it serves (forecasts, metrics,
images, the RunBundle) are defined in `runcontract` and re-exported here under the same names; together
they are the source of the OpenAPI document and the front end's Zod schemas."""

-- Each API has a database of its own (each migrates its own schema with Alembic); the image creates
-- POSTGRES_DB (unitrack) itself, this adds the forecast API's on the first start of an empty volume.
CREATE DATABASE forecast OWNER app;

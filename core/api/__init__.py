"""The REST API (`/api/v1`): flask-smorest blueprints of the core."""

#: Where the API is mounted (the core's and every plugin's routes live under it).
API_PREFIX = "/api/v1"

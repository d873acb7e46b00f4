"""The REST API (`/api/v1`): flask-smorest blueprints of the core."""

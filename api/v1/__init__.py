"""The JSON API under /api/v1. Every module here with a `router` is included."""

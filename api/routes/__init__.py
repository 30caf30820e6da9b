"""Pages. Every module here with a `router` is included by `api.app.create_app`."""

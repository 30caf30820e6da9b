"""The ways in: web app, JSON API, command line and process runners."""

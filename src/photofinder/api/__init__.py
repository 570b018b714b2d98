"""The local HTTP API (FastAPI): the same core as the window and the CLI, for scripts and
other apps on this computer. ``app.create_app`` builds it; ``server`` runs it."""

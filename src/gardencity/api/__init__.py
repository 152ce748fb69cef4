"""The HTTP API (FastAPI): thin routes over the campaign service. Build it with
:func:`gardencity.app.create_app` (which also mounts the web pages)."""

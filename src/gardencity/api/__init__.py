"""The HTTP API (FastAPI): thin routes over the campaign service. Build it with
:func:`gardencity.api.app.create_app`."""

"""`reef serve`: run the API server."""

from __future__ import annotations

import contextlib
import logging.config

import typer

from reef.cli.main import app


@app.command()
def serve(
    host: str | None = typer.Option(None, help="interface to bind (default: settings.host)"),
    port: int | None = typer.Option(None, help="TCP port (default: settings.port)"),
) -> None:
    """Serve the OpenAI- and MiniMax-compatible API (settings from REEF_* env and reef.toml)."""
    import uvicorn

    from reef.api.app import create_app
    from reef.http.logging import logging_config
    from reef.ops.drain import DrainingServer
    from reef.settings import Settings

    overrides = {name: value for name, value in (("host", host), ("port", port)) if value}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    config = logging_config(settings.log_level)
    logging.config.dictConfig(config)
    app = create_app(settings)
    server = DrainingServer(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_config=config,
            access_log=False,
            timeout_graceful_shutdown=settings.shutdown_grace_s,
        ),
        app,
    )
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C after a clean shutdown, as uvicorn.run
        server.run()

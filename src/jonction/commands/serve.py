"""`jonction serve`: the dashboard, on the loopback address unless told otherwise."""

from __future__ import annotations

import typer

from .common import ConfigOption, console, err_console, settings_or_exit


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    config: ConfigOption = None,
    host: str | None = typer.Option(
        None, help="Address to listen on. Default: [web] host (127.0.0.1)."
    ),
    port: int | None = typer.Option(None, help="Port. Default: [web] port (8000)."),
) -> None:
    """Serve the dashboard: nights, operations, tonight's plan, explain, anomalies.

    Accounts are made with `jonction web-user add`. Listening beyond the loopback address
    needs TLS ([web] tls_certfile) or a reverse proxy ([web] proxy_addresses).
    """
    # The dashboard's libraries are loaded only to serve it, not at every command.
    import uvicorn

    from ..web.app import create_app, secure_cookies

    settings = settings_or_exit(config)
    if host is not None:
        settings.web.host = host
    if port is not None:
        settings.web.port = port
    web = settings.web
    if secure_cookies(settings) and not (web.tls_certfile or web.proxy_addresses):
        err_console.print(
            f"[yellow]warning[/]: {web.host} is not a loopback address and neither TLS "
            "([web] tls_certfile) nor a reverse proxy ([web] proxy_addresses) is set: "
            "passwords would cross the network in clear and browsers will not return the "
            "Secure session cookie over plain HTTP."
        )
    app = create_app(settings)
    scheme = "https" if web.tls_certfile else "http"
    console.print(f"dashboard on {scheme}://{web.host}:{web.port}/", highlight=False)
    uvicorn.run(
        app,
        host=web.host,
        port=web.port,
        ssl_certfile=str(web.tls_certfile) if web.tls_certfile else None,
        ssl_keyfile=str(web.tls_keyfile) if web.tls_keyfile else None,
        # X-Forwarded-* are read by the dashboard itself, only from [web] proxy_addresses.
        proxy_headers=False,
        server_header=False,
        log_level="info",
    )

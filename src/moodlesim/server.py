"""Serving the simulator over HTTP with uvicorn."""

from __future__ import annotations

import json
import socket
import sys

import uvicorn

from .app import create_app
from .config import SimulatorConfig
from .simulator import Simulator


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket; port 0 picks a free port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it; without it every answer waits for a delayed ACK (40 ms).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def uvicorn_server(simulator: Simulator, log_level: str = "warning") -> uvicorn.Server:
    app = create_app(simulator=simulator)
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
        # Hanging calls (faults) must not hold the shutdown for minutes.
        timeout_graceful_shutdown=2,
        backlog=2048,
    )
    return uvicorn.Server(config)


def serve(
    config: SimulatorConfig,
    host: str = "127.0.0.1",
    port: int = 8765,
    announce: bool = False,
    log_level: str = "warning",
) -> None:
    """Runs the simulator until interrupted. `announce` prints {"url": …} once bound."""
    simulator = Simulator(config)
    sock = bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    url = f"http://{bound_host}:{bound_port}"
    if announce:
        print(json.dumps({"url": url}), flush=True)
    else:
        print(f"Moodle simulator on {url}/webservice/rest/server.php", file=sys.stderr, flush=True)
    try:
        uvicorn_server(simulator, log_level).run(sockets=[sock])
    finally:
        simulator.close()
        sock.close()

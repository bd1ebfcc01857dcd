"""Debian's Chromium driven by Playwright, and the dashboard served by uvicorn in a thread."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette

CHROMIUM = Path("/usr/bin/chromium")
# Without the networking flags Chromium stalls on a closed network, waiting for its services.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


def ensure_chromium() -> Path:
    """Installs Debian's chromium when missing (CI machines start without it)."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.fail("chromium is missing and cannot be installed here (needs root and apt-get)")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(command, env=environment, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Serves `app` on a free loopback port in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the dashboard did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def browser_page(locale: str = "fr-FR") -> Iterator[object]:
    """A page of a fresh headless Chromium profile."""
    from playwright.sync_api import sync_playwright

    executable = ensure_chromium()
    profile = tempfile.mkdtemp(prefix="jonction-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=str(executable),
                args=CHROMIUM_ARGS,
                headless=True,
                locale=locale,
                viewport={"width": 1366, "height": 900},
            )
            context.set_default_timeout(15_000)
            try:
                yield context.pages[0] if context.pages else context.new_page()
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(page: object, name: str, full_page: bool = True) -> Path:
    """The page (or only what the window shows: long pages for the documentation)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
    return path

"""Every recorded exchange with a real Moodle 4.1, replayed in order against a fresh simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from .sim_replay import IdMap, check, load
from .sim_support import SimClient


def replay(sim: SimClient, path: Path) -> int:
    ids = IdMap()
    exchanges = load(path)
    for exchange in exchanges:
        sim.admin("settings", debug="1" if exchange.debug else "0")
        response = sim.post(ids.translate(exchange))
        check(exchange, ids, response.status_code, response.headers["content-type"], response.text)
    # A fresh simulator hands out the same ids as the fresh Moodle, burnt ones included.
    for kind, mapping in ids.maps.items():
        moved = {
            recorded: simulated for recorded, simulated in mapping.items() if recorded != simulated
        }
        assert not moved, f"{path.name}: {kind} ids differ from the recording: {moved}"
    return len(exchanges)


@pytest.mark.parametrize("name", ["transcripts.jsonl", "transcripts2.jsonl"])
def test_transcript_replays_identically(name: str, sim: SimClient, moodle_reference: Path) -> None:
    assert replay(sim, moodle_reference / name) > 20

"""The administrator's page lists exactly the functions the client calls."""

from __future__ import annotations

import re

from jonction.moodle import REQUIRED_FUNCTIONS

from ..conftest import REPO


def test_documented_function_list_is_the_clients() -> None:
    text = (REPO / "docs" / "moodle-setup.md").read_text(encoding="utf-8")
    block = text.split("<!-- functions:", 1)[1].split("```", 2)[1]
    documented = [line.strip() for line in block.splitlines() if line.strip()]
    assert documented == sorted(REQUIRED_FUNCTIONS)


def test_every_required_function_has_its_capabilities_documented() -> None:
    text = (REPO / "docs" / "moodle-setup.md").read_text(encoding="utf-8")
    table = text.split("## 3.", 1)[1].split("## 4.", 1)[0]
    for function in REQUIRED_FUNCTIONS:
        if function == "core_webservice_get_site_info":
            continue  # needs only webservice/rest:use
        family = re.sub(r"^(core_group)_.*", r"\1_*", function)
        assert function in table or family in table, function

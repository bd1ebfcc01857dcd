"""The synthetic university: an Apogée-shaped database, its LDAP directory and its ADE timetable.

`generate(url, students, seed, year, ldif, ade)` writes a whole university; `evolve(url, seed,
rollover, ldif, ade)` applies one night of change to it. Both are deterministic: the same seed
and inputs give the same rows and byte-identical files. See docs/generator.md.

Files written by `generate` (defaults beside an SQLite file `X.db`, else under `var/`):

- the database: Apogée's tables with Apogée's names (`jonction.sources.apogee.schema`);
- `X.ldif`: the directory, SupAnn 2021 + eduPerson, base `dc=univ-exemple,dc=fr`;
- `X-ade/getResources.xml`, `X-ade/getEvents.xml`: ADE web API answers (detail 11 and 8),
  with `X-ade/project.json` and `X-ade/README.md` stating the project id and slot layout.

Modules: `model` (plain values, random streams), `labels` (French labels and their damage),
`codes` (fixed-width codes), `catalogue` (composantes, diplômes, étapes, the list DAG),
`dirt` (catalogue faults), `graph` (walks), `population` (students, registrations, groups,
teachers), `apogee_rows` / `apogee_writer` / `regroupe` (database), `directory` (LDIF),
`ade` (timetable), `census` (figures counted back from the database), `evolve`.
"""

from .apogee_writer import DatabaseNotEmpty
from .generate import SMALL_PRESET, GenerationSummary, default_paths, generate

__all__ = [
    "SMALL_PRESET",
    "DatabaseNotEmpty",
    "GenerationSummary",
    "default_paths",
    "generate",
]

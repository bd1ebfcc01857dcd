"""Tables of the state database (`[state] url`)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("command", String(40), nullable=False),
    Column("steps", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("host", String(255), nullable=False, default=""),
    Column("pid", Integer, nullable=False, default=0),
    Column("forced", JSON, nullable=False, default=list),
    Column("summary", JSON, nullable=False, default=dict),
)

step_runs = Table(
    "step_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("step", String(40), nullable=False),
    Column("mode", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("counts", JSON, nullable=False, default=dict),
    Column("stats", JSON, nullable=False, default=dict),
    Column("calls", JSON, nullable=False, default=dict),
    Column("guards", JSON, nullable=False, default=list),
    Column("error", Text, nullable=False, default=""),
    Column("basis", String(64), nullable=False, default=""),
    Index("ix_step_runs_run", "run_id"),
)

operations = Table(
    "operations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("step_run_id", Integer, ForeignKey("step_runs.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("action", String(20), nullable=False),
    Column("key", String(512), nullable=False),
    Column("label", String(512), nullable=False, default=""),
    Column("scope", String(255), nullable=False, default=""),
    Column("before", JSON),
    Column("after", JSON),
    Column("reason", Text, nullable=False, default=""),
    Column("source", JSON, nullable=False, default=dict),
    Column("outcome", String(20), nullable=False),
    Column("message", Text, nullable=False, default=""),
    Column("moodle_id", Integer),
    Index("ix_operations_step_run", "step_run_id"),
    Index("ix_operations_key", "kind", "key"),
)

notices = Table(
    "notices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("step_run_id", Integer, ForeignKey("step_runs.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(60), nullable=False),
    Column("key", String(512), nullable=False),
    Column("message", Text, nullable=False),
    Column("severity", String(10), nullable=False),
    Column("data", JSON, nullable=False, default=dict),
    Index("ix_notices_step_run", "step_run_id"),
)

# Objects jonction created or adopted in Moodle, with their Moodle id and last known state:
# ownership ("only ever change what it manages") and the known state that makes quiet nights
# cheap.
managed = Table(
    "managed",
    metadata,
    Column("kind", String(40), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("moodle_id", Integer),
    Column("data", JSON, nullable=False, default=dict),
    Column("created_run", Integer),
    Column("updated_run", Integer),
    Column("updated_at", DateTime),
)

# Small persistent settings of the running service (pause windows…).
flags = Table(
    "flags",
    metadata,
    Column("name", String(60), primary_key=True),
    Column("value", JSON, nullable=False),
)

# Accounts of the dashboard. `password_hash` is an argon2 hash, empty for accounts that log in
# only through a trusted reverse proxy; `composantes` restricts what a scolarité account sees;
# `generation` grows on every change of password or role, which ends the account's sessions.
web_accounts = Table(
    "web_accounts",
    metadata,
    Column("username", String(255), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("composantes", JSON, nullable=False, default=list),
    Column("display_name", String(255), nullable=False, default=""),
    Column("password_hash", String(255), nullable=False, default=""),
    Column("generation", Integer, nullable=False, default=1),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("last_login_at", DateTime),
)

# Write-ahead record of the Moodle objects a step is about to create: the key of each object
# is written before the create call and removed once the answer is known. An object found in
# Moodle under a key still intended was created by a run that stopped before it could record
# it: the next run recognises it as jonction's own instead of taking it for a hand-made one.
intents = Table(
    "intents",
    metadata,
    Column("kind", String(40), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("run_id", Integer),
    # What must match in Moodle (idnumber, shortname…) and the record to keep once created.
    Column("data", JSON, nullable=False, default=dict),
    Column("created_at", DateTime, nullable=False),
)

# Complementary spaces: courses made on demand outside the catalogue, registered with their
# owner, purpose, the students they take and the day their cohort-based access ends.
spaces = Table(
    "spaces",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("moodle_id", Integer, nullable=False),
    Column("shortname", String(255), nullable=False, default=""),
    Column("idnumber", String(100), nullable=False, default=""),
    Column("fullname", String(255), nullable=False, default=""),
    Column("owner", String(255), nullable=False),
    Column("purpose", Text, nullable=False, default=""),
    Column("composante", String(40), nullable=False, default=""),
    Column("etapes", JSON, nullable=False, default=list),
    Column("cohorts", JSON, nullable=False, default=list),
    Column("ends_on", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ux_spaces_moodle_id", "moodle_id", unique=True),
)

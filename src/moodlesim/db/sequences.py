"""Id sequences that, like PostgreSQL's, are not rolled back with a failed transaction."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from . import schema

# sequence name -> table whose ids it gives
SEQUENCES: dict[str, str] = {
    "course_categories": "mdl_course_categories",
    "course": "mdl_course",
    "user": "mdl_user",
    "groups": "mdl_groups",
    "groupings": "mdl_groupings",
    "cohort": "mdl_cohort",
    "enrol": "mdl_enrol",
    "context": "mdl_context",
}
# Orders courses inside their category (not an id): newest first, moved ones last.
COURSE_ORDER = "course_order"


class Sequences:
    """The next value of every sequence, kept in memory and saved in sim_meta."""

    def __init__(self, values: dict[str, int]) -> None:
        self.values = values
        self.touched: set[str] = set()

    @classmethod
    def load(cls, connection: Connection) -> Sequences:
        rows = connection.execute(select(schema.meta.c.name, schema.meta.c.value)).all()
        stored = {name[4:]: int(value) for name, value in rows if name.startswith("seq.")}
        values: dict[str, int] = {}
        for name, table_name in SEQUENCES.items():
            table = schema.metadata.tables[table_name]
            highest = connection.execute(select(func.max(table.c.id))).scalar() or 0
            values[name] = max(stored.get(name, 1), highest + 1)
        values[COURSE_ORDER] = stored.get(COURSE_ORDER, 1)
        return cls(values)

    def next(self, name: str) -> int:
        value = self.values[name]
        self.values[name] = value + 1
        self.touched.add(name)
        return value

    def save(self, connection: Connection) -> None:
        """Writes the sequences used since the last save."""
        for name in sorted(self.touched):
            key = f"seq.{name}"
            value = str(self.values[name])
            updated = connection.execute(
                schema.meta.update().where(schema.meta.c.name == key).values(value=value)
            ).rowcount
            if not updated:
                connection.execute(schema.meta.insert().values(name=key, value=value))
        self.touched.clear()

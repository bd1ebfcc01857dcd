"""What a web service function receives: the database, the clock, ids, and its cost meter."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from .costs import CostMeter
from .db.sequences import Sequences

# Site administrators in the fresh site: admin and the web service user.
SITE_ADMINS = frozenset({2, 3})
GUEST_USER_ID = 1
SITE_COURSE_ID = 1


@dataclass
class Call:
    conn: Connection
    now: int
    sequences: Sequences
    cost: CostMeter
    site_url: str
    # The functions of the token's service, in the service's order.
    service: tuple[str, ...] = ()

    def new_id(self, sequence: str) -> int:
        return self.sequences.next(sequence)

    def picture_url(self, size: str) -> str:
        return f"{self.site_url}/theme/image.php/boost/core/1/u/{size}"

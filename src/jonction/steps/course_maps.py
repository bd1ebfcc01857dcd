"""The offer's course maps (which course each (element, étape) leads to, per year), as the
steps that look courses up need them: computed once per run, the same for all of them."""

from __future__ import annotations

from ..config import Settings
from ..domain.catalogue import desired_catalogue
from ..domain.course_map import CourseMap
from ..domain.refer_model import ReferSnapshot
from .base import StepContext


def course_maps(settings: Settings, snapshots: list[ReferSnapshot]) -> dict[str, CourseMap]:
    """The courses the offer step wants, per year: the whole catalogue's maps, so that a course
    the catalogue leaves out (a shortname another course takes) is left out here too."""
    return desired_catalogue(snapshots, settings.policy).course_maps


KEY = "offer.course_maps"


def share_course_maps(ctx: StepContext, maps: dict[str, CourseMap]) -> None:
    """The offer step's own maps, of the run's snapshots: the later steps take them."""
    ctx.share(KEY, maps)


async def shared_course_maps(
    ctx: StepContext, snapshots: list[ReferSnapshot]
) -> dict[str, CourseMap]:
    """`course_maps` of the run's REFER snapshots: the offer step's, or computed by the first
    step that asks."""

    async def compute() -> dict[str, CourseMap]:
        return course_maps(ctx.settings, snapshots)

    return await ctx.shared_value(KEY, compute)

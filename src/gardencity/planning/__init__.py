"""Planning help: where new pocket parks lift service-radius coverage most, and which roads
to shade first."""

from gardencity.planning.pocket_parks import PocketParkPlan, plan_pocket_parks
from gardencity.planning.shading import shading_priorities

__all__ = ["PocketParkPlan", "plan_pocket_parks", "shading_priorities"]

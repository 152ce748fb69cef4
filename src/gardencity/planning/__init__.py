"""Planning help: where new pocket parks lift service-radius coverage most."""

from gardencity.planning.pocket_parks import PocketParkPlan, plan_pocket_parks

__all__ = ["PocketParkPlan", "plan_pocket_parks"]

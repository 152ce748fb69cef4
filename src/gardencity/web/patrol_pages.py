"""The patrol teams page: teams with their leaders, members and zones (分片), and the key
sites (重点地段 / 重点单位) with who watches each; the campaign office and the districts keep
them here (data from the JSON API)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gardencity.auth.models import User
from gardencity.auth.permissions import PERMISSIONS, UnitTree, scope_units
from gardencity.db.engine import Database
from gardencity.web.pages import login_redirect, page_user, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/patrol-teams")
def patrol_teams_page(request: Request) -> Response:
    user = page_user(request)
    if user is None:
        return login_redirect(request)
    if user.role not in {str(r) for r in PERMISSIONS["patrol.view"]}:
        return RedirectResponse("/", status_code=303)
    can_manage = user.role in {str(r) for r in PERMISSIONS["patrol.manage"]}
    db: Database = request.app.state.db
    with db.session() as session:  # a district's coordinator chooses among its units, people
        actor = session.get(User, user.id)
        units = scope_units(actor, UnitTree.from_session(session)) if actor else set()
    scope = {"scope_units": None if units is None else sorted(units)}
    return render(request, "patrol-teams", user, can_manage=can_manage, data=scope)

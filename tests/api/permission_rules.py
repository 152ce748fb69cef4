"""The permission matrix's terms: the roles and the users who hold them, a request's context
and a route's rule (who may call it, how to call it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests._campaign import CampaignEnv

ROLES = {
    "admin": "admin",
    "coordinator": "coord1",
    "officer": "officer11",
    "inspector": "inspector",
    "leader": "leader",
    "resident": "resident",
}
ALL = set(ROLES)
STAFF = ALL - {"resident"}
PUBLIC = "public"


@dataclass
class Ctx:
    env: CampaignEnv
    case_id: int
    attachment_id: int
    target_id: int
    reference: str = ""
    token: str = ""
    run_id: int = 0
    admin_token_id: int = 0
    api_key_id: int = 0
    public_id: str = ""


@dataclass(frozen=True)
class Rule:
    allowed: set[str] | str  # role names, or PUBLIC (anonymous too)
    request: Callable[[Ctx], dict[str, Any]]
    hidden_from: frozenset[str] = frozenset()  # roles that get 404 (outside scope)

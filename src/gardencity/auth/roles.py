"""The roles a user can hold; what each may do is :mod:`gardencity.auth.permissions`."""

from __future__ import annotations

from enum import StrEnum

from gardencity.messages import Catalogue, Message

__all__ = ["Role", "role_label"]


class Role(StrEnum):
    ADMIN = "admin"  # 创园办管理员 campaign office
    COORDINATOR = "coordinator"  # 区级协调员 district coordinator
    OFFICER = "officer"  # 责任单位经办人 unit officer
    INSPECTOR = "inspector"  # 督查/巡查员 inspector, patrol member
    LEADER = "leader"  # 包挂领导 leader
    RESIDENT = "resident"  # 市民


def role_label(role: str) -> Message:
    """The role's name in both languages (the code itself for a role the catalogue lacks)."""
    pairs = Catalogue(__package__).pairs()
    return Message(pairs.get(f"role.{role}", (str(role), str(role))))

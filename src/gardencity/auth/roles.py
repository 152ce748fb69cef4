"""The roles a user can hold; what each may do is :mod:`gardencity.auth.permissions`."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Role"]


class Role(StrEnum):
    ADMIN = "admin"  # 创园办管理员 campaign office
    COORDINATOR = "coordinator"  # 区级协调员 district coordinator
    OFFICER = "officer"  # 责任单位经办人 unit officer
    INSPECTOR = "inspector"  # 督查/巡查员 inspector, patrol member
    LEADER = "leader"  # 包挂领导 leader
    RESIDENT = "resident"  # 市民

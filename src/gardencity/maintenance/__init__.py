"""Maintenance inspections (养护检查): check-lists per site type, scores per site, unit and
district, the failed items filed as cases, and the weekly patrol and maintenance summary."""

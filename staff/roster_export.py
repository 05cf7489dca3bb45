"""Roster export: the same columns the import reads, so an export re-imports with nothing changed.

Cells are formula-safe (core.csvsafe); the import undoes that prefix, and job roles and employment
statuses are written by their names, which the import accepts.
"""

import datetime
from collections.abc import Iterator

from audits.services import record_event
from core.csvsafe import safe_csv_writer

from .models import StaffMember
from .roster_import import ALL_COLUMNS


class _Line:
    """A file-like object whose write() hands the CSV line back (for streaming)."""

    def write(self, value):
        return value


def _date(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def roster_csv_lines(organization) -> Iterator[str]:
    writer = safe_csv_writer(_Line())
    yield writer.writerow(ALL_COLUMNS)
    qs = (StaffMember.objects.filter(organization=organization).select_related("manager")
          .order_by("full_name", "pk"))
    for staff in qs.iterator(chunk_size=2000):
        yield writer.writerow([
            staff.full_name, staff.work_email, staff.get_job_role_display(), staff.get_employment_status_display(),
            _date(staff.start_date), _date(staff.end_date), staff.manager.work_email if staff.manager_id else "",
        ])


def roster_export(*, organization, acting_user) -> Iterator[str]:
    """Record the download (who took the roster, when) before the first line leaves."""
    record_event("staff.roster_exported", actor=acting_user, organization=organization,
                 object_type="staff.roster", object_label="roster export",
                 changes={"rows": StaffMember.objects.filter(organization=organization).count()})
    return roster_csv_lines(organization)

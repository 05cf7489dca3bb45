"""The daily job's part: terminate people whose end date has passed (flagging their accounts),
then re-evaluate every finding, so overdue deactivations and expired exceptions show up."""

from hygiene.services import register_hygiene_check


@register_hygiene_check("access_findings")
def access_findings_check(organization, now) -> dict:
    from staff.services import staff_end_dates_passed

    from .services import evaluation_deferred, findings_evaluate_organization

    with evaluation_deferred(evaluate_after=False):  # evaluated once just below, not once per leaver
        leavers = staff_end_dates_passed(organization=organization, today=now.date())
    counts = findings_evaluate_organization(organization=organization, now=now)
    return {"leavers_flagged": leavers, "findings_opened": counts["opened"], "findings_resolved": counts["resolved"],
            "findings_open": counts["open"]}

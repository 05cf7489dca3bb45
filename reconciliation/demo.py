"""Demo only: one portal's user list already compared, so the reconciliation page has differences to
resolve: a desk login the portal has and PortalGov does not, an account the portal no longer lists,
and one recorded with other functions. Idempotent: a practice that has a list is left alone."""

from access.models import AccountStatus, PortalAccount

from .models import UserListUpload
from .services import mapping_save, user_list_compare

HEADER = ["User ID", "Name", "Status", "Last Login", "Roles"]


def seed_demo_reconciliation(organization) -> None:
    if UserListUpload.objects.filter(organization=organization).exists():
        return
    accounts = list(PortalAccount.objects.filter(organization=organization, status=AccountStatus.ACTIVE)
                    .exclude(portal_user_id="").select_related("staff_member", "enrollment__portal")
                    .prefetch_related("functions").order_by("enrollment_id", "pk"))
    if not accounts:
        return
    enrollment = accounts[0].enrollment
    on_portal = [a for a in accounts if a.enrollment_id == enrollment.pk]
    rows, listed = [], set()
    for n, account in enumerate(on_portal):
        if account.portal_user_id.lower() in listed:
            continue  # a login two people share is one row on the portal
        listed.add(account.portal_user_id.lower())
        if n == 1 and len(on_portal) > 2:
            continue  # the portal no longer lists this one: "missing"
        names = [f.name for f in account.functions.all()]
        if n == 0:
            names = names + ["Remittance / ERA"] if "Remittance / ERA" not in names else names[:-1]
        last = account.last_login_attested.isoformat() if account.last_login_attested else ""
        rows.append([account.portal_user_id, account.staff_member.full_name, "Active", last, "; ".join(names)])
    rows.append(["frontdesk.shared", "Front Desk", "Active", "", "Eligibility & benefits"])
    data = "\n".join(",".join(f'"{c}"' for c in row) for row in [HEADER, *rows]) + "\n"
    mapping_save(enrollment=enrollment, columns={"user_id": "User ID", "full_name": "Name", "status": "Status",
                                                 "last_login": "Last Login", "functions": "Roles"},
                 headers=HEADER, acting_user=None)
    user_list_compare(enrollment=enrollment, data=data.encode(), filename=f"{enrollment.portal.name} users.csv",
                      acting_user=None)

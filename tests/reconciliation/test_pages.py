"""Reconciliation pages: upload with the mapping step once, then one click; resolve in place; roles;
flat query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reconciliation.models import Difference, UserListMapping

from ..staff.factories import make_enrollment, make_portal, make_staff

CSV = b"Login,Full Name,Account Status,Dept\nghost.user,Ghost User,Active,Front\n"


def _post_file(client, url, data=CSV, name="users.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(url, {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def test_first_upload_maps_columns_then_the_next_is_one_click(world, client_for):
    enrollment = make_enrollment(world.org, make_portal("OneHealthPort"))
    client = client_for(world.alice)
    base = f"/o/{world.org.slug}/reconciliation/enrollments/{enrollment.pk}"
    response = _post_file(client, f"{base}/upload/")
    assert response.status_code == 302 and response["Location"].endswith("/columns/")
    page = client.get(f"{base}/columns/")
    assert page.context["form"].initial.get("user_id", page.context["form"]["user_id"].initial) in ("Login",)
    response = client.post(f"{base}/columns/", {"user_id": "Login", "full_name": "Full Name",
                                                "status": "Account Status"})
    assert response.status_code == 302 and "/reconciliation/lists/" in response["Location"]
    assert UserListMapping.objects.get().ignored == ["Dept"]
    assert Difference.objects.get().kind == "orphan"
    # Next time: straight to the comparison.
    response = _post_file(client, f"{base}/upload/")
    assert response.status_code == 302 and "/reconciliation/lists/" in response["Location"]
    detail = client.get(response["Location"])
    assert "ghost.user" in detail.content.decode()


def test_a_bad_file_shows_its_problems_on_the_page(world, client_for):
    enrollment = make_enrollment(world.org, make_portal("OneHealthPort"))
    UserListMapping.objects.create(organization=world.org, portal=enrollment.portal,
                                   columns={"user_id": "Login"}, ignored=["Full Name", "Account Status", "Dept"])
    client = client_for(world.alice)
    response = _post_file(client, f"/o/{world.org.slug}/reconciliation/enrollments/{enrollment.pk}/upload/",
                          data=CSV + b"ghost.user,Again,Active,Front\n")
    assert response.status_code == 200
    assert "duplicate user ID ghost.user" in response.content.decode()
    assert not Difference.objects.exists()


def test_resolving_in_place_from_the_page(world, client_for):
    enrollment = make_enrollment(world.org, make_portal("OneHealthPort"))
    UserListMapping.objects.create(organization=world.org, portal=enrollment.portal,
                                   columns={"user_id": "Login"}, ignored=["Full Name", "Account Status", "Dept"])
    client = client_for(world.alice)
    response = _post_file(client, f"/o/{world.org.slug}/reconciliation/enrollments/{enrollment.pk}/upload/")
    diff = Difference.objects.get()
    url = f"/o/{world.org.slug}/reconciliation/differences/{diff.pk}/resolve/"
    bad = client.post(url, {"resolution": "accepted", "reason": "no"}, follow=True)
    assert "Nothing changed" in bad.content.decode()
    diff.refresh_from_db()
    assert diff.status == "open"
    client.post(url, {"resolution": "accepted", "reason": "Vendor's support login, under contract"})
    diff.refresh_from_db()
    assert diff.status == "resolved" and diff.resolution == "accepted"
    assert response.status_code == 302


def test_roles_and_other_practices(world, client_for):
    enrollment = make_enrollment(world.org, make_portal("OneHealthPort"))
    base = f"/o/{world.org.slug}/reconciliation/"
    assert client_for(world.carol).get(base).status_code == 200  # auditors read
    assert client_for(world.carol).get(f"{base}enrollments/{enrollment.pk}/upload/").status_code == 403
    assert client_for(world.oscar).get(base).status_code == 403
    other = make_enrollment(world.other_org, make_portal("Elsewhere"))
    assert client_for(world.alice).get(f"{base}enrollments/{other.pk}/upload/").status_code == 404


@pytest.mark.parametrize("n", [1])
def test_the_index_and_list_query_counts_do_not_grow_with_rows(world, client_for, n):
    client = client_for(world.alice)

    def measure(count):
        for i in range(count):
            make_enrollment(world.org, make_portal(f"Portal Q{count}-{i}"))
        client.get(f"/o/{world.org.slug}/reconciliation/")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/o/{world.org.slug}/reconciliation/").status_code == 200
        return len(ctx.captured_queries)

    assert measure(2) == measure(25)


def test_differences_page_query_count_is_flat(world, client_for):
    from reconciliation.services import user_list_compare

    enrollment = make_enrollment(world.org, make_portal("OneHealthPort"))
    UserListMapping.objects.create(organization=world.org, portal=enrollment.portal,
                                   columns={"user_id": "Login"}, ignored=[])
    client = client_for(world.alice)

    def measure(count):
        data = "Login\n" + "".join(f"ghost{count}-{i}\n" for i in range(count))
        upload = user_list_compare(enrollment=enrollment, data=data.encode(), filename="u.csv", acting_user=world.alice)
        make_staff(world.org)
        url = f"/o/{world.org.slug}/reconciliation/lists/{upload.pk}/"
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    assert measure(3) == measure(40)

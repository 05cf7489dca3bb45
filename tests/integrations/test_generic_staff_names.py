"""Issue 16: the API refuses a desk or role name as a staff member, with a field error."""

from staff.models import StaffMember


def test_the_api_refuses_a_generic_name_with_a_field_error(world, make_credential, api):
    from accounts import roles

    _, token = make_credential(roles.VIEW_STAFF, roles.MANAGE_STAFF, name="HR")
    response = api(token).post(f"/api/v1/o/{world.org.slug}/staff/upsert/",
                               {"work_email": "desk@cascade.example", "full_name": "Front Desk", "job_role": "front_desk"})
    assert response.status_code == 400
    assert "desk or role name" in str(response.json())
    assert not StaffMember.objects.exists()

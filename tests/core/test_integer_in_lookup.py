"""`pk__in` with numbers no row can hold (core.lookups): they match nothing, never an OverflowError."""

from accounts.models import Organization
from tests.factories import OrganizationFactory

HUGE = 99999999999999999999  # above 64 bits


def test_an_impossible_id_matches_nothing_and_the_others_still_match(db):
    org = OrganizationFactory()
    assert list(Organization.objects.filter(pk__in=[HUGE])) == []
    assert list(Organization.objects.filter(pk__in=[HUGE, -HUGE, org.pk])) == [org]
    assert list(Organization.objects.filter(pk__in=[str(HUGE), str(org.pk)])) == [org]  # as a form posts them
    assert list(Organization.objects.exclude(pk__in=[HUGE])) == [org]


def test_the_access_form_refuses_an_impossible_custodian_with_a_field_error(db):
    from access.forms import CredentialForm

    org = OrganizationFactory()
    form = CredentialForm({"kind": "other", "label": "x", "login_id": "x", "custodians": [str(HUGE)]},
                          organization=org)
    assert not form.is_valid() and "custodians" in form.errors

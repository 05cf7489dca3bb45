"""The audit page's action menu: read from the log once, then from the cache for ACTION_MENU_SECONDS."""

import pytest
from django.core.cache import cache

from audits import selectors
from audits.services import record_event

pytestmark = pytest.mark.django_db


def _values(choices):
    return {value for _group, options in choices for value, _label in options}


def test_menu_lists_the_practice_actions_and_is_then_served_without_a_query(world, django_assert_num_queries):
    record_event("staff.created", organization=world.org, message="one")
    record_event("auth.login", organization=world.other_org, message="another practice")
    first = selectors.action_choices(world.org.pk)
    assert "staff.created" in _values(first) and "auth.login" not in _values(first)
    record_event("portal_account.updated", organization=world.org, message="new kind")
    with django_assert_num_queries(0):
        again = selectors.action_choices(world.org.pk)
    assert again == first  # a new kind joins the menu when the cached copy expires
    cache.delete(f"audits:action-menu:{world.org.pk}")
    assert "portal_account.updated" in _values(selectors.action_choices(world.org.pk))

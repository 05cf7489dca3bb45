"""The findings list writes its rows in Python: the stamps read exactly as the template's |date:"Y-m-d H:i T"."""

import datetime
import zoneinfo

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone

from findings.views import STAMP, _stamp

UTC = datetime.UTC


@pytest.mark.parametrize("zone", ["America/New_York", "America/Los_Angeles", "UTC", "Asia/Kolkata"])
def test_stamps_read_as_the_date_filter_in_the_practice_zone_even_across_clock_changes(zone):
    moments = [
        datetime.datetime(2026, 3, 8, 6, 59, tzinfo=UTC), datetime.datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
        datetime.datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime.datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
        datetime.datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), datetime.datetime(2001, 1, 2, 3, 4, tzinfo=UTC),
    ]
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        for moment in moments:
            assert _stamp(moment) == date_filter(timezone.template_localtime(moment), STAMP), moment
    assert _stamp(None) == ""

import pytest
from django.core.exceptions import ValidationError

from accounts.validators import format_tin, validate_npi, validate_ptan, validate_state_code, validate_tin


@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1003000126"])
def test_it_accepts_npis_with_a_valid_check_digit(npi):
    validate_npi(npi)


@pytest.mark.parametrize(
    "npi, code",
    [
        ("1234567890", "npi_check_digit"),
        ("123456789", "npi_format"),
        ("12345678931", "npi_format"),
        ("12345A7893", "npi_format"),
        ("3234567893", "npi_prefix"),
        ("", "npi_format"),
    ],
)
def test_it_rejects_bad_npis_naming_the_rule(npi, code):
    with pytest.raises(ValidationError) as exc:
        validate_npi(npi)
    assert exc.value.code == code


@pytest.mark.parametrize("tin", ["12-3456789", "123456789", " 12 3456789 "])
def test_it_accepts_tins_with_or_without_dash(tin):
    validate_tin(tin)


@pytest.mark.parametrize(
    "tin, code",
    [("12-345678", "tin_format"), ("1234567890", "tin_format"), ("AB-CDEFGHI", "tin_format"), ("00-1234567", "tin_prefix")],
)
def test_it_rejects_bad_tins(tin, code):
    with pytest.raises(ValidationError) as exc:
        validate_tin(tin)
    assert exc.value.code == code


def test_tin_is_shown_as_nn_nnnnnnn():
    assert format_tin("123456789") == "12-3456789"


def test_ptan_and_state_rules():
    validate_ptan("WA12345")
    validate_state_code("VI")
    with pytest.raises(ValidationError):
        validate_ptan("12")
    with pytest.raises(ValidationError):
        validate_state_code("XX")

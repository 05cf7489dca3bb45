"""Identifier rules for practices: TIN (EIN), NPI, PTAN and US state codes.

Each validator raises ValidationError with a message that names the rule, so a form shows the
person exactly what is wrong with the number they typed.
"""

import re

from django.core.exceptions import ValidationError

# The 50 states, DC and the five inhabited territories that Medicare contractors serve.
US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "DC": "District of Columbia",
    "PR": "Puerto Rico", "VI": "U.S. Virgin Islands", "GU": "Guam", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}  # fmt: skip
STATE_CHOICES = sorted(US_STATES.items(), key=lambda kv: kv[1])

_NON_DIGITS = re.compile(r"[\s-]")


def normalize_tin(value: str) -> str:
    """'12-3456789' or '123456789' -> '123456789' (whitespace and dashes dropped)."""
    return _NON_DIGITS.sub("", value or "")


def format_tin(value: str) -> str:
    digits = normalize_tin(value)
    return f"{digits[:2]}-{digits[2:]}" if len(digits) == 9 else value


def validate_tin(value: str) -> None:
    digits = normalize_tin(value)
    if not digits.isdigit() or len(digits) != 9:
        raise ValidationError(
            "A TIN (EIN) has exactly 9 digits, written NN-NNNNNNN.", code="tin_format"
        )
    if digits[:2] in {"00", "07", "08", "09", "17", "18", "19", "28", "29", "49", "69", "70",
                      "78", "79", "89", "96", "97"}:  # fmt: skip
        raise ValidationError(
            "The first two digits of a TIN (EIN) must be a prefix the IRS assigns; %(prefix)s is not.",
            code="tin_prefix",
            params={"prefix": digits[:2]},
        )


def npi_check_digit(first_nine: str) -> int:
    """Luhn check digit of an NPI: computed over '80840' + the first nine digits (CMS rule)."""
    total = 24  # the Luhn sum contributed by the 80840 prefix
    for i, ch in enumerate(reversed(first_nine)):
        d = int(ch)
        if i % 2 == 0:  # doubled positions, counting from the right of the nine digits
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def validate_npi(value: str) -> None:
    value = (value or "").strip()
    if not value.isdigit() or len(value) != 10:
        raise ValidationError("An NPI has exactly 10 digits.", code="npi_format")
    if value[0] not in "12":
        raise ValidationError("An NPI starts with 1 or 2.", code="npi_prefix")
    if npi_check_digit(value[:9]) != int(value[9]):
        raise ValidationError(
            "This NPI fails the check digit (Luhn over the prefix 80840): check for a typo.",
            code="npi_check_digit",
        )


_PTAN = re.compile(r"^[A-Z0-9]{6,10}$")


def validate_ptan(value: str) -> None:
    if not _PTAN.match((value or "").strip().upper()):
        raise ValidationError(
            "A Medicare PTAN is 6 to 10 letters or digits.", code="ptan_format"
        )


def validate_state_code(value: str) -> None:
    if (value or "").upper() not in US_STATES:
        raise ValidationError(
            "%(value)s is not a US state, DC or territory code (two letters, e.g. WA).",
            code="state_code",
            params={"value": value},
        )

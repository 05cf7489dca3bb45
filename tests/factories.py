"""Factories for the models every app's tests need. App-specific factories live beside their tests."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import Organization, User
from accounts.services import membership_grant
from accounts.validators import npi_check_digit


def make_npi(seq: int) -> str:
    first_nine = f"1{seq:08d}"
    return first_nine + str(npi_check_digit(first_nine))


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    legal_name = factory.Sequence(lambda n: f"Practice {n} Medical Group, PLLC")
    slug = factory.Sequence(lambda n: f"practice-{n}")
    # Prefixes the IRS assigns (validate_tin refuses the others).
    tin = factory.Sequence(lambda n: f"{(10, 20, 30, 46, 54, 61, 81, 91)[n % 8]}{n % 10_000_000:07d}")
    billing_states = factory.LazyFunction(lambda: ["WA"])
    practice_state = "WA"


def member(organization, role, **user_kwargs):
    user = UserFactory(**user_kwargs)
    membership_grant(organization=organization, user=user, role=role)
    return user

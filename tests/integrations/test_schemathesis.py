"""schemathesis, every check, against the live schema of the running application (the WSGI app, on the
test database) with a valid credential: the API must answer only what its schema promises.

Seeded and derandomized (the same cases on every run), a few hundred cases in all, on PostgreSQL in CI.
Every operation runs against the practice the credential belongs to, so the cases reach the views (a
random org slug would only ever meet the 404).

One allowance, for positive data only: a request that the schema allows may still be refused with a 400
by a business rule the schema cannot express (an end date before the start date, a manager who is not
on the roster, a review decision that is not a person's), or a read whose opaque page cursor does not
decode. It is accepted only as a 400 in the API's error shape with field errors (for reads: only the
cursor's), and nothing else is relaxed.
"""

import pytest

schemathesis = pytest.importorskip("schemathesis")

from django.core.signals import request_finished, request_started  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402

from integrations.services import CREDENTIAL_PERMISSIONS, credential_create  # noqa: E402

from ..staff.factories import make_staff  # noqa: E402

MAX_EXAMPLES = 10  # per operation and generation mode: about 20 operations -> about 400 cases

pytestmark = [pytest.mark.postgres]


@pytest.fixture
def wsgi_app(db):
    # Django's test client keeps the test's transaction open by not closing connections between requests;
    # the bare WSGI handler must do the same, or request_finished would close the test transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def token(world):
    boss = make_staff(world.org, "Maria Manager", work_email="maria@cascade.example")
    make_staff(world.org, "Tom Reed", work_email="tom@cascade.example", manager=boss)
    _, token = credential_create(organization=world.org, acting_user=world.alice, name="schemathesis",
                                 permissions=[p for p in CREDENTIAL_PERMISSIONS if p != "scim"])
    return token


@pytest.fixture
def api_schema(wsgi_app, token):
    config = SchemathesisConfig.from_dict({
        "seed": 20261203,
        "generation": {"deterministic": True, "max-examples": MAX_EXAMPLES},
    })
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, config=config,
                                          headers={"Authorization": f"Bearer {token}"})


def _business_rule_refusal(exc, response, method) -> bool:
    """A 400 in the error shape for valid-looking data that no schema can describe: a write refused by a
    business rule, or a read whose opaque page cursor (base64 of a position) does not decode."""
    if response is None or response.status_code != 400:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    if not (isinstance(body, dict) and body.get("code") == "invalid" and body.get("errors")):
        return False
    if method not in ("POST", "PUT", "PATCH") and body["errors"] != {
            "filters": ["The page link is not valid; start again from the first page."]}:
        return False
    failures = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
    return all(type(f).__name__ == "RejectedPositiveData" for f in failures)


def _fuzz(operation, mode, pinned, headers, failures, counter):
    """Run one operation in one generation mode; failures are collected, not raised, to see them all."""

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=pinned))
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def run(case):
        counter[mode.value] += 1
        response = case.call(headers=headers)
        try:
            case.validate_response(response, headers=headers)
        except (AssertionError, FailureGroup) as exc:
            if not (mode == GenerationMode.POSITIVE and _business_rule_refusal(exc, response, case.method.upper())):
                failures.append(f"{mode.value} {case.method} {case.formatted_path} -> {response.status_code}: "
                                f"{exc}"[:1500])

    run()


def test_the_api_answers_only_what_its_schema_says(world, api_schema, token):
    headers = {"Authorization": f"Bearer {token}"}
    failures, counter = [], {m.value: 0 for m in GenerationMode}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        pinned = {"org_slug": world.org.slug} if "{org_slug}" in operation.path else None
        for mode in GenerationMode:
            _fuzz(operation, mode, pinned, headers, failures, counter)
    print(f"schemathesis: {counter} cases over {len(operations)} operations, {len(failures)} failures")
    assert failures == [], "\n\n".join(failures[:15])

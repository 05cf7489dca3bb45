"""The auditor's pages: scoped to the organization, filtered, keyset-paged with flat query counts,
detail with the diff, histories, verification status, and the streamed export (a zip with a signed manifest)."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from audits.exporting import verify_manifest
from audits.models import AuditEvent
from audits.services import record_event

from ._export_rows import jsonl_rows
from .conftest import seal_all

pytestmark = pytest.mark.django_db


def _events(world, n, action="portal_account.updated"):
    for i in range(n):
        record_event(action, organization=world.org, actor=world.alice, object_type="access.portalaccount",
                     object_id=str(i), object_label=f"Account {i}", changes={"status": ["active", f"s{i}"]})


@pytest.mark.parametrize("who, status", [("carol", 200), ("alice", 200), ("bob", 403), ("dave", 403), ("oscar", 403),
                                         ("eve", 403)])
def test_only_auditors_and_administrators_see_the_log(world, client_for, who, status):
    response = client_for(getattr(world, who)).get(reverse("audit_log", args=["cascade"]))
    assert response.status_code == status


def test_log_shows_only_this_organizations_events_and_filters(world, client_for):
    _events(world, 3)
    record_event("portal_account.updated", organization=world.other_org, object_label="Secret other account")
    client = client_for(world.carol)
    html = client.get(reverse("audit_log", args=["cascade"])).content.decode()
    assert "Account 2" in html and "Secret other account" not in html
    html = client.get(reverse("audit_log", args=["cascade"]), {"q": "Account 1"}).content.decode()
    assert "Account 1" in html and "Account 2" not in html


def test_bad_filter_is_a_clear_error(world, client_for):
    response = client_for(world.carol).get(reverse("audit_log", args=["cascade"]), {"since": "2026-11-05",
                                                                                    "until": "2026-11-01"})
    assert response.status_code == 400 and "since must be before until" in response.content.decode()
    response = client_for(world.carol).get(reverse("audit_log", args=["cascade"]), {"after": "garbage!!"})
    assert response.status_code == 400 and "page link is not valid" in response.content.decode()


def test_keyset_pages_cover_everything_once_with_flat_queries(world, client_for, django_assert_max_num_queries):
    _events(world, 120)
    client = client_for(world.carol)
    url = reverse("audit_log", args=["cascade"])
    seen, after, pages = [], "", 0
    while True:
        with django_assert_max_num_queries(16):
            response = client.get(url, {"action": "portal_account.updated", **({"after": after} if after else {})})
        rows = response.context["rows"]
        seen += [e.pk for e in rows]
        after = response.context["next_cursor"]
        pages += 1
        if not after:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 120


def test_detail_shows_the_diff_and_is_scoped(world, client_for):
    _events(world, 1)
    event = AuditEvent.objects.get(action="portal_account.updated")
    html = client_for(world.carol).get(reverse("audit_event", args=["cascade", event.pk])).content.decode()
    assert "status" in html and "active" in html and "s0" in html
    assert client_for(world.oscar).get(reverse("audit_event", args=["other", event.pk])).status_code == 404


def test_object_and_person_histories(world, client_for):
    _events(world, 2)
    client = client_for(world.carol)
    html = client.get(reverse("audit_object_history", args=["cascade", "access.portalaccount", "1"])).content.decode()
    assert "History of Account 1" in html and "Account 0" not in html
    response = client.get(reverse("audit_person_history", args=["cascade", world.alice.pk]))
    assert response.status_code == 200 and len(response.context["rows"]) >= 2
    assert client.get(reverse("audit_person_history", args=["cascade", world.oscar.pk])).status_code == 404


def test_verification_page_and_checkpoint_download(world, client_for):
    _events(world, 2)
    seal_all()
    client = client_for(world.carol)
    client.post(reverse("audit_checkpoint_now", args=["cascade"]))
    assert "Download checkpoint" in client.get(reverse("audit_verification", args=["cascade"])).content.decode()
    note = client.get(reverse("audit_checkpoint_download", args=["cascade"])).content.decode()
    assert note.startswith("portalgov.audit/test\n")


@pytest.mark.django_db(transaction=True)
def test_web_export_streams_a_zip_whose_manifest_verifies(world, client_for):
    _events(world, 5)
    record_event("portal_account.updated", organization=world.other_org, object_label="Other")
    seal_all()
    response = client_for(world.carol).get(reverse("audit_export", args=["cascade"]), {"format": "jsonl",
                                                                                       "object_type": "access.portalaccount"})
    assert response.status_code == 200 and response.streaming
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    data = archive.read("audit-export.jsonl")
    manifest = json.loads(archive.read("manifest.json"))
    rows = jsonl_rows(data)
    assert len(rows) == manifest["row_count"] == 5
    assert all(r["organization_id"] == world.org.pk for r in rows)
    assert verify_manifest(manifest, [data]) == []
    assert AuditEvent.objects.filter(action="audit.exported", actor_label=world.carol.email).exists()


def test_web_export_refuses_bad_input_and_other_organizations(world, client_for):
    client = client_for(world.carol)
    response = client.get(reverse("audit_export", args=["cascade"]), {"format": "csv", "since": "nonsense"})
    assert response.status_code == 400 and "Nothing was exported" in response.content.decode()
    assert client.get(reverse("audit_export", args=["other"]), {"format": "csv"}).status_code == 403
    assert client_for(world.bob).get(reverse("audit_export", args=["cascade"]), {"format": "csv"}).status_code == 403
    assert not AuditEvent.objects.filter(action="audit.exported").exists()

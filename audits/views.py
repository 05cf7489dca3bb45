"""The auditor's pages: search, detail with the diff, a person's or an object's history, verification
status, checkpoint download and streamed exports. Everything is scoped to request.organization."""

import hashlib
import json
import zipfile
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Membership
from accounts.roles import EXPORT_AUDIT_LOG, VIEW_AUDIT_LOG
from accounts.tenancy import org_view

from . import selectors
from .db import is_postgres
from .exporting import (
    FORMATS,
    VERIFIER_NAME,
    VERIFIER_PATH,
    ExportError,
    build_manifest,
    count_rows,
    iter_copy,
    iter_python,
)
from .models import AuditEvent, AuditVerification
from .services import export_prepare, seal_and_checkpoint, verification_run
from .signing import SigningKeyMissing

FILTER_FIELDS = ("since", "until", "action", "actor", "object_type", "object_pk", "q")
PAGE_SIZE = 50
# The columns the list shows (and its cursor reads): not the diff, the serialized object or the extra data,
# JSON documents decoded for every row and never shown here (the event's page shows them).
LIST_FIELDS = ("id", "timestamp", "actor_type", "actor_ref", "actor_label", "severity", "action", "object_type",
               "object_pk", "object_label", "remote_addr")


def _filter_from(request, **fixed):
    raw = {k: request.GET.get(k, "") for k in FILTER_FIELDS}
    raw.update(fixed)
    return raw, selectors.build_filter(organization_id=request.organization.pk, **raw)


def _status(org):
    return {"verification": selectors.latest_verification(org.pk), "checkpoint": selectors.latest_checkpoint()}


def _list_page(request, *, title, base_qs=None, fixed=None, subtitle=""):
    fixed = fixed or {}
    error, rows, next_cursor = "", [], None
    raw = {k: request.GET.get(k, "") for k in FILTER_FIELDS}
    try:
        raw, flt = _filter_from(request, **fixed)
        qs = selectors.events(flt).only(*LIST_FIELDS)
        if base_qs is not None:
            qs = qs.filter(base_qs)
        rows, next_cursor = selectors.page(qs, after=request.GET.get("after", ""), size=PAGE_SIZE)
    except selectors.FilterError as exc:
        error = str(exc)
    query = urlencode({k: v for k, v in raw.items() if v and k not in fixed})
    return render(request, "audits/log.html", {
        "title": title, "subtitle": subtitle, "rows": rows, "error": error, "raw": raw, "fixed": fixed,
        "querystring": query, "next_cursor": next_cursor, "first_page": not request.GET.get("after"),
        "can_export": EXPORT_AUDIT_LOG in request.org_perms and base_qs is None, "formats": FORMATS,
        "action_choices": selectors.action_choices(request.organization.pk), "on_log_page": base_qs is None,
        **_status(request.organization),
    }, status=400 if error else 200)


@org_view(VIEW_AUDIT_LOG)
def audit_log(request):
    return _list_page(request, title="Audit log")


@org_view(VIEW_AUDIT_LOG)
def object_history(request, object_type, object_pk):
    label = (AuditEvent.objects.filter(organization_id=request.organization.pk, object_type=object_type,
                                       object_pk=object_pk).order_by("-timestamp").values_list("object_label", flat=True)
             .first())
    return _list_page(request, title=f"History of {label or object_type + ' #' + object_pk}",
                      fixed={"object_type": object_type, "object_pk": object_pk}, subtitle=object_type)


@org_view(VIEW_AUDIT_LOG)
def person_history(request, user_id):
    # Only people who hold (or held, per the log) a role here; others are not this organization's business.
    membership = Membership.objects.filter(organization=request.organization, user_id=user_id).select_related("user").first()
    label = membership.user.email if membership else (
        AuditEvent.objects.filter(organization_id=request.organization.pk, actor_type="user", actor_ref=str(user_id))
        .values_list("actor_label", flat=True).first())
    if label is None:
        return render(request, "404.html", status=404)
    who = Q(actor_type="user", actor_ref=str(user_id)) | Q(object_type="accounts.user", object_pk=str(user_id))
    return _list_page(request, title=f"History of {label}", base_qs=who, subtitle="what they did and what was done to them")


@org_view(VIEW_AUDIT_LOG)
def event_detail(request, event_id):
    event = get_object_or_404(AuditEvent, pk=event_id, organization_id=request.organization.pk)
    changes = []
    if isinstance(event.changes, dict):
        for field, value in event.changes.items():
            if isinstance(value, list | tuple) and len(value) == 2:
                changes.append({"field": field, "old": value[0], "new": value[1]})
            else:
                changes.append({"field": field, "old": None, "new": json.dumps(value, sort_keys=True)})
    return render(request, "audits/detail.html", {
        "event": event, "changes": changes, "seal": selectors.seal_of(event.pk),
        "extra": json.dumps(event.additional_data, indent=2, sort_keys=True) if event.additional_data else "",
    })


@org_view(VIEW_AUDIT_LOG)
def verification_status(request):
    runs = AuditVerification.objects.filter(
        Q(organization_id=request.organization.pk) | Q(organization_id__isnull=True)).order_by("-started_at")[:20]
    return render(request, "audits/verification.html", {"runs": runs, **_status(request.organization)})


@require_POST
@org_view(VIEW_AUDIT_LOG)
def verify_now(request):
    """An auditor checks the chain of this organization's events now (not only the nightly run)."""
    result = verification_run(organization=request.organization, triggered_by=request.user.email,
                              actor=request.user)
    if result.ok:
        messages.success(request, f"Verified: {result.events_checked} events of this organization are intact.")
    else:
        messages.error(request, f"Verification FAILED: {result.first}")
    back = request.POST.get("back") == "log"
    return redirect("audit_log" if back else "audit_verification", request.organization.slug)


@org_view(VIEW_AUDIT_LOG)
def checkpoint_download(request):
    cp = selectors.latest_checkpoint()
    if cp is None:
        return render(request, "404.html", status=404)
    response = HttpResponse(cp.note, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-checkpoint-{cp.tree_size}.txt"'
    return response


@require_POST
@org_view(EXPORT_AUDIT_LOG)
def checkpoint_now(request):
    try:
        cp = seal_and_checkpoint(reason="on_demand")
    except SigningKeyMissing as exc:
        messages.error(request, f"No checkpoint: {exc}")
    else:
        messages.success(request, f"Checkpoint {cp.tree_size} signed. Download it and keep it outside PortalGov.")
    return redirect("audit_verification", request.organization.slug)


class _Sink:
    """A write-only, non-seekable target for zipfile; drained into the HTTP stream."""

    def __init__(self):
        self.chunks = []

    def write(self, data):
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def drain(self):
        out, self.chunks = b"".join(self.chunks), []
        return out


def _zip_stream(plan, generated_by):
    """The data file (streamed from COPY on PostgreSQL), its signed manifest and the offline verifier.

    The data member is stored, not deflated: compressing would cost more CPU than the COPY itself. The
    COPYs run in this thread, one range of event ids at a time (no worker thread, no queue)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as zf:
        with zf.open(f"audit-export.{plan.fmt}", "w", force_zip64=True) as member:
            if is_postgres():
                totals = None
                for chunk in iter_copy(plan):
                    if isinstance(chunk, tuple):
                        totals = chunk
                        break
                    member.write(chunk)
                    if data := sink.drain():
                        yield data
                size, sha, rows = totals
            else:
                digest, size = hashlib.sha256(), 0
                for chunk in iter_python(plan):
                    digest.update(chunk)
                    size += len(chunk)
                    member.write(chunk)
                    if data := sink.drain():
                        yield data
                sha, rows = digest.hexdigest(), count_rows(plan)
        manifest = build_manifest(plan, size=size, sha256=sha, rows=rows, generated_by=generated_by)
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        zf.writestr(VERIFIER_NAME, VERIFIER_PATH.read_bytes())
    yield sink.drain()


@org_view(EXPORT_AUDIT_LOG)
def export(request):
    fmt = request.GET.get("format", "")
    try:
        if fmt not in FORMATS:
            raise ExportError("Choose CSV or JSON Lines.")
        _raw, flt = _filter_from(request)
        plan = export_prepare(fmt=fmt, flt=flt, actor=request.user)
    except (selectors.FilterError, ExportError, SigningKeyMissing) as exc:
        return render(request, "audits/error.html", {"message": f"Nothing was exported: {exc}"}, status=400)
    response = StreamingHttpResponse(_zip_stream(plan, request.user.email), content_type="application/zip")
    name = f"audit-{request.organization.slug}-{plan.tree_size}-{fmt}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Audit-Export-Event"] = str(plan.event_id)
    return response

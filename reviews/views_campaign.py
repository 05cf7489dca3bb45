"""Campaign pages: history, overview (progress, reviewers and their rubber-stamp signals,
remediation, sign-off), evidence (printable page and CSV), settings and a manual launch."""

from __future__ import annotations

from html import escape

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.tenancy import org_view

from . import selectors, services
from .evidence import evidence_csv_lines, evidence_exported, evidence_items, evidence_row, function_names
from .forms import RemediationForm, ReviewSettingsForm, SignOffForm
from .launch import campaign_launch, settings_for
from .models import Decision, ReviewCampaign, ReviewItem
from .templatetags.reviews_tags import flag_label

ITEMS_PAGE_SIZE = 50
EVIDENCE_PAGE_SIZE = 500


# Reviewers run campaigns and auditors read them: VIEW_PORTAL_ACCOUNTS is exactly those roles
# (administrator, billing manager, auditor), since a campaign shows who holds which portal access.
READ_REVIEWS = roles.VIEW_PORTAL_ACCOUNTS


@org_view(READ_REVIEWS)
def history(request):
    org = request.organization
    page = Paginator(selectors.campaign_history(org), 20).get_page(request.GET.get("page"))
    return render(request, "reviews/history.html", {
        "page_obj": page, "can_manage": roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms,
        "can_review": roles.RUN_ACCESS_REVIEWS in request.org_perms,
        "my_open": (selectors.open_items_count(user=request.user, organization=org)
                    if roles.RUN_ACCESS_REVIEWS in request.org_perms else 0),
        "settings": settings_for(org),
    })


@org_view(READ_REVIEWS)
def campaign_detail(request, pk):
    org = request.organization
    campaign = get_object_or_404(ReviewCampaign.objects.select_related("signed_off_by"), pk=pk, organization=org)
    filters = {"state": request.GET.get("state", ""), "reviewer": request.GET.get("reviewer", ""),
               "flagged": request.GET.get("flagged") == "1", "q": request.GET.get("q", "").strip()[:100]}
    if filters["reviewer"] and not filters["reviewer"].isdigit():
        filters["reviewer"] = ""
    progress, signals = selectors.campaign_overview(campaign)
    # Ids first (ordered and cut on narrow columns), then the page's rows without their snapshots.
    paginator = Paginator(selectors.campaign_items(campaign, filters).values_list("pk", flat=True), ITEMS_PAGE_SIZE)
    if not any(filters.values()):
        paginator.count = progress["total"]  # every item: counted already (a COUNT(*) less)
    page = paginator.get_page(request.GET.get("page"))
    items = selectors.campaign_page(page.object_list)
    can_manage = roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms
    remediation = list(selectors.remediation_items(campaign)[:200])
    for item in remediation:
        item.done = services.remediation_done(item)
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v and k != "flagged")
    if filters["flagged"]:
        query = (query + "&" if query else "") + "flagged=1"
    reviewer_choices = selectors.reviewers_in(org) if can_manage else []
    return render(request, "reviews/campaign.html", {
        "campaign": campaign, "progress": progress,
        "reviewers": signals, "page_obj": page, "filters": filters,
        "item_rows": _item_rows(request, items, reassign=can_manage and campaign.is_open, choices=reviewer_choices),
        "querystring": query, "remediation": remediation, "can_manage": can_manage,
        "can_export": roles.EXPORT_AUDIT_LOG in request.org_perms,
        "blockers": services.sign_off_blockers(campaign, progress=progress) if campaign.is_open else [],
        "sign_off_form": SignOffForm(), "remediation_form": RemediationForm(),
        # Named only to those who cannot sign off themselves, while the campaign is open (the template's use).
        "administrators": selectors.administrators_of(org) if campaign.is_open and not can_manage else [],
    })


_BASIS_LABELS, _DECISION_LABELS = dict(ReviewItem.ReviewerBasis.choices), dict(Decision.choices)


def _item_rows(request, items, *, reassign: bool, choices) -> list:
    """The items table's rows as HTML, built here (50 rows of template tags, each undecided row with a reassign
    form listing every reviewer, were most of the page's Python time). Every value goes through escape."""
    if reassign:
        slug = request.organization.slug
        prefix, _, suffix = reverse("reviews_reassign", args=[slug, 999999999]).rpartition("999999999")
        csrf_input = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(get_token(request))}">'
        options = [(pk, escape(str(pk)), escape(name or email))
                   for pk, name, email in choices.values_list("pk", "full_name", "email")]
    rows = []
    for item in items:
        label = escape(str(item))
        flags = "".join(f'<span class="badge badge-warn">{escape(flag_label(f))}</span> ' for f in item.flags or [])
        if item.reviewer_id:
            r = item.reviewer
            who = (f'{escape(r.full_name or r.email)} <span class="muted">'
                   f'({escape(_BASIS_LABELS.get(item.reviewer_basis, item.reviewer_basis).lower())})</span>')
        else:
            who = ('<span class="badge badge-warn">No reviewer</span>' + (
                ' <span class="muted">assign one with Reassign</span>' if reassign
                else ' <span class="muted">an administrator assigns one</span>'))
        if item.decision:
            decision = escape(_DECISION_LABELS.get(item.decision, item.decision))
            if item.decided_at:
                decision += (f" · {escape(item.decided_by_label)} "
                             f"{escape(dateformat.format(timezone.localtime(item.decided_at), 'Y-m-d H:i T'))}")
            if item.decided_in_bulk:
                decision += " · bulk"
        else:
            decision = '<span class="muted">pending</span>'
        if item.escalated_at and not item.is_decided:
            decision += ' <span class="badge badge-bad">escalated</span>'
        row = (f"<tr><td>{label}</td>\n      <td>{flags}</td>\n      <td>{who}</td>\n      <td>{decision}</td>\n"
               f"      <td>{escape(item.reason)}</td>\n      ")
        if reassign:
            form = ""
            if not item.is_decided:
                pk = item.pk
                select = "".join(f'<option value="{value}" {"selected" if u == item.reviewer_id else ""}>{name}</option>'
                                 for u, value, name in options)
                form = (f'\n        <form method="post" action="{prefix}{pk}{suffix}" class="filters">{csrf_input}\n'
                        f'          <label class="visually-hidden" for="ra{pk}">New reviewer for {label}</label>\n'
                        f'          <select id="ra{pk}" name="to_user">{select}</select>\n'
                        f'          <button type="submit">Reassign</button></form>')
            row += f"<td>{form}</td>"
        rows.append(row + "\n    </tr>")
    # Marked safe: every value above is escaped (or an integer id).
    return [mark_safe(r) for r in rows]  # noqa: S308  # nosec B308 B703 -- every interpolated value is escaped


@require_POST
@org_view(roles.MANAGE_PORTAL_ACCOUNTS)
def sign_off(request, pk):
    campaign = get_object_or_404(ReviewCampaign, pk=pk, organization=request.organization)
    form = SignOffForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "")
    blockers = services.sign_off_blockers(campaign) if campaign.is_open else []
    try:
        if not blockers and campaign.is_open and not form.cleaned_data.get("confirm"):
            # Irreversible: the page says what happens; the box says the person read it.
            raise ValidationError("Not signed off: tick the box to confirm that the campaign closes for good.")
        services.campaign_sign_off(campaign=campaign, acting_user=request.user, note=note)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{campaign.name} signed off.")
    return redirect("reviews_campaign", org_slug=request.organization.slug, pk=campaign.pk)


@require_POST
@org_view(roles.MANAGE_PORTAL_ACCOUNTS)
def remediation_complete(request, pk):
    item = get_object_or_404(ReviewItem, pk=pk, organization=request.organization)
    form = RemediationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Record the portal's confirmation (number or message).")
    else:
        try:
            services.remediation_complete(item=item, acting_user=request.user,
                                          payer_confirmation=form.cleaned_data["payer_confirmation"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{item}: remediation recorded as done.")
    return redirect("reviews_campaign", org_slug=request.organization.slug, pk=item.campaign_id)


@org_view(roles.EXPORT_AUDIT_LOG)
def evidence_page(request, pk):
    """Printable evidence (the browser's print to PDF). Long campaigns are paged."""
    campaign = get_object_or_404(ReviewCampaign.objects.select_related("signed_off_by", "organization"), pk=pk,
                                 organization=request.organization)
    page = Paginator(evidence_items(campaign), EVIDENCE_PAGE_SIZE).get_page(request.GET.get("page"))
    live = campaign.status != ReviewCampaign.Status.CLOSED
    names = function_names()
    rows = [evidence_row(item, live=live, names=names) for item in page]
    evidence_exported(campaign=campaign, acting_user=request.user, fmt="page")
    return render(request, "reviews/evidence.html", {
        "campaign": campaign, "rows": rows, "page_obj": page, "progress": selectors.campaign_progress(campaign),
        "reviewers": selectors.reviewer_signals(campaign), "live": live,
    })


@org_view(roles.EXPORT_AUDIT_LOG)
def evidence_csv(request, pk):
    campaign = get_object_or_404(ReviewCampaign.objects.select_related("signed_off_by", "organization"), pk=pk,
                                 organization=request.organization)
    evidence_exported(campaign=campaign, acting_user=request.user, fmt="csv")
    response = StreamingHttpResponse(evidence_csv_lines(campaign), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{campaign.organization.slug}-access-review-{campaign.period}.csv"')
    return response


@org_view(roles.MANAGE_PORTAL_ACCOUNTS)
def review_settings(request):
    org = request.organization
    instance = settings_for(org)
    form = ReviewSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.review_settings_update(
                organization=org, acting_user=request.user, cadence_months=data["cadence_months"],
                duration_days=data["duration_days"], weekly_reminders=data["weekly_reminders"],
                undecided_rule=data["undecided_rule"], escalate_after_days=data["escalate_after_days"],
                reminder_days_before=data["reminder_days"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Review settings saved; they apply from the next campaign.")
            return redirect("reviews_history", org_slug=org.slug)
    return render(request, "reviews/settings.html", {"form": form})


@require_POST
@org_view(roles.MANAGE_PORTAL_ACCOUNTS)
def launch_now(request):
    """Launch the current period's campaign by hand (the same service as the scheduled job)."""
    org = request.organization
    campaign = campaign_launch(organization=org, acting_user=request.user)
    messages.success(request, f"{campaign.name} is {campaign.get_status_display().lower()}.")
    return redirect("reviews_campaign", org_slug=org.slug, pk=campaign.pk)


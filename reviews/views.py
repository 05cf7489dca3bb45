"""The reviewer's pages: "my reviews" (decisions in place with htmx), bulk decisions, delegation.
Campaign overview, history, sign-off and evidence live in reviews.views_campaign."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import conditional_escape, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.tenancy import org_view
from core.forms import apply_validation_error

from . import selectors, services
from .forms import BulkDecisionForm, DecisionForm, ReviewerChoiceForm
from .models import Decision, ReviewItem

QUEUE_PAGE_SIZE = 25


def _partial(request) -> bool:
    return bool(getattr(request, "htmx", False)) and not request.htmx.boosted


def _errors_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


class _DelegateOptions:
    """The delegate <select>'s options, the same for every item of a page: rendered once, on first use
    (a page whose items show no delegate form runs no query for them)."""

    def __init__(self, request):
        self._request, self._html = request, None

    def __html__(self):
        if self._html is None:
            people = (selectors.reviewers_in(self._request.organization).exclude(pk=self._request.user.pk)
                      .values_list("pk", "full_name", "email"))
            self._html = format_html_join("", '<option value="{}">{}</option>',
                                          ((pk, name or email) for pk, name, email in people))
        return self._html

    __str__ = __html__


_PREFIX = "\x00"  # stands for an item's form prefix in markup cut from one real form


class _Choices(list):
    errors = ()

    def __bool__(self):  # as a BoundField: true even without choices (an account with no functions)
        return True


class _Choice:
    def __init__(self, tag, choice_label):
        self.tag, self.choice_label = tag, choice_label


class _Field:
    errors = ()
    value = None

    def __init__(self, prefix, name):
        self.html_name, self.id_for_label = f"{prefix}-{name}", f"id_{prefix}-{name}"


class _Widget(SafeString):
    errors = ()


class _QueueDecisionForm:
    """What queue_item.html reads of an unbound DecisionForm, without building one per item: the decision
    radios and the date box are cut from one real form per item kind (per page) and given the item's prefix;
    the functions' check boxes are written as CheckboxSelectMultiple writes them (tests/reviews compares
    the two). Bound forms (errors after a POST) are real DecisionForms."""

    non_field_errors = ()

    def __init__(self, item, parts: dict):
        prefix = f"i{item.pk}"
        # Marked safe: the tags come from a real form's rendering; the prefix is an integer id; codes are escaped.
        self.decision = _Choices(_Choice(SafeString(tag.replace(_PREFIX, prefix)), label)  # nosec B703
                                 for tag, label in parts["decision"])
        self.functions_to_remove = None if item.kind == ReviewItem.Kind.CREDENTIAL else _Choices(
            _Choice(SafeString(f'<input type="checkbox" name="{prefix}-functions_to_remove" '  # nosec B703
                               f'value="{conditional_escape(f["code"])}" id="id_{prefix}-functions_to_remove_{i}">'),
                    f["name"])
            for i, f in enumerate((item.snapshot or {}).get("functions", [])))
        self.reason = _Field(prefix, "reason")
        self.keep_until = _Widget(parts["keep_until"].replace(_PREFIX, prefix))
        self.keep_until.id_for_label = f"id_{prefix}-keep_until"

    @staticmethod
    def parts(kind: str) -> dict:
        form = DecisionForm(item=ReviewItem(kind=kind, snapshot={}), prefix=_PREFIX)
        return {"decision": [(str(c.tag()), c.choice_label) for c in form["decision"]],
                "keep_until": str(form["keep_until"])}


def _queue_forms(items) -> list:
    parts: dict[str, dict] = {}
    return [_QueueDecisionForm(item, parts.get(item.kind) or parts.setdefault(
        item.kind, _QueueDecisionForm.parts(item.kind))) for item in items]


def _queue_filters(request) -> dict:
    return {"q": request.GET.get("q", "").strip()[:100], "flagged": request.GET.get("flagged") == "1",
            "portal": request.GET.get("portal", "").strip()[:200], "kept": request.GET.get("kept") == "1"}


@org_view(roles.RUN_ACCESS_REVIEWS)
def queue(request):
    """My reviews: the pending items assigned to me, each decided in place."""
    org = request.organization
    filters = _queue_filters(request)
    items = selectors.queue_for(user=request.user, organization=org, perms=request.org_perms, filters=filters)
    # The page's ids first (ordered and cut on narrow columns), then those rows with what the cards show: sorting
    # the reviewer's whole queue with snapshots and joined rows before the LIMIT spilled to disk (100 ms and more
    # for 3,000 items).
    page = Paginator(items.values_list("pk", flat=True), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    items = selectors.queue_page(page.object_list)
    for item in items:
        item.own_decision = services.own_decision_reasons(item)  # no bulk decision covers it: say why
    rows = [{"item": item, "form": form} for item, form in zip(items, _queue_forms(items), strict=True)]
    query = "&".join(f"{k}={v}" for k, v in (("q", filters["q"]), ("portal", filters["portal"])) if v)
    for flag in ("flagged", "kept"):
        if filters[flag]:
            query = (query + "&" if query else "") + f"{flag}=1"
    return render(request, "reviews/queue.html", {
        "rows": rows, "page_obj": page, "filters": filters, "querystring": query,
        "bulk_form": BulkDecisionForm(), "is_admin": roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms,
        "delegate_options": _DelegateOptions(request),
        "administrators": selectors.administrators_of(org),
    })


def _row(request, item, form=None, status=200):
    is_admin = roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms
    item.own_decision = services.own_decision_reasons(item)
    return render(request, "reviews/partials/queue_item.html", {
        "item": item, "form": form or DecisionForm(item=item, prefix=f"i{item.pk}"), "is_admin": is_admin,
        "delegate_options": _DelegateOptions(request),
    }, status=status)


def _confirm_decision(request, item, form, consequences):
    context = {"item": item, "form": form, "consequences": consequences,
               "decision_label": dict(form.fields["decision"].choices)[form.cleaned_data["decision"]].lower(),
               "not_confirmed": "confirm" in request.POST}
    if _partial(request):
        return render(request, "reviews/partials/decision_confirm.html", context)
    return render(request, "reviews/decision_confirm.html", context)


@require_POST
@org_view(roles.RUN_ACCESS_REVIEWS)
def decide(request, pk):
    item = get_object_or_404(ReviewItem.objects.select_related("campaign"), pk=pk, organization=request.organization)
    form = DecisionForm(request.POST, item=item, prefix=f"i{item.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] in services.IRREVERSIBLE_DECISIONS and request.POST.get("confirm") != "yes":
                # Revoke and change cannot be revised: say what they set in motion, then ask.
                consequences = services.item_decision_preview(
                    item=item, acting_user=request.user, decision=data["decision"], reason=data["reason"],
                    keep_until=data["keep_until"], functions_to_remove=data.get("functions_to_remove") or [])
                return _confirm_decision(request, item, form, consequences)
            item = services.item_decide(
                item=item, acting_user=request.user, decision=data["decision"], reason=data["reason"],
                keep_until=data["keep_until"], functions_to_remove=data.get("functions_to_remove") or [])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if _partial(request):
                return _row(request, item)
            messages.success(request, f"{item}: {item.get_decision_display().lower()} recorded.")
            return redirect("reviews_queue", org_slug=request.organization.slug)
    item.refresh_from_db()
    if _partial(request):
        return _row(request, item, form, status=422)
    messages.error(request, f"Not recorded for {item}: " + " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("reviews_queue", org_slug=request.organization.slug)


@require_POST
@org_view(roles.RUN_ACCESS_REVIEWS)
def bulk_decide(request):
    form = BulkDecisionForm(request.POST)
    ids = [i for i in request.POST.getlist("items") if i.isdigit()]
    back = request.POST.get("next") or ""
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(back, {request.get_host()},
                                                                       require_https=request.is_secure()):
        back = reverse("reviews_queue", args=[request.organization.slug])
    if not form.is_valid():
        messages.error(request, "Bulk decision not recorded: " +
                       " ".join(f"{form.fields[f].label or f}: {' '.join(e)}" for f, e in form.errors.items()))
        return redirect(back)
    decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
    try:
        if decision == Decision.REVOKE and request.POST.get("confirm") != "yes":
            preview = services.items_bulk_preview(organization=request.organization, item_ids=ids,
                                                  acting_user=request.user, decision=decision, reason=reason)
            return render(request, "reviews/bulk_confirm.html", {
                "preview": preview, "reason": reason, "decision": decision, "back": back,
                "not_confirmed": "confirm" in request.POST})
        done = services.items_decide_bulk(organization=request.organization, item_ids=ids, acting_user=request.user,
                                          decision=decision, reason=reason)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    else:
        if done:
            messages.success(request, f"{len(done)} item{'s' if len(done) != 1 else ''}: "
                                      f"{done[0].get_decision_display().lower()} recorded.")
        if done.skipped:
            messages.warning(request, f"{len(done.skipped)} flagged item{'s were' if len(done.skipped) != 1 else ' was'}"
                                      " not decided in bulk; decide each on its own, with its own reason: " +
                             "; ".join(f"{item} ({', '.join(why)})" for item, why in done.skipped) + ".")
    return redirect(back)


def _hand_over(request, pk, service, verb: str) -> ReviewItem:
    """Delegate (reviewer) or reassign (administrator) an item: same form, same messages."""
    item = get_object_or_404(ReviewItem, pk=pk, organization=request.organization)
    form = ReviewerChoiceForm(request.POST, reviewers=selectors.reviewers_in(request.organization))
    if not form.is_valid():
        messages.error(request, "Choose a reviewer from the list.")
        return item
    try:
        service(item=item, acting_user=request.user, to_user=form.cleaned_data["to_user"],
                reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    else:
        messages.success(request, f"{item} {verb} to {form.cleaned_data['to_user']}.")
    return item


@require_POST
@org_view(roles.RUN_ACCESS_REVIEWS)
def delegate(request, pk):
    _hand_over(request, pk, services.item_delegate, "delegated")
    return redirect("reviews_queue", org_slug=request.organization.slug)


@require_POST
@org_view(roles.MANAGE_PORTAL_ACCOUNTS)
def reassign(request, pk):
    item = _hand_over(request, pk, services.item_reassign, "reassigned")
    return redirect("reviews_campaign", org_slug=request.organization.slug, pk=item.campaign_id)

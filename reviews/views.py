"""The reviewer's pages: "my reviews" (decisions in place with htmx), bulk decisions, delegation.
Campaign overview, history, sign-off and evidence live in reviews.views_campaign."""

from __future__ import annotations

from html import escape

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.tenancy import org_view
from core.forms import apply_validation_error

from . import selectors, services
from .forms import BulkDecisionForm, DecisionForm, ReviewerChoiceForm
from .models import Decision, ReviewItem
from .templatetags.reviews_tags import account_status_label, flag_label

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


_MISSING = object()
_BAD_FLAGS = frozenset({"terminated", "beyond_policy"})
_REASON_REQUIRED_FLAGS = ("open_findings", "beyond_policy", "terminated")


def _text(value) -> str:
    """{{ value }} as the template writes it: escaped unless already safe ('' for a missing key, 'None' for None)."""
    if value is _MISSING:
        return ""
    if isinstance(value, str):
        return value if hasattr(value, "__html__") else escape(value)
    return str(conditional_escape(value))


def _or(value, default: str) -> str:  # {{ value|default:"..." }}
    return _text(value) if value and value is not _MISSING else default


def _join(values, sep: str) -> str:  # {{ values|join:"..." }}
    if values is _MISSING or values is None:
        return ""
    return sep.join(_text(v) for v in values)


def _queue_card(item, form, *, revise, is_admin, slug, user_pk, csrf_input, delegate_options, urls) -> str:
    """reviews/partials/queue_item.html for an item of the queue with its unbound form (_QueueDecisionForm), in
    Python: the same markup (tests/reviews compares the two for every kind of item), for a fifth of the time the
    template takes for the 25 cards of a page. A decided item not being revised goes through the template."""
    pk = item.pk
    snap = item.snapshot or {}
    get = snap.get
    flags = item.flags or []
    out = [f'\n\n<article class="card review-item{" flagged" if item.flagged else ""}" id="item-{pk}" tabindex="-1" '
           f'data-item="{pk}" aria-labelledby="item-{pk}-title">\n  <header class="review-head">\n    ']
    if not item.decision or item.decision == Decision.NOT_SURE:
        if item.own_decision:
            out.append(f'<span class="bulk-pick muted" id="own-{pk}">Decide on its own ({_join(item.own_decision, ", ")}):'
                       f' not part of bulk decisions</span>')
        else:
            out.append(f'<label class="bulk-pick"><input type="checkbox" name="items" value="{pk}" form="bulk-form" '
                       f'aria-label="Select {_text(str(item))} for a bulk decision"></label>')
    campaign = item.campaign
    due = f"{campaign.due_on:%Y-%m-%d}" if campaign.due_on else ""
    out.append(f'\n    <h3 id="item-{pk}-title">{_text(item.holder_name)} <span class="muted">on</span> '
               f'{_or(item.portal_name, "—")}</h3>\n    <span class="muted">{_text(campaign.name)} · due {due}</span>\n    ')
    out.extend(f'<span class="badge {"badge-bad" if flag in _BAD_FLAGS else "badge-warn"}">{_text(flag_label(flag))}</span>'
               for flag in flags)
    out.append("\n    ")
    if item.decision == Decision.NOT_SURE:
        out.append('<span class="badge badge-warn">Not sure: waits for an administrator</span>')
    elif item.escalated_at and not item.decision:
        out.append('<span class="badge badge-bad">Escalated</span>')
    out.append('\n  </header>\n  <dl class="deflist compact">\n    ')
    if item.kind == ReviewItem.Kind.ACCOUNT:
        manager = get("manager", _MISSING)
        beyond = get("beyond_policy") or ()
        functions = get("functions", _MISSING)
        fns = ", ".join(f'<span class="{"badge badge-bad" if _in(f.get("code", _MISSING), beyond) else ""}">'
                        f'{_text(f.get("name", _MISSING))}</span>' for f in functions) if functions and functions is not _MISSING else "none"
        if get("beyond_policy"):
            fns += ' <span class="muted">(red: beyond policy)</span>'
        login = _or(get("last_login", _MISSING), "unknown")
        for key, text in (("days_since_login", " ({} days ago)"), ("days_to_lockout", " · portal lock-out in {} days"),
                          ("days_to_recert", " · portal re-certification in {} days")):
            if get(key) is not None:
                login += text.format(_text(get(key)))
        mfa = get("mfa_enrolled")
        out.append(
            f'\n    <dt>Job role</dt><dd>{_text(get("job_role", _MISSING))} · {_text(get("employment_status_label", _MISSING))}'
            f'{" · manager " + _text(manager) if manager and manager is not _MISSING else ""}</dd>\n'
            f'    <dt>Portal user ID</dt><dd>{_or(get("portal_user_id", _MISSING), "—")} '
            f'({escape(account_status_label(get("account_status", "")).lower())})</dd>\n'
            f'    <dt>Functions</dt><dd>{fns}</dd>\n'
            f'    <dt>Last login</dt><dd>{login}</dd>\n'
            f'    <dt>MFA · training</dt><dd>{"no MFA" if mfa is None else ("MFA on" if mfa else "no MFA")} · '
            f'training {_text(get("training", _MISSING))}</dd>\n    ')
    else:
        out.append(
            f'\n    <dt>Credential</dt><dd>{_text(get("credential_kind", _MISSING))} · login {_text(get("login_id", _MISSING))}</dd>\n'
            f'    <dt>Custodians</dt><dd>{_join(get("custodians", _MISSING), ", ") or "none"}</dd>\n'
            f'    <dt>Rotated</dt><dd>{_or(get("rotated_on", _MISSING), "never")}</dd>\n    ')
    out.append("\n    ")
    if get("open_findings"):
        out.append(f'<dt>Open findings</dt><dd>{_join(get("open_findings"), "; ")}</dd>')
    out.append("\n  </dl>\n  ")
    if item.decision == Decision.NOT_SURE and not is_admin:
        out.append('\n    <p class="decided" role="status">Marked not sure: an administrator decides it.</p>\n  ')
    else:
        decide_url = urls["decide"](pk)
        required = " (required)" if any(f in flags for f in _REASON_REQUIRED_FLAGS) else ""
        out.append(
            f'\n  <form method="post" action="{decide_url}" hx-post="{decide_url}" hx-target="#item-{pk}" '
            f'hx-swap="outerHTML" novalidate class="decide-form">\n    {csrf_input}\n    \n'
            f'    <fieldset class="decision-choices"><legend>Decision</legend>\n      ')
        out.extend(f'<label class="choice">{c.tag} {_text(c.choice_label)}</label>' for c in form.decision)
        out.append("\n      \n    </fieldset>\n    ")
        if form.functions_to_remove:
            out.append('\n    <fieldset class="change-only"><legend>Functions to remove (for “change”)</legend>\n      ')
            out.extend(f'<label class="choice">{c.tag} {_text(c.choice_label)}</label>' for c in form.functions_to_remove)
            out.append("\n      \n    </fieldset>\n    ")
        reason = form.reason
        out.append(
            f'\n    <div class="filters">\n      <div class="field grow"><label for="{reason.id_for_label}">Reason{required}'
            f'</label>\n        <input type="text" name="{reason.html_name}" id="{reason.id_for_label}" value="" '
            f'maxlength="2000" class="reason" >\n        </div>\n'
            f'      <div class="field"><label for="{form.keep_until.id_for_label}">Keep until (optional)</label>'
            f'{form.keep_until}</div>\n      <button type="submit">Record decision</button>\n    </div>\n  </form>\n  ')
        if item.reviewer_id == user_pk and not item.decision:
            out.append(
                f'\n  <details class="no-print delegate"><summary>Delegate to another reviewer</summary>\n'
                f'    <form method="post" action="{urls["delegate"](pk)}" class="filters">{csrf_input}\n'
                f'      <div class="field"><label for="d{pk}">Reviewer</label><select id="d{pk}" name="to_user">'
                f'{conditional_escape(delegate_options)}</select></div>\n'
                f'      <div class="field"><label for="dr{pk}">Why</label><input id="dr{pk}" name="reason" maxlength="500">'
                f'</div>\n      <button type="submit">Delegate</button>\n    </form>\n  </details>\n  ')
        out.append("\n  ")
    out.append("\n</article>\n\n")
    return "".join(out)


def _in(code, values) -> bool:  # {% if f.code in snap.beyond_policy %}
    try:
        return code is not _MISSING and code in values
    except TypeError:
        return False


def _queue_cards(request, rows, *, revise: bool, is_admin: bool, delegate_options) -> list:
    """The queue's cards, each from _queue_card, or from the template for what it does not write (a decided item
    shown without revising it: not in the queue's lists, only after an in-place decision)."""
    org = request.organization
    urls = {name: _url_maker(view, org.slug) for name, view in (("decide", "reviews_decide"),
                                                                ("delegate", "reviews_delegate"))}
    csrf_input = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))
    cards = []
    for row in rows:
        item, form = row["item"], row["form"]
        if (item.is_decided and not revise) or not isinstance(form, _QueueDecisionForm):
            cards.append(render_to_string("reviews/partials/queue_item.html", {
                "item": item, "form": form, "revise": revise, "is_admin": is_admin,
                "delegate_options": delegate_options}, request))
        else:
            # Marked safe: every value in the card is escaped (_text, _join, _or, escape) or an integer.
            cards.append(SafeString(_queue_card(  # nosec B703
                item, form, revise=revise, is_admin=is_admin, slug=org.slug, user_pk=request.user.pk,
                csrf_input=csrf_input, delegate_options=delegate_options, urls=urls)))
    return cards


def _url_maker(name, slug):
    """A per-item URL for any pk from one reverse() (25 cards a page, two URLs each)."""
    prefix, _, suffix = reverse(name, args=[slug, 999999999]).rpartition("999999999")
    return lambda pk: f"{prefix}{pk}{suffix}"


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
    is_admin = roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms
    delegate_options = _DelegateOptions(request)
    cards = _queue_cards(request, rows, revise=filters["kept"], is_admin=is_admin, delegate_options=delegate_options)
    query = "&".join(f"{k}={v}" for k, v in (("q", filters["q"]), ("portal", filters["portal"])) if v)
    for flag in ("flagged", "kept"):
        if filters[flag]:
            query = (query + "&" if query else "") + f"{flag}=1"
    return render(request, "reviews/queue.html", {
        "cards": cards, "page_obj": page, "filters": filters, "querystring": query,
        "bulk_form": BulkDecisionForm(), "is_admin": is_admin,
        # Named only on an empty queue, to those who cannot sign off (the template's only use).
        "administrators": selectors.administrators_of(org) if not cards and not is_admin else [],
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

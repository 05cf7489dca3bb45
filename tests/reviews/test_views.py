from html import unescape

import pytest
from django.urls import reverse

from audits.models import AuditEvent
from reviews.launch import campaign_launch
from reviews.models import ReviewItem, ReviewSettings

from .factories import make_account, make_staff

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def campaign(rw, at_launch):
    return campaign_launch(organization=rw.w.org)


def url(name, *args):
    return reverse(name, args=["cascade", *args])


def test_my_reviews_lists_only_my_pending_items(rw, campaign, client_for):
    html = client_for(rw.w.bob).get(url("reviews_queue")).content.decode()
    assert "Frank Front" in html and "Gina Front" in html
    assert "Bob Billing <span" not in html  # his own account is reviewed by Alice
    assert "2 items wait for you" in html


def test_my_reviews_query_count_stays_flat_as_items_grow(rw, campaign, client_for, django_assert_max_num_queries):
    client = client_for(rw.w.bob)
    client.get(url("reviews_queue"))  # warm-up (session, permissions cache)
    with django_assert_max_num_queries(20) as small:
        client.get(url("reviews_queue"))
    for n in range(30):
        make_account(make_staff(rw.w.org, f"Extra {n}", manager=rw.bob_staff), rw.enrollment)
    campaign.items.all().delete()
    from reviews.models import ReviewCampaign

    ReviewCampaign.objects.filter(pk=campaign.pk).update(status="launching")
    campaign_launch(organization=rw.w.org)
    assert ReviewItem.objects.filter(reviewer=rw.w.bob).count() == 32
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url("reviews_queue"))
    assert response.content.decode().count('class="card review-item') == 25  # one page


def test_htmx_revoke_first_shows_what_will_happen_then_swaps_the_item_in_place(rw, campaign, client_for):
    item = campaign.items.get(portal_account=rw.gina_acct)
    client = client_for(rw.w.bob)
    body = {f"i{item.pk}-decision": "revoke", f"i{item.pk}-reason": "Left intake"}
    events = AuditEvent.objects.count()
    response = client.post(url("reviews_decide", item.pk), body, **HX)
    html = unescape(response.content.decode())
    # The confirmation step: nothing recorded, the consequences in words, the same values carried forward.
    assert response.status_code == 200 and "<html" not in html and f'id="item-{item.pk}"' in html
    assert "Gina Front's Availity Essentials account (user ID" in html and "moves to deactivation pending" in html
    assert "A deactivation task goes to" in html and "The decision is final" in html
    assert f'name="i{item.pk}-reason" value="Left intake"' in html and 'name="confirm" value="yes"' in html
    assert ReviewItem.objects.get(pk=item.pk).decision == ""
    assert AuditEvent.objects.count() == events
    rw.gina_acct.refresh_from_db()
    assert rw.gina_acct.status == "active"
    response = client.post(url("reviews_decide", item.pk), {**body, "confirm": "yes"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert f'id="item-{item.pk}"' in html and "Revoke" in html and "sent to the portal administrator" in html
    assert ReviewItem.objects.get(pk=item.pk).decision == "revoke"


def test_htmx_refusal_shows_the_reason_and_changes_nothing(rw, campaign, client_for):
    item = campaign.items.get(portal_account=rw.gina_acct)
    response = client_for(rw.w.bob).post(url("reviews_decide", item.pk), {f"i{item.pk}-decision": "revoke"}, **HX)
    assert response.status_code == 422
    assert "A reason is required: say why you chose revoke." in response.content.decode()
    assert ReviewItem.objects.get(pk=item.pk).decision == ""


def test_plain_post_refusal_redirects_with_a_message(rw, campaign, client_for):
    item = campaign.items.get(portal_account=rw.gina_acct)  # Bob's item
    response = client_for(rw.w.alice).post(url("reviews_decide", item.pk),
                                           {f"i{item.pk}-decision": "keep"}, follow=True)
    assert "Not recorded for Gina Front on Availity Essentials: Gina Front on Availity Essentials is assigned " \
           "to Bob Billing, not to you." in response.content.decode()
    assert ReviewItem.objects.get(pk=item.pk).decision == ""


def test_items_of_another_organization_are_not_found(rw, campaign, client_for):
    item = campaign.items.first()
    client = client_for(rw.w.oscar)
    assert client.post(reverse("reviews_decide", args=["other", item.pk]),
                       {f"i{item.pk}-decision": "keep"}).status_code == 404
    assert client.get(reverse("reviews_campaign", args=["other", campaign.pk])).status_code == 404


def test_bulk_view_records_or_refuses_with_a_message(rw, campaign, client_for):
    ids = list(campaign.items.filter(reviewer=rw.w.bob).values_list("pk", flat=True))
    client = client_for(rw.w.bob)
    response = client.post(url("reviews_bulk_decide"), {"items": ids, "decision": "keep", "reason": ""}, follow=True)
    assert "Bulk decision not recorded" in response.content.decode()
    response = client.post(url("reviews_bulk_decide"), {"items": ids, "decision": "keep",
                                                        "reason": "Front desk staff still at work"}, follow=True)
    assert "2 items: keep recorded." in response.content.decode()
    assert ReviewItem.objects.filter(decided_in_bulk=True).count() == 2


@pytest.mark.parametrize("who,status", [("alice", 200), ("bob", 200), ("carol", 200), ("dave", 403), ("eve", 403)])
def test_campaign_pages_for_reviewers_and_auditors(rw, campaign, client_for, who, status):
    client = client_for(getattr(rw.w, who))
    assert client.get(url("reviews_campaign", campaign.pk)).status_code == status
    assert client.get(url("reviews_history")).status_code == status


def test_campaign_page_shows_progress_reviewers_and_signals(rw, campaign, client_for, django_assert_max_num_queries):
    from reviews import services

    services.items_decide_bulk(organization=rw.w.org, item_ids=list(
        campaign.items.filter(reviewer=rw.w.bob).values_list("pk", flat=True)), acting_user=rw.w.bob,
        decision="keep", reason="ok")
    client = client_for(rw.w.alice)
    client.get(url("reviews_campaign", campaign.pk))
    with django_assert_max_num_queries(30):
        html = client.get(url("reviews_campaign", campaign.pk)).content.decode()
    assert '<progress class="campaign-progress" max="100" value="67"' in html
    assert "2 of 3 decided" in html and "mostly bulk decisions" in html
    assert "1 item is still undecided." in html
    # The page reads its figures in one pass (selectors.campaign_overview) and hands the counts to the sign-off
    # rule: the same figures as the functions that read them one by one.
    from reviews import selectors

    item = campaign.items.exclude(reviewer=rw.w.bob).first()
    services.item_decide(item=item, acting_user=item.reviewer, decision="revoke", reason="left")
    ReviewItem.objects.filter(pk=item.pk).update(decision_seconds=7)
    progress, signals = selectors.campaign_overview(campaign)
    assert progress == selectors.campaign_progress(campaign) and progress["total"] == 3
    assert signals == selectors.reviewer_signals(campaign) and len(signals) == 2
    assert services.sign_off_blockers(campaign, progress=progress) == services.sign_off_blockers(campaign) != []
    html = client.get(url("reviews_campaign", campaign.pk)).content.decode()
    assert "3 of 3 decided (100%): 2 kept, 0 changed, 1 revoked." in html
    assert "1 remediation task is not done yet." in html


def test_queue_and_decisions_need_the_review_permission(rw, campaign, client_for):
    item = campaign.items.first()
    for user in (rw.w.carol, rw.w.dave):
        client = client_for(user)
        assert client.get(url("reviews_queue")).status_code == 403
        assert client.post(url("reviews_decide", item.pk), {}).status_code == 403


def test_sign_off_and_reassign_views_need_an_administrator(rw, campaign, client_for):
    item = campaign.items.get(portal_account=rw.gina_acct)
    client = client_for(rw.w.bob)
    assert client.post(url("reviews_sign_off", campaign.pk)).status_code == 403
    assert client.post(url("reviews_reassign", item.pk), {"to_user": rw.w.alice.pk}).status_code == 403
    response = client_for(rw.w.alice).post(url("reviews_sign_off", campaign.pk), follow=True)
    assert "cannot be signed off yet: 3 items are still undecided." in response.content.decode()
    response = client_for(rw.w.alice).post(url("reviews_reassign", item.pk), {"to_user": rw.w.alice.pk},
                                           follow=True)
    assert ReviewItem.objects.get(pk=item.pk).reviewer == rw.w.alice


def test_settings_page_validates_and_audits(rw, client_for):
    client = client_for(rw.w.alice)
    response = client.post(url("reviews_settings"), {"cadence_months": 3, "duration_days": 500,
                                                      "undecided_rule": "revoke", "escalate_after_days": 2,
                                                      "reminder_days": "3, x"})
    html = response.content.decode()
    assert response.status_code == 200 and "between 1 and 90 days" in html and "Write whole numbers" in html
    assert not ReviewSettings.objects.exists()
    response = client.post(url("reviews_settings"), {"cadence_months": 6, "duration_days": 21,
                                                      "undecided_rule": "revoke", "escalate_after_days": 2,
                                                      "reminder_days": "7, 2"})
    assert response.status_code == 302
    cfg = ReviewSettings.objects.get()
    assert cfg.cadence_months == 6 and cfg.reminder_days_before == [7, 2]
    assert AuditEvent.objects.filter(action="review_settings.updated").exists()
    assert client_for(rw.w.bob).get(url("reviews_settings")).status_code == 403


def test_launch_now_button_is_idempotent(rw, client_for, at_launch):
    client = client_for(rw.w.alice)
    client.post(url("reviews_launch"))
    client.post(url("reviews_launch"))
    assert ReviewItem.objects.count() == 3
    assert client_for(rw.w.bob).post(url("reviews_launch")).status_code == 403


def test_my_keeps_can_be_revised_from_the_queue(rw, campaign, client_for):
    from reviews import services

    item = campaign.items.get(portal_account=rw.frank_acct)
    services.item_decide(item=item, acting_user=rw.w.bob, decision="keep")
    client = client_for(rw.w.bob)
    assert "Frank Front" not in client.get(url("reviews_queue")).content.decode()
    html = client.get(url("reviews_queue") + "?kept=1").content.decode()
    assert "1 item you kept." in html and f'hx-post="{url("reviews_decide", item.pk)}"' in html
    body = {f"i{item.pk}-decision": "change", f"i{item.pk}-reason": "No claim status needed",
            f"i{item.pk}-functions_to_remove": ["claim_status"]}
    html = unescape(client.post(url("reviews_decide", item.pk), body, **HX).content.decode())
    assert "loses Claim status; it keeps" in html and "A function change task goes to" in html
    assert f'name="i{item.pk}-functions_to_remove" value="claim_status"' in html
    assert ReviewItem.objects.get(pk=item.pk).decision == "keep"  # not yet: the change waits for the confirmation
    response = client.post(url("reviews_decide", item.pk), {**body, "confirm": "yes"}, **HX)
    assert response.status_code == 200 and ReviewItem.objects.get(pk=item.pk).decision == "change"


def test_campaign_and_history_pages_take_the_same_queries_as_items_grow(rw, campaign, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reviews import services
    from reviews.models import ReviewCampaign

    client = client_for(rw.w.alice)
    services.item_decide(item=campaign.items.get(portal_account=rw.gina_acct), acting_user=rw.w.bob,
                         decision="revoke", reason="left")
    pages = [url("reviews_campaign", campaign.pk), url("reviews_history"), url("reviews_evidence", campaign.pk)]
    for page in pages:
        client.get(page)
    small = {}
    for page in pages:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(page).status_code == 200
        small[page] = len(ctx)
    for n in range(20):
        make_account(make_staff(rw.w.org, f"More {n}", manager=rw.bob_staff), rw.enrollment)
    campaign.items.all().delete()
    ReviewCampaign.objects.filter(pk=campaign.pk).update(status="launching")
    campaign_launch(organization=rw.w.org)
    for item in campaign.items.filter(holder_name__startswith="More")[:5]:
        services.item_decide(item=item, acting_user=rw.w.bob, decision="revoke", reason="left")
    campaign_launch(organization=rw.w.org, period="2026Q3")
    for page in pages:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(page).status_code == 200
        assert len(ctx) == small[page], page


def test_dashboard_cards_count_my_items_and_overdue_campaigns(rw, campaign, client_for, time_machine):
    import datetime

    html = client_for(rw.w.bob).get(reverse("dashboard", args=["cascade"])).content.decode()
    assert "Review items waiting for you" in html
    time_machine.move_to(datetime.datetime(2026, 10, 20, 9, tzinfo=datetime.UTC), tick=False)
    html = client_for(rw.w.carol).get(reverse("dashboard", args=["cascade"])).content.decode()
    assert "Overdue access reviews" in html and "Review items waiting for you" not in html


def test_a_reviewer_delegates_an_item_through_the_page_and_a_bad_choice_changes_nothing(rw, campaign, client_for):
    item = campaign.items.filter(reviewer=rw.w.bob).first()
    assert item is not None
    client = client_for(rw.w.bob)
    response = client.post(url("reviews_delegate", item.pk), {"to_user": 999999}, follow=True)
    assert "Choose a reviewer from the list." in response.content.decode()
    assert ReviewItem.objects.get(pk=item.pk).reviewer == rw.w.bob
    response = client.post(url("reviews_delegate", item.pk), {"to_user": rw.w.alice.pk, "reason": "On leave"},
                           follow=True)
    assert "delegated to" in response.content.decode()
    assert ReviewItem.objects.get(pk=item.pk).reviewer == rw.w.alice


@pytest.mark.parametrize("kind", [ReviewItem.Kind.ACCOUNT, ReviewItem.Kind.CREDENTIAL])
def test_the_queue_renders_each_item_s_decision_form_as_a_real_decision_form_would(kind):
    """The queue cuts its unbound decision forms from one real form per kind (reviews.views._queue_forms):
    the same markup, item by item, as a DecisionForm with the item's prefix."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from reviews.forms import DecisionForm
    from reviews.views import _queue_forms

    functions = [{"code": "eligibility", "name": "Eligibility & benefits"}, {"code": 'x"<y>', "name": "Odd <b>"}]
    items = [ReviewItem(pk=pk, kind=kind, holder_name="Ann", portal_name="Availity", flags=[],
                        snapshot={"functions": functions[:n]}) for pk, n in ((7, 2), (12, 0), (31, 1))]
    request = RequestFactory().get("/")
    request.organization, request.user = type("Org", (), {"slug": "cascade"})(), type("U", (), {"pk": 0})()
    for item, light in zip(items, _queue_forms(items), strict=True):
        item.own_decision = []
        real = DecisionForm(item=item, prefix=f"i{item.pk}")
        context = {"item": item, "delegate_options": "", "request": request}
        assert (render_to_string("reviews/partials/queue_item.html", {**context, "form": light})
                == render_to_string("reviews/partials/queue_item.html", {**context, "form": real}))


_CARD_FUNCTIONS = [{"code": "eligibility", "name": "Eligibility & benefits"}, {"code": 'x"<y>', "name": "Odd <b>"}]
_CARD_ACCOUNT_SNAPSHOT = {
    "job_role": "Front desk", "employment_status_label": "On leave", "manager": "Bob <Billing>",
    "portal_user_id": "ann'01", "account_status": "deactivation_pending", "functions": _CARD_FUNCTIONS,
    "beyond_policy": ['x"<y>'], "last_login": "2026-08-01", "days_since_login": 61, "days_to_lockout": -3,
    "days_to_recert": 0, "mfa_enrolled": True, "training": "expired", "open_findings": ["Shared <login>", "No MFA"],
}
_CARD_CASES = {
    # name: (kind, snapshot, flags, decision, escalated, own_decision, reviewer is me, revise)
    "account, everything shown": ("account", _CARD_ACCOUNT_SNAPSHOT, ["on_leave", "beyond_policy", "open_findings"],
                                  "", False, ["on leave", "beyond policy"], True, False),
    "account, bare snapshot": ("account", {"functions": []}, [], "", False, [], True, False),
    "account, empty snapshot": ("account", {}, [], "", True, [], False, False),
    "account, nulls": ("account", {"manager": None, "portal_user_id": None, "account_status": None,
                                   "beyond_policy": None, "last_login": None, "days_since_login": None,
                                   "mfa_enrolled": None, "training": None, "open_findings": None},
                       ["terminated"], "", False, ["left the practice"], True, False),
    "account, not sure": ("account", _CARD_ACCOUNT_SNAPSHOT, ["no_mfa"], "not_sure", False, [], True, False),
    "account, kept, revised": ("account", _CARD_ACCOUNT_SNAPSHOT, [], "keep", False, [], False, True),
    "credential": ("credential", {"credential_kind": "Shared <login>", "login_id": "front&desk",
                                  "custodians": ["Ann", "<Bo>"], "rotated_on": "2026-01-02", "open_findings": ["x"]},
                   ["open_findings"], "", False, ["open findings"], True, False),
    "credential, nobody": ("credential", {"custodians": [], "rotated_on": None}, [], "", True, [], False, False),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(_CARD_CASES))
@pytest.mark.parametrize("is_admin", [True, False])
def test_the_queue_writes_each_card_as_the_queue_item_template_does(case, is_admin, world):
    """The queue's cards are written in Python (reviews.views._queue_card) for speed; the htmx row after a
    decision still renders reviews/partials/queue_item.html: the two give the same markup, byte for byte."""
    import datetime
    import re

    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.utils.safestring import SafeString

    from reviews.models import ReviewCampaign
    from reviews.views import _queue_cards, _queue_forms

    kind, snapshot, flags, decision, escalated, own, mine, revise = _CARD_CASES[case]
    campaign = ReviewCampaign(name="Q4 <2026> review", due_on=datetime.date(2026, 12, 31), status="open")
    item = ReviewItem(pk=41, kind=kind, holder_name="Ann <O'Neil>", portal_name="" if kind == "credential" else "Availity",
                      flags=flags, flagged=bool(flags), snapshot=snapshot, decision=decision, campaign=campaign,
                      escalated_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC) if escalated else None,
                      reviewer_id=world.bob.pk if mine else world.alice.pk)
    item.own_decision = own
    request = RequestFactory().get("/")
    request.organization, request.user, request.org_perms = world.org, world.bob, frozenset()
    request.session = {}
    options = SafeString("<option value=\"1\">Alice &amp; co</option>")
    [form] = _queue_forms([item])
    [card] = _queue_cards(request, [{"item": item, "form": form}], revise=revise, is_admin=is_admin,
                          delegate_options=options)
    template = render_to_string("reviews/partials/queue_item.html", {
        "item": item, "form": form, "revise": revise, "is_admin": is_admin, "delegate_options": options}, request)
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("T", str(card)) == token.sub("T", template)
    assert "Ann &lt;O&#x27;Neil&gt;" in card  # escaped

"""A believable billing-company data set at any size, for benchmarks and load tests (never production).

A billing company runs many practices: each has a roster (job roles, managers, leavers, movers, people on
leave), contracts with payers, registrations on the payer portals with their administrators, one account
per person per portal (functions by job role, some beyond policy, a few shared or generic user IDs,
inactive ones, passwords near expiry, no MFA), training, and years of audit events.

Everything is drawn from one random.Random(seed): the same seed and sizes on the same day give the
same rows. Rows are written with COPY (PostgreSQL) or executemany (SQLite) with ids assigned here, so
foreign keys need no read-back; the audit events are plain valid events left unsealed for the sealer.
"""

from __future__ import annotations

import datetime
import random
import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from core.bulkwrite import next_id, sync_sequence, write_rows

FIRST = ("Maria James Priya Derek Jenny Ana Luis Wei Fatima Omar Grace Noah Emma Liam Olivia Ava Sofia Mateo Ethan "
         "Mia Lucas Chloe Aiden Zoe Hannah Isaac Leah Samuel Nora Elena David Rosa Kevin Aisha Tomas Mei Jamal "
         "Carmen Victor Irene Hugo Lena Rahul Tariq Yuki Sara Diego Paula Ruth Aaron Bianca Caleb Dana Felix "
         "Gloria Henry Ivy Jonah Kara").split()
LAST = ("Alvarez Okafor Raman Lindqvist Nguyen Smith Johnson Garcia Martinez Brown Davis Lopez Wilson Anderson "
        "Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson "
        "Walker Young Allen King Wright Scott Torres Hill Flores Green Adams Nelson Baker Hall Rivera Campbell "
        "Mitchell Carter Roberts Patel Kim Chen Singh Cohen Murphy Reyes Ortiz Morgan Cooper Peterson Bailey "
        "Reed Kelly Howard Cox Ward Richardson Watson Brooks Wood James Bennett Gray Hughes Price Sanders").split()
PLACES = ("Cascade Potomac Evergreen Lakeside Riverside Summit Harbor Prairie Canyon Redwood Bayview Highland "
          "Maple Granite Willow Cedar Piedmont Sierra Coastal Valley Northgate Bluewater Ironwood Silverlake "
          "Oakridge Pinecrest Meadowbrook Fairview Westbrook Sunridge").split()
SPECIALTIES = ["Family Medicine", "Orthopedic Associates", "Pediatrics", "Cardiology Group", "Dermatology",
               "Women's Health", "Internal Medicine", "Physical Therapy", "Behavioral Health", "Gastroenterology",
               "Urology Partners", "Ear, Nose & Throat", "Pain Management", "Oncology Associates", "Sleep Center"]
SUFFIXES = ["PLLC", "PC", "LLC", "PA", "Inc."]
STATES = ["WA", "OR", "CA", "VA", "MD", "TX", "FL", "NY", "IL", "OH", "GA", "NC", "AZ", "CO", "PA"]
TIN_PREFIXES = ["91", "54", "98", "20", "26", "27", "45", "46", "47", "81", "82", "83", "84", "85", "86", "87", "88"]
# name, architecture, inactivity lock-out days, password lifetime days, MFA, re-certification interval
PORTALS = [
    ("Availity Essentials", "hub", 90, 90, True, None),
    ("OneHealthPort", "hub", 120, 365, True, None),
    ("TriZetto Provider Solutions", "hub", 90, 90, False, None),
    ("Noridian Medicare Portal", "mac", 60, 365, True, 365),
    ("myCGS", "mac", 30, 60, True, 360),
    ("NGSConnex", "mac", 60, 60, True, None),
    ("Novitas Portal", "mac", 60, 60, True, 365),
    ("Palmetto GBA eServices", "mac", 60, 60, True, None),
    ("UnitedHealthcare Provider Portal", "standalone", 90, 90, True, None),
    ("Aetna Provider Portal", "standalone", 90, 90, True, None),
    ("Cigna for HCP", "standalone", 90, 90, True, None),
    ("Humana Provider Portal", "standalone", 90, 90, True, None),
    ("State Medicaid Provider Portal", "medicaid", 60, 60, True, None),
    ("Workers' Compensation Provider Portal", "workers_comp", 90, 180, False, None),
    ("Regence Provider Portal", "standalone", 90, 90, True, None),
]
CARRIERS = [
    ("Aetna", "commercial"), ("UnitedHealthcare", "commercial"), ("Cigna", "commercial"), ("Humana", "medicare_advantage"),
    ("Medicare Part B", "medicare"), ("Regence BlueShield", "commercial"), ("Premera Blue Cross", "commercial"),
    ("Molina Healthcare", "medicaid_managed_care"), ("Centene", "medicaid_managed_care"), ("Kaiser Permanente", "commercial"),
    ("TRICARE West", "tricare"), ("State Workers' Compensation Fund", "workers_comp"), ("Anthem", "commercial"),
    ("WellCare", "medicare_advantage"), ("State Medicaid", "medicaid"), ("Oscar Health", "commercial"),
]
# job role, share of the roster
ROLES = [("front_desk", 28), ("billing_specialist", 24), ("coder", 10), ("prior_auth_coordinator", 9),
         ("clinician", 19), ("credentialing_specialist", 3), ("billing_manager", 4), ("practice_manager", 3)]
ACTIONS = [  # action, object type, actor kind, weight
    ("auth.login", "accounts.user", "user", 30),
    ("portal_account.updated", "access.portalaccount", "user", 18),
    ("portal_account.status_changed", "access.portalaccount", "user", 6),
    ("staff.updated", "staff.staffmember", "user", 8),
    ("provisioning_task.created", "access.provisioningtask", "user", 5),
    ("provisioning_task.completed", "access.provisioningtask", "user", 5),
    ("training_completion.attested", "training.trainingcompletion", "user", 4),
    ("review_item.decided", "reviews.reviewitem", "user", 10),
    ("findings.evaluated", "findings.finding", "job", 6),
    ("offboarding.reminders_sent", "offboarding.offboardingcase", "job", 2),
    ("auth.login_failed", "accounts.user", "anonymous", 3),
    ("audit.exported", "audits.auditevent", "user", 1),
    ("security.field_revealed", "access.organizationcredential", "user", 2),
]
USER_AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
               "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15",
               "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", ""]


@dataclass
class Sizes:
    orgs: int = 50
    staff: int = 400
    portals: int = 15
    events: int = 2_000_000
    seed: int = 1
    event_months: int = 24
    as_of: datetime.date | None = None
    prefix: str = "synth"  # practices' slugs start with it; another prefix adds a second data set beside


@dataclass
class Report:
    counts: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)


def _npi(rng) -> str:
    """A 10-digit NPI whose Luhn check digit is computed over the 80840 prefix."""
    body = "1" + "".join(str(rng.randrange(10)) for _ in range(8))
    digits = [int(d) for d in "80840" + body]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return body + str((10 - total % 10) % 10)


def _weighted(rng, pairs):
    names, weights = zip(*pairs, strict=True)
    return rng.choices(names, weights=weights)[0]


class Generator:
    def __init__(self, sizes: Sizes, log=print):
        self.s = sizes
        self.rng = random.Random(sizes.seed)  # nosec B311 -- reproducible invented demo data, nothing secret
        self.now = timezone.now()
        self.today = sizes.as_of or timezone.localdate(self.now)
        if sizes.as_of:
            self.now = timezone.make_aware(datetime.datetime.combine(sizes.as_of, datetime.time(12, 0)))
        self.log = log
        self.report = Report()

    def _step(self, name, func):
        t0 = time.perf_counter()
        with transaction.atomic():
            result = func()
        self.report.seconds[name] = round(time.perf_counter() - t0, 2)
        self.log(f"  {name}: {self.report.counts.get(name, '')} in {self.report.seconds[name]:.1f} s")
        return result

    def run(self) -> Report:
        from accounts.models import Organization

        if Organization.objects.filter(slug__startswith=f"{self.s.prefix}-").exists():
            raise ValueError(f"Synthetic data ({self.s.prefix}-*) is already in this database: generate into a "
                             "fresh one (or give another --prefix).")
        self._step("reference", self.reference)
        self._step("organizations", self.organizations)
        self._step("staff", self.staff)
        self._step("logins", self.logins)
        self._step("enrollments", self.enrollments)
        self._step("portal_accounts", self.accounts)
        self._step("training", self.training)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        self.events()  # its own transactions (chunks), so the sealer sees several txids
        return self.report

    # --- reference: functions (shipped), portals, rules, carriers -------------------------------
    def reference(self):
        from carriers.models import Carrier, Portal, PortalAccountRule, PortalFunction

        self.functions = dict(PortalFunction.objects.values_list("code", "pk"))
        if not self.functions:
            raise ValueError("No portal functions: run migrate first.")
        K = PortalAccountRule.Kind
        self.portals = []  # (id, name, lockout, lifetime, mfa, recert)
        pid = next_id(Portal)
        rows, rule_rows, m2m = [], [], []
        for i in range(self.s.portals):
            name, arch, lockout, lifetime, mfa, recert = PORTALS[i % len(PORTALS)]
            if i >= len(PORTALS):
                name = f"{name} (region {i // len(PORTALS) + 1})"
            key = f"{self.s.prefix}-{self.s.seed}-portal-{i}"
            rows.append((pid + i, None, key, name, arch, f"https://portal{i}.synthetic.example/", "[]", True,
                         "verified", "Synthetic benchmark data"))
            self.portals.append((pid + i, name, lockout, lifetime, mfa, recert))
            for kind, number, value in ((K.INACTIVITY_LOCKOUT_DAYS, lockout, str(lockout)),
                                        (K.PASSWORD_LIFETIME_DAYS, lifetime, str(lifetime)),
                                        (K.MFA, None, "Required" if mfa else "Optional"),
                                        (K.RECERT_INTERVAL_DAYS, recert, str(recert)),
                                        (K.MAX_ADMINISTRATORS, 4, "4 per TIN")):
                if value != "None":
                    rule_rows.append((pid + i, kind, number, value))
            m2m += [(pid + i, f) for f in self.functions.values()]
        write_rows(Portal, ["id", "organization_id", "reference_key", "name", "architecture", "url", "states",
                            "is_active", "verification", "source"], rows, now=self.now)
        sync_sequence(Portal)
        write_rows(PortalAccountRule, ["portal_id", "kind", "number", "value"], rule_rows, now=self.now)
        write_rows(Portal.functions.through, ["portal_id", "portalfunction_id"], m2m, now=self.now)
        cid = next_id(Carrier)
        self.carriers = [(cid + i, lob) for i, (_, lob) in enumerate(CARRIERS)]
        write_rows(Carrier, ["id", "organization_id", "reference_key", "name", "lines_of_business", "is_active"],
                   [(cid + i, None, f"{self.s.prefix}-{self.s.seed}-carrier-{i}", name, [lob], True)
                    for i, (name, lob) in enumerate(CARRIERS)], now=self.now)
        sync_sequence(Carrier)
        self.report.counts["reference"] = f"{len(rows)} portals, {len(CARRIERS)} carriers"

    # --- organizations, contracts ----------------------------------------------------------------
    def organizations(self):
        from accounts.models import GroupNPI, Organization
        from carriers.models import Contract

        rng = self.rng
        oid = next_id(Organization)
        rows, npis, contracts = [], [], []
        self.orgs = []  # (id, slug, state)
        for n in range(self.s.orgs):
            place, spec = rng.choice(PLACES), rng.choice(SPECIALTIES)
            state = rng.choice(STATES)
            slug = f"{self.s.prefix}-{n + 1:03d}-{place.lower()}"
            name = f"{place} {spec}, {rng.choice(SUFFIXES)}"
            tin = rng.choice(TIN_PREFIXES) + f"{rng.randrange(10**7):07d}"
            states = sorted({state, rng.choice(STATES)})
            rows.append((oid + n, name, slug, tin, states, state, "", False))
            self.orgs.append((oid + n, slug, state))
            npis.append((oid + n, _npi(rng), f"{place} {spec} (group)"))
            for carrier_id, lob in rng.sample(self.carriers, k=min(len(self.carriers), rng.randint(6, 10))):
                start = self.today - datetime.timedelta(days=rng.randint(200, 3000))
                end = self.today - datetime.timedelta(days=rng.randint(1, 150)) if rng.random() < 0.08 else None
                contracts.append((oid + n, carrier_id, lob, start, end, [state]))
        write_rows(Organization, ["id", "legal_name", "slug", "tin", "billing_states", "practice_state",
                                  "practice_county", "mfa_required_for_all"], rows, now=self.now)
        sync_sequence(Organization)
        write_rows(GroupNPI, ["organization_id", "npi", "label"], npis, now=self.now)
        write_rows(Contract, ["organization_id", "carrier_id", "line_of_business", "effective_date", "end_date",
                              "states"], contracts, now=self.now)
        self.report.counts["organizations"] = f"{len(rows)} practices, {len(contracts)} contracts"

    # --- staff: roles, managers, leavers, movers, people on leave ----------------------------------
    def staff(self):
        from offboarding.models import RoleWatermark
        from staff.models import StaffMember

        rng = self.rng
        sid = next_id(StaffMember)
        marks = []
        self.people = {}  # org id -> list of dicts
        for org_id, slug, _state in self.orgs:
            people = []
            for i in range(self.s.staff):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                # The first people of each practice are its managers (so reviewers and administrators exist).
                role = ("practice_manager" if i == 0 else "billing_manager" if i in (1, 2)
                        else _weighted(rng, ROLES))
                start = self.today - datetime.timedelta(days=rng.randint(30, 4000))
                status, end = "active", None
                r = rng.random()
                if i >= 3 and r < 0.04:  # leavers, most of them long gone
                    status = "terminated"
                    end = self.today - datetime.timedelta(days=rng.randint(1, 700))
                elif i >= 3 and r < 0.055:
                    status = "on_leave"
                elif i >= 3 and r < 0.058:  # end date passed, not recorded yet: the daily job catches it
                    end = self.today - datetime.timedelta(days=rng.randint(1, 3))
                person = {"id": sid, "n": i + 1, "name": f"{first} {last}", "role": role, "status": status, "end": end,
                          "email": f"{first.lower()}.{last.lower()}.{i + 1}@{slug}.example", "manager": None,
                          "user": None, "start": start}
                people.append(person)
                sid += 1
            billing_mgrs = [p for p in people[:3] if p["role"] == "billing_manager"]
            for p in people[3:]:
                p["manager"] = (rng.choice(billing_mgrs)["id"] if p["role"] in ("billing_specialist", "coder")
                                else people[0]["id"])
            self.people[org_id] = people
            for p in people:
                if p["status"] != "active":
                    continue
                # Movers: a few people's job role changed since the last evaluation.
                seen = p["role"] if rng.random() > 0.004 else "front_desk" if p["role"] != "front_desk" else "coder"
                marks.append((p["id"], org_id, seen, self.now))
        write_rows(StaffMember, ["id", "organization_id", "full_name", "work_email", "job_role", "employment_status",
                                 "start_date", "end_date", "manager_id", "user_id"],
                   ((p["id"], org_id, p["name"], p["email"], p["role"], p["status"], p["start"], p["end"], None, None)
                    for org_id, people in self.people.items() for p in people), now=self.now)
        sync_sequence(StaffMember)
        pairs = [(p["manager"], p["id"]) for people in self.people.values() for p in people if p["manager"]]
        with connection.cursor() as cur:  # managers once everybody exists
            if connection.vendor == "postgresql":
                self._set_managers(cur, pairs)
            else:
                cur.executemany("UPDATE staff_staffmember SET manager_id = %s WHERE id = %s", pairs)
        write_rows(RoleWatermark, ["staff_member_id", "organization_id", "job_role", "evaluated_at"], marks,
                   now=self.now)
        self.report.counts["staff"] = f"{sum(map(len, self.people.values())):,} people"

    def _set_managers(self, cur, pairs):
        from core.bulkwrite import copy_rows

        cur.execute("DROP TABLE IF EXISTS synthetic_managers")
        cur.execute("CREATE TEMP TABLE synthetic_managers (manager_id bigint, id bigint)")
        copy_rows("synthetic_managers", ["manager_id", "id"], pairs)
        cur.execute("UPDATE staff_staffmember s SET manager_id = m.manager_id FROM synthetic_managers m "
                    "WHERE s.id = m.id")
        cur.execute("DROP TABLE synthetic_managers")

    # --- logins: an administrator, two billing managers and an auditor per practice -----------------
    def logins(self):
        from accounts.models import Organization, Role, User

        uid = next_id(User)
        users, links = [], []
        for org_id, slug, _ in self.orgs:
            people = self.people[org_id]
            for k, who in enumerate((people[0], people[1], people[2], None)):
                name = who["name"] if who else f"Auditor of {slug}"
                users.append((uid, f"{['admin', 'billing1', 'billing2', 'auditor'][k]}@{slug}.example", name,
                              "!synthetic", True, False, False, self.now))
                if who:
                    who["user"] = uid
                    links.append((uid, who["id"]))
                uid += 1
        write_rows(User, ["id", "email", "full_name", "password", "is_active", "is_staff", "is_superuser",
                          "date_joined"], users, now=self.now)
        sync_sequence(User)
        with connection.cursor() as cur:
            cur.executemany("UPDATE staff_staffmember SET user_id = %s WHERE id = %s", links)
        # Memberships and their guardian grants written in bulk (the grant service costs ~50 queries each:
        # minutes for a billing company), each still recorded as a membership.granted audit event.
        from django.contrib.auth.models import Permission
        from django.contrib.contenttypes.models import ContentType
        from guardian.models import UserObjectPermission

        from accounts.models import Membership
        from accounts.roles import ROLE_PERMISSIONS
        from audits.services import record_event

        ct = ContentType.objects.get_for_model(Organization)
        perms = {f"{ct.app_label}.{p.codename}": p.pk for p in Permission.objects.filter(content_type=ct)}
        roles = {"admin": Role.ADMINISTRATOR, "billing1": Role.BILLING_MANAGER, "billing2": Role.BILLING_MANAGER,
                 "auditor": Role.AUDITOR}
        members, grants = [], []
        for (user_id, email, *_rest) in users:
            slug = email.split("@")[1].removesuffix(".example")
            org_id = next(o for o, s, _ in self.orgs if s == slug)
            role = roles[email.split("@")[0]]
            members.append(Membership(organization_id=org_id, user_id=user_id, role=role))
            grants += [UserObjectPermission(user_id=user_id, permission_id=perms[p], content_type=ct,
                                            object_pk=str(org_id)) for p in sorted(ROLE_PERMISSIONS[role])]
        Membership.objects.bulk_create(members, batch_size=1000)
        UserObjectPermission.objects.bulk_create(grants, batch_size=1000)
        orgs = Organization.objects.in_bulk([o for o, _, _ in self.orgs])
        for m in Membership.objects.filter(organization_id__in=orgs).select_related("user"):
            record_event("membership.granted", organization=orgs[m.organization_id], target=m,
                         changes={"role": [None, m.role]})
        self.report.counts["logins"] = f"{len(users)} logins"

    # --- enrollments and their administrators ---------------------------------------------------------
    def enrollments(self):
        from carriers.models import PortalEnrollment
        from staff.models import EnrollmentAdministrator

        rng = self.rng
        eid = next_id(PortalEnrollment)
        rows, admins = [], []
        self.enrollments_of = {}
        for org_id, _slug, _ in self.orgs:
            people = self.people[org_id]
            managers = [p for p in people if p["role"] in ("practice_manager", "billing_manager")]
            leavers = [p for p in people if p["status"] == "terminated"]
            mine = []
            for portal in self.portals:
                registered = self.today - datetime.timedelta(days=rng.randint(100, 3000))
                rows.append((eid, org_id, portal[0], "", "", "", "registered", registered, registered))
                mine.append((eid, portal))
                primary = rng.choice(managers)
                if leavers and rng.random() < 0.02:  # the primary administrator has left: a critical finding
                    admins.append((eid, rng.choice(leavers)["id"], "primary"))
                else:
                    admins.append((eid, primary["id"], "primary"))
                    backup = rng.choice([m for m in managers if m is not primary] or managers)
                    if backup is not primary:
                        admins.append((eid, backup["id"], "backup"))
                eid += 1
            self.enrollments_of[org_id] = mine
        write_rows(PortalEnrollment, ["id", "organization_id", "portal_id", "tin", "npi", "ptan", "status",
                                      "started_on", "registered_on"], rows, now=self.now)
        sync_sequence(PortalEnrollment)
        write_rows(EnrollmentAdministrator, ["enrollment_id", "staff_member_id", "role"], admins, now=self.now)
        self.report.counts["enrollments"] = f"{len(rows):,} enrollments, {len(admins):,} administrators"

    # --- portal accounts and their functions ---------------------------------------------------------------
    def accounts(self):
        from access.models import PortalAccount
        from access.policy import DEFAULT_POLICY

        rng = self.rng
        aid = next_id(PortalAccount)
        first_id = aid
        codes = sorted(self.functions)
        self.account_labels = {}
        fn_rows = []

        def rows():
            nonlocal aid
            for org_id, _slug, _ in self.orgs:
                labels = []
                for p in self.people[org_id]:
                    allowed = sorted(DEFAULT_POLICY[p["role"]])
                    left = p["status"] == "terminated"
                    live_left = left and rng.random() < 0.15
                    base = (p["name"].split()[0][0] + p["name"].split()[1]).lower()
                    for k, (enrollment_id, portal) in enumerate(self.enrollments_of[org_id]):
                        _pid, pname, lockout, lifetime, _mfa, _recert = portal
                        if left:
                            status = "active" if (live_left and rng.random() < 0.1) else "deactivated"
                        elif p["status"] == "on_leave":
                            status = rng.choice(["active", "suspended"])
                        else:
                            r = rng.random()
                            status = ("active" if r < 0.955 else "suspended" if r < 0.965
                                      else "requested" if r < 0.975 else "deactivated")
                        uid = f"{base}{p['n']}" + (f".{k}" if k else "")  # from positions, not ids: reproducible
                        r = rng.random()
                        if r < 0.0004 and labels:  # someone else's user ID recorded here: shared credential
                            uid = rng.choice(labels)[2]
                        elif r < 0.0007:
                            uid = rng.choice(["frontdesk", "billing1", "office", "admin2"])
                        # Logins: most recent; some never used for months (inactive, lock-out near).
                        r = rng.random()
                        days = rng.randint(0, 30) if r < 0.92 else rng.randint(lockout - 10, 200)
                        login = self.today - datetime.timedelta(days=days) if status != "requested" else None
                        pw_age = rng.randint(0, lifetime + 5) if rng.random() < 0.9 else rng.randint(0, lifetime // 2)
                        pw = self.today - datetime.timedelta(days=pw_age) if login else None
                        provisioned = self.now - datetime.timedelta(days=rng.randint(days, days + 1500)) if login else None
                        mfa = rng.random() > 0.03
                        labels.append((aid, pname, uid))
                        n_fn = min(len(allowed), rng.randint(1, 3))
                        chosen = rng.sample(allowed, n_fn)
                        if rng.random() < 0.02:  # beyond policy
                            extra = rng.choice(codes)
                            if extra not in chosen:
                                chosen.append(extra)
                        fn_rows.extend((aid, self.functions[c]) for c in chosen)
                        yield (aid, org_id, p["id"], enrollment_id, uid, status, f"1Password: {pname} / {uid}", mfa,
                               pw, login, provisioned, self.now, "import")
                        aid += 1
                self.account_labels[org_id] = [(a, pn, u) for a, pn, u in labels[:: max(1, len(labels) // 500)]]

        n = write_rows(PortalAccount, ["id", "organization_id", "staff_member_id", "enrollment_id", "portal_user_id",
                                       "status", "password_reference", "mfa_enrolled", "password_last_changed",
                                       "last_login_attested", "provisioned_at", "status_changed_at", "source"],
                       rows(), now=self.now)
        sync_sequence(PortalAccount)
        write_rows(PortalAccount.functions.through, ["portalaccount_id", "portalfunction_id"], fn_rows, now=self.now)
        self.first_account_id = first_id
        self.report.counts["portal_accounts"] = f"{n:,} accounts, {len(fn_rows):,} functions"

    # --- training -------------------------------------------------------------------------------------------
    def training(self):
        from training.models import TrainingCompletion, TrainingModule

        rng = self.rng
        mid = next_id(TrainingModule)
        modules, done = [], []
        for org_id, _slug, _ in self.orgs:
            general = mid
            modules.append((mid, org_id, "Portal security basics", "general", None, None, 12, True,
                            "Passwords, MFA, phishing and one person, one login."))
            mid += 1
            for p in self.people[org_id]:
                if p["status"] == "terminated" or rng.random() > 0.93:
                    continue
                completed = self.today - datetime.timedelta(days=rng.randint(0, 420))
                expires = completed + datetime.timedelta(days=365)
                done.append((org_id, p["id"], general, completed, expires, "recorded", ""))
        write_rows(TrainingModule, ["id", "organization_id", "title", "scope", "portal_id", "function_id",
                                    "renewal_months", "is_active", "description"], modules, now=self.now)
        sync_sequence(TrainingModule)
        write_rows(TrainingCompletion, ["organization_id", "staff_member_id", "module_id", "completed_on",
                                        "expires_on", "method", "evidence"], done, now=self.now)
        self.report.counts["training"] = f"{len(modules)} modules, {len(done):,} completions"

    # --- audit events ---------------------------------------------------------------------------------------
    def events(self):
        from audits.models import AuditEvent

        total = self.s.events
        if total <= 0:
            return
        t0 = time.perf_counter()
        rng = self.rng
        months = max(1, self.s.event_months)
        start = self.now - datetime.timedelta(days=30.44 * months)
        if connection.vendor == "postgresql":
            from audits.partitions import add_months, month_start

            with connection.cursor() as cur:
                first = month_start(start.date())
                for i in range(months + 2):
                    cur.execute("SELECT audits_ensure_partition(%s)", [add_months(first, i)])
        span = (self.now - start).total_seconds() - 60
        step = span / total
        actions = [(a, o, k) for a, o, k, _ in ACTIONS]
        cum, total_w = [], 0
        for *_, w in ACTIONS:
            total_w += w
            cum.append(total_w)
        orgs = [o for o, _, _ in self.orgs]
        users = {o: [(p["user"], p["name"]) for p in self.people[o] if p["user"]] for o in orgs}
        staff = {o: [(p["id"], p["name"]) for p in self.people[o][:: max(1, len(self.people[o]) // 200)]]
                 for o in orgs}
        columns = ["timestamp", "action", "severity", "organization_id", "actor_type", "actor_ref", "actor_label",
                   "actor_id", "object_type", "object_pk", "object_id", "object_label", "object_repr", "changes",
                   "changes_text", "message", "remote_addr", "user_agent", "request_id"]

        def rows(lo, hi):
            for i in range(lo, hi):
                ts = start + datetime.timedelta(seconds=i * step + rng.random() * step)
                action, otype, kind = rng.choices(actions, cum_weights=cum)[0]
                org = rng.choice(orgs)
                user_id, user_name = rng.choice(users[org])
                actor = {"user": ("user", str(user_id), user_name, user_id),
                         "job": ("job", "hygiene.tasks.daily_hygiene", "job:hygiene.tasks.daily_hygiene", None),
                         "anonymous": ("anonymous", "", "anonymous", None)}[kind]
                changes, message, severity = {}, "", "info"
                if otype == "access.portalaccount":
                    oid, portal, uid = rng.choice(self.account_labels[org])
                    label = f"{uid} on {portal}"
                    if action.endswith("status_changed"):
                        changes = {"status": ["active", rng.choice(["suspended", "deactivation_pending"])]}
                        message = rng.choice(["Left the practice", "On leave until further notice", "Role change"])
                    else:
                        changes = {"last_login_attested": [str(self.today - datetime.timedelta(days=40)),
                                                           str(ts.date())]}
                elif otype == "staff.staffmember" or otype == "training.trainingcompletion":
                    oid, label = rng.choice(staff[org])
                    changes = {"job_role": ["front_desk", "billing_specialist"]} if action == "staff.updated" else {}
                elif otype == "accounts.user":
                    oid, label = user_id, user_name
                    if kind == "anonymous":
                        severity, message = "warning", "Wrong password"
                else:
                    oid, label = rng.randrange(1, 10**6), f"{action.split('.')[0].replace('_', ' ')} {i}"
                    if action == "findings.evaluated":
                        changes = {"opened": [f"inactive_account: {rng.choice(staff[org])[1]} has not used a portal"],
                                   "resolved": []}
                ip = f"10.{org % 250}.{rng.randrange(256)}.{rng.randrange(1, 255)}" if kind != "job" else None
                yield (ts, action, severity, org, actor[0], actor[1], actor[2], actor[3], otype, str(oid), oid,
                       label[:255], label, changes, "", message, ip,
                       rng.choice(USER_AGENTS) if kind != "job" else "", f"{rng.getrandbits(64):016x}")

        chunk = 250_000
        for lo in range(0, total, chunk):
            with transaction.atomic():
                write_rows(AuditEvent, columns, rows(lo, min(total, lo + chunk)), now=self.now)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE audits_auditevent")
        self.report.counts["audit_events"] = f"{total:,} events over {months} months"
        self.report.seconds["audit_events"] = round(time.perf_counter() - t0, 2)
        self.log(f"  audit_events: {self.report.counts['audit_events']} in {self.report.seconds['audit_events']:.1f} s")


def generate(sizes: Sizes, log=print) -> Report:
    return Generator(sizes, log=log).run()

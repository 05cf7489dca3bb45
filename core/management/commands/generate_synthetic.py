"""python manage.py generate_synthetic --orgs 50 --staff 400 --portals 15 --events 2000000 --seed 1

A billing company's data set for benchmarks (core.synthetic). Refuses with DEBUG off: generated people
and events must never reach a production database."""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from core.demo_guard import ensure_demo_allowed
from core.synthetic import Sizes, generate


def _positive(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Generate a synthetic billing-company data set (practices, staff, portals, accounts, audit events)."

    def add_arguments(self, parser):
        parser.add_argument("--orgs", type=_positive, default=50, help="practices (default 50)")
        parser.add_argument("--staff", type=_positive, default=400, help="people per practice (default 400)")
        parser.add_argument("--portals", type=_positive, default=15,
                            help="portals, each practice enrolled on all of them (default 15)")
        parser.add_argument("--events", type=_positive, default=2_000_000, help="audit events (default 2,000,000)")
        parser.add_argument("--event-months", type=_positive, default=24, help="months the events span (default 24)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--prefix", default="synth", help="practices' slug prefix (default synth)")
        parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=None,
                            help="the day the data is relative to (YYYY-MM-DD; default today)")

    def handle(self, *args, **opts):
        ensure_demo_allowed("generate_synthetic")
        if opts["orgs"] < 1 or opts["staff"] < 4 or opts["portals"] < 1:
            raise CommandError("Need at least 1 practice, 4 people per practice and 1 portal.")
        sizes = Sizes(orgs=opts["orgs"], staff=opts["staff"], portals=opts["portals"], events=opts["events"],
                      seed=opts["seed"], prefix=opts["prefix"], event_months=opts["event_months"] or 1, as_of=opts["as_of"])
        t0 = time.perf_counter()
        self.stdout.write(f"Generating {sizes.orgs} practices x {sizes.staff} staff x {sizes.portals} portals, "
                          f"{sizes.events:,} audit events (seed {sizes.seed})")
        try:
            generate(sizes, log=self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Synthetic data ready in {time.perf_counter() - t0:.1f} s."))

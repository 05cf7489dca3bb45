from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from core.context import Actor, acting_as
from reviews.launch import campaign_launch


class Command(BaseCommand):
    help = "Launch (or finish launching) an organization's access review for a period (default: the current one)."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organization slug.")
        parser.add_argument("--period", help="e.g. 2026Q4 (quarterly), 2026H2, 2026-11 or 2026.")

    def handle(self, *args, org, period=None, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with the slug '{org}'.")
        actor = Actor.job("launch_review")
        with acting_as(actor):
            try:
                campaign = campaign_launch(organization=organization, period=period, acting_user=actor)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        scope = campaign.scope or {}
        self.stdout.write(f"{campaign.name} for {organization.legal_name}: {campaign.get_status_display().lower()}, "
                          f"{scope.get('items', 0)} items ({scope.get('accounts', 0)} accounts, "
                          f"{scope.get('credentials', 0)} organization credentials), due {campaign.due_on:%Y-%m-%d}.")

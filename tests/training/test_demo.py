"""The demo training: idempotent, with one expired and one missing completion."""

from django.utils import timezone

from carriers.demo import seed_demo_directory
from findings.models import Finding
from findings.services import findings_evaluate_organization
from staff.demo import seed_demo_staff
from training.demo import seed_demo_training
from training.models import Scope, TrainingCompletion, TrainingModule


def test_seed_demo_training_is_idempotent_with_an_expired_completion(world):
    seed_demo_directory(world.org)
    seed_demo_staff(world.org)
    first = seed_demo_training(world.org)
    assert first["modules"] == 2 and first["completions"] > 5
    assert set(TrainingModule.objects.values_list("scope", flat=True)) == {Scope.GENERAL, Scope.PORTAL}
    assert "Noridian" in TrainingModule.objects.get(scope=Scope.PORTAL).portal.name
    count = TrainingCompletion.objects.count()
    assert seed_demo_training(world.org) == {"modules": 0, "completions": 0}
    assert TrainingCompletion.objects.count() == count
    assert TrainingCompletion.objects.filter(expires_on__lt=timezone.localdate()).count() == 1
    findings_evaluate_organization(organization=world.org, now=timezone.now())
    assert Finding.objects.filter(rule="untrained_holder", resolved_at__isnull=True).exists()

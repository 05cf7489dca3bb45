"""Writes: modules and completions. Each takes the acting user and records its audit event in the
same transaction; bad input raises ValidationError and saves nothing."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audits.services import record_event

from .models import Scope, TrainingCompletion, TrainingModule, add_months

MODULE_FIELDS = ("title", "description", "scope", "portal", "function", "renewal_months", "is_active")


def _check_module(module: TrainingModule) -> None:
    errors = {}
    if not (module.title or "").strip():
        errors["title"] = "Give the module a title."
    if module.scope == Scope.PORTAL and not module.portal_id:
        errors["portal"] = "Choose the portal this module is required for."
    if module.scope == Scope.FUNCTION and not module.function_id:
        errors["function"] = "Choose the portal function this module is required for."
    if module.portal_id and module.portal.organization_id not in (None, module.organization_id):
        errors["portal"] = "That portal belongs to another organization."
    if not module.renewal_months or not 1 <= module.renewal_months <= 60:
        errors["renewal_months"] = "Renewal must be between 1 and 60 months."
    if module.scope != Scope.PORTAL:
        module.portal = None
    if module.scope != Scope.FUNCTION:
        module.function = None
    if (module.title and TrainingModule.objects.filter(organization_id=module.organization_id,
                                                       title__iexact=module.title.strip())
            .exclude(pk=module.pk).exists()):
        errors["title"] = "A module with this title already exists."
    if errors:
        raise ValidationError(errors)


def _describe(module: TrainingModule) -> dict:
    return {"title": module.title, "scope": module.scope, "portal": module.portal_id, "function": module.function_id,
            "renewal_months": module.renewal_months, "is_active": module.is_active}


def module_create(*, organization, acting_user, **fields) -> TrainingModule:
    module = TrainingModule(organization=organization, **{k: v for k, v in fields.items() if k in MODULE_FIELDS})
    module.title = (module.title or "").strip()
    _check_module(module)
    with transaction.atomic():
        module.save()
        record_event("training_module.created", actor=acting_user, organization=organization, target=module,
                     changes={k: [None, v] for k, v in _describe(module).items()})
    return module


def module_update(*, module: TrainingModule, acting_user, **fields) -> TrainingModule:
    before = _describe(TrainingModule.objects.get(pk=module.pk))
    for key, value in fields.items():
        if key in MODULE_FIELDS:
            setattr(module, key, value)
    module.title = (module.title or "").strip()
    _check_module(module)
    after = _describe(module)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    with transaction.atomic():
        module.save()
        if changes:
            record_event("training_module.updated", actor=acting_user, organization=module.organization_id,
                         target=module, changes=changes)
    return module


def completion_record(*, organization, staff_member, module, completed_on: datetime.date, acting_user,
                      evidence: str = "", attested: bool = False) -> TrainingCompletion:
    """Record that `staff_member` completed `module` on `completed_on` (attested=True: the person
    says so themself, from My training). Refuses a future date and anything of another organization."""
    errors = {}
    if staff_member is None or staff_member.organization_id != organization.pk:
        errors["staff_member"] = "That staff member is not in this organization."
    if module is None or module.organization_id != organization.pk:
        errors["module"] = "That training module is not in this organization."
    elif not module.is_active:
        errors["module"] = "That training module is no longer active."
    if not isinstance(completed_on, datetime.date):
        errors["completed_on"] = "Give the date the training was completed."
    elif completed_on > timezone.localdate():
        errors["completed_on"] = "The completion date cannot be in the future."
    if errors:
        raise ValidationError(errors)
    completion = TrainingCompletion(
        organization=organization, staff_member=staff_member, module=module, completed_on=completed_on,
        expires_on=add_months(completed_on, module.renewal_months),
        method=TrainingCompletion.Method.ATTESTED if attested else TrainingCompletion.Method.RECORDED,
        recorded_by=acting_user, evidence=(evidence or "").strip()[:500])
    with transaction.atomic():
        completion.save()
        record_event("training_completion.attested" if attested else "training_completion.recorded",
                     actor=acting_user, organization=organization, target=completion,
                     changes={"module": [None, module.title], "staff_member": [None, staff_member.full_name],
                              "completed_on": [None, completed_on.isoformat()],
                              "expires_on": [None, completion.expires_on.isoformat()]},
                     message=completion.evidence)
    return completion

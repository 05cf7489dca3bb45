"""Writes for the directory: the reference load, contracts, enrollments and custom portals.

Every function takes the acting user explicitly, validates fully before saving (a bad value
raises ValidationError with field errors and saves nothing) and writes its audit event in the
same transaction as the change.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audits.services import record_event

from . import loader
from .models import Carrier, Contract, Portal, PortalEnrollment, PortalReach


def load_reference_directory(*, actor=None, directory: Path | None = None) -> loader.LoadResult:
    """Load carriers/reference_data (or `directory`): all or nothing, idempotent.

    Called by `manage.py load_directory` and by the demo seeder. Raises
    loader.DirectoryDataError (file and line named) and changes nothing on a corrupt file.
    """
    data = loader.read_dataset(directory)
    result = loader.LoadResult()
    with transaction.atomic():
        loader.apply_dataset(data, result)
        if result.changed:
            record_event(
                "directory.reference_loaded", actor=actor, object_type="carriers.referencedirectory",
                object_label="Reference carrier and portal directory", changes=result.as_dict(),
                message=result.summary(),
            )
    return result


# --- helpers ---------------------------------------------------------------------------------------

def _snapshot(obj, fields) -> dict:
    out = {}
    for name in fields:
        value = getattr(obj, name)
        if hasattr(value, "pk"):
            value = str(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        out[name] = value
    return out


def _diff(before: dict, after: dict) -> dict:
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


def _save_validated(obj, *, exclude=None):
    """full_clean then save; a database uniqueness race becomes a ValidationError."""
    obj.full_clean(exclude=exclude)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ValidationError("This duplicates an existing record.") from exc


# --- contracts -------------------------------------------------------------------------------------

CONTRACT_FIELDS = ["carrier", "line_of_business", "effective_date", "end_date", "states", "provider_services_phone", "notes"]


def _check_contract(contract: Contract) -> None:
    errors = {}
    if contract.carrier_id and contract.carrier.organization_id not in (None, contract.organization_id):
        errors["carrier"] = "Choose one of your carriers or a reference carrier."
    if contract.end_date and contract.effective_date and contract.end_date < contract.effective_date:
        errors["end_date"] = "The end date is before the effective date."
    if contract.states:
        contract.states = sorted({str(s).upper() for s in contract.states})
    if contract.carrier_id and contract.effective_date:
        overlapping = Contract.objects.filter(
            organization_id=contract.organization_id, carrier_id=contract.carrier_id,
            line_of_business=contract.line_of_business,
        ).exclude(pk=contract.pk)
        for other in overlapping:
            other_end, end = other.end_date, contract.end_date
            if (end is None or end >= other.effective_date) and (other_end is None or other_end >= contract.effective_date):
                errors["carrier"] = (
                    f"The practice already has a {other.get_line_of_business_display()} contract with "
                    f"{other.carrier} for overlapping dates (from {other.effective_date:%Y-%m-%d})."
                )
                break
    if errors:
        raise ValidationError(errors)


def contract_create(*, organization, actor, **fields) -> Contract:
    contract = Contract(organization=organization, **fields)
    with transaction.atomic():
        _check_contract(contract)
        _save_validated(contract, exclude=["organization"])
        record_event("contract.created", actor=actor, organization=organization, target=contract,
                     changes=_snapshot(contract, CONTRACT_FIELDS))
    return contract


def contract_update(*, contract: Contract, actor, **fields) -> Contract:
    before = _snapshot(Contract.objects.get(pk=contract.pk), CONTRACT_FIELDS)
    for name, value in fields.items():
        setattr(contract, name, value)
    with transaction.atomic():
        _check_contract(contract)
        _save_validated(contract, exclude=["organization"])
        changes = _diff(before, _snapshot(contract, CONTRACT_FIELDS))
        if changes:
            record_event("contract.updated", actor=actor, organization=contract.organization_id, target=contract, changes=changes)
    return contract


def contract_delete(*, contract: Contract, actor) -> None:
    with transaction.atomic():
        record_event("contract.deleted", actor=actor, organization=contract.organization_id, target=contract,
                     changes=_snapshot(contract, CONTRACT_FIELDS))
        contract.delete()


# --- enrollments -----------------------------------------------------------------------------------

ENROLLMENT_FIELDS = ["portal", "tin", "npi", "ptan", "status", "started_on", "registered_on", "closed_on",
                     "downtime_protocol", "support_phone", "notes"]


def _check_enrollment(enrollment: PortalEnrollment) -> None:
    errors = {}
    if enrollment.portal_id and enrollment.portal.organization_id not in (None, enrollment.organization_id):
        errors["portal"] = "Choose a reference portal or one of your own."
    if enrollment.tin:
        enrollment.tin = enrollment.tin.replace("-", "").strip()
    if enrollment.ptan:
        enrollment.ptan = enrollment.ptan.strip().upper()
    if enrollment.status == PortalEnrollment.Status.REGISTERED and not enrollment.registered_on:
        errors["registered_on"] = "Give the date the registration was completed."
    if enrollment.started_on and enrollment.registered_on and enrollment.registered_on < enrollment.started_on:
        errors["registered_on"] = "Registered before it was started."
    if enrollment.closed_on and enrollment.started_on and enrollment.closed_on < enrollment.started_on:
        errors["closed_on"] = "Closed before it was started."
    if enrollment.portal_id:
        dup = PortalEnrollment.objects.filter(
            organization_id=enrollment.organization_id, portal_id=enrollment.portal_id, tin=enrollment.tin,
            npi=enrollment.npi, ptan=enrollment.ptan,
        ).exclude(pk=enrollment.pk)
        if dup.exists():
            errors["portal"] = "The practice already has an enrollment on this portal with these identifiers."
    if errors:
        raise ValidationError(errors)


def enrollment_create(*, organization, actor, **fields) -> PortalEnrollment:
    enrollment = PortalEnrollment(organization=organization, **fields)
    with transaction.atomic():
        _check_enrollment(enrollment)
        _save_validated(enrollment, exclude=["organization"])
        record_event("enrollment.created", actor=actor, organization=organization, target=enrollment,
                     changes=_snapshot(enrollment, ENROLLMENT_FIELDS))
    return enrollment


def enrollment_update(*, enrollment: PortalEnrollment, actor, **fields) -> PortalEnrollment:
    before = _snapshot(PortalEnrollment.objects.get(pk=enrollment.pk), ENROLLMENT_FIELDS)
    for name, value in fields.items():
        setattr(enrollment, name, value)
    with transaction.atomic():
        _check_enrollment(enrollment)
        _save_validated(enrollment, exclude=["organization"])
        changes = _diff(before, _snapshot(enrollment, ENROLLMENT_FIELDS))
        if changes:
            action = "enrollment.status_changed" if "status" in changes else "enrollment.updated"
            record_event(action, actor=actor, organization=enrollment.organization_id, target=enrollment, changes=changes)
    return enrollment


# --- custom portals and carriers -------------------------------------------------------------------

PORTAL_FIELDS = ["name", "architecture", "operator", "url", "states", "support_phone", "downtime_protocol"]


def _check_custom_portal(portal: Portal) -> None:
    errors = {}
    if not portal.url:
        errors["url"] = "Give the portal's address (https://...)."
    portal.states = sorted({str(s).upper() for s in portal.states or []})
    if Portal.objects.filter(organization_id=portal.organization_id, name__iexact=portal.name).exclude(pk=portal.pk).exists():
        errors["name"] = "You already have a portal with this name."
    if errors:
        raise ValidationError(errors)


def _set_custom_reach(portal: Portal, carriers, functions) -> None:
    """The custom portal reaches these carriers (the practice's own reach rows)."""
    wanted = {c.pk for c in carriers}
    PortalReach.objects.filter(portal=portal, organization_id=portal.organization_id).exclude(carrier_id__in=wanted).delete()
    existing = set(PortalReach.objects.filter(portal=portal).values_list("carrier_id", flat=True))
    for carrier in carriers:
        if carrier.pk not in existing:
            reach = PortalReach.objects.create(organization_id=portal.organization_id, carrier=carrier, portal=portal,
                                               source="Entered by the practice.")
            reach.functions.set(functions)
    for reach in PortalReach.objects.filter(portal=portal, organization_id=portal.organization_id):
        reach.functions.set(functions)


def custom_portal_create(*, organization, actor, carriers=(), functions=(), **fields) -> Portal:
    portal = Portal(organization=organization, verification="unverified", **fields)
    with transaction.atomic():
        portal.full_clean(exclude=["organization"])
        _check_custom_portal(portal)
        _save_validated(portal, exclude=["organization"])
        portal.functions.set(functions)
        _set_custom_reach(portal, carriers, functions)
        record_event("portal.custom_created", actor=actor, organization=organization, target=portal,
                     changes={**_snapshot(portal, PORTAL_FIELDS), "carriers": sorted(str(c) for c in carriers),
                              "functions": sorted(f.code for f in functions)})
    return portal


def custom_portal_update(*, portal: Portal, actor, carriers=(), functions=(), **fields) -> Portal:
    if portal.organization_id is None:
        raise ValidationError("Reference portals are kept by the reference data; add your notes on your enrollment.")
    before = _snapshot(Portal.objects.get(pk=portal.pk), PORTAL_FIELDS)
    before_fns = sorted(portal.functions.values_list("code", flat=True))
    for name, value in fields.items():
        setattr(portal, name, value)
    with transaction.atomic():
        portal.full_clean(exclude=["organization"])
        _check_custom_portal(portal)
        _save_validated(portal, exclude=["organization"])
        portal.functions.set(functions)
        _set_custom_reach(portal, carriers, functions)
        changes = _diff(before, _snapshot(portal, PORTAL_FIELDS))
        after_fns = sorted(f.code for f in functions)
        if after_fns != before_fns:
            changes["functions"] = [before_fns, after_fns]
        record_event("portal.custom_updated", actor=actor, organization=portal.organization_id, target=portal,
                     changes={**changes, "carriers": sorted(str(c) for c in carriers)})
    return portal


CARRIER_FIELDS = ["name", "payer_ids", "lines_of_business", "provider_services_phone", "website", "notes"]


def custom_carrier_create(*, organization, actor, **fields) -> Carrier:
    carrier = Carrier(organization=organization, verification="unverified", **fields)
    with transaction.atomic():
        carrier.full_clean(exclude=["organization"])
        if Carrier.objects.filter(organization=organization, name__iexact=carrier.name).exists():
            raise ValidationError({"name": "You already have a carrier with this name."})
        _save_validated(carrier, exclude=["organization"])
        record_event("carrier.custom_created", actor=actor, organization=organization, target=carrier,
                     changes=_snapshot(carrier, CARRIER_FIELDS))
    return carrier

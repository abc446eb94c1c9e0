"""The writes of the 食品安全 module, one function each; the form pages and the import call the
same one. Each saves through the model, so the history records it with the request's user."""

from django.db import transaction

from core.files import attach


def save_record(record):
    """A record with no rule of its own (专项整治, 事故): saved as it is."""
    record.save()
    return record


@transaction.atomic
def save_inspection(inspection):
    """Save an inspection; a 整改 is closed only through `rectify` (with its proof)."""
    inspection.save()
    return inspection


@transaction.atomic
def rectify(inspection, *, rectified_on, proof, files=(), user=None):
    """Close the inspection's 整改 on `rectified_on` with its `proof` (复查情况、文书编号) and
    the files that show it (佐证材料: photos, the 复查 document)."""
    inspection.rectified_on = rectified_on
    inspection.proof = proof
    inspection.save()
    attach(inspection, files, user)
    return inspection

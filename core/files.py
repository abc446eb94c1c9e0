"""佐证材料: the upload check, the one write that attaches files to any app's record and the
one that deletes them, and who may download them.

- Types: pdf, doc/docx, xls/xlsx, wps, jpg/png, ofd; the content must start the way its
  extension says (a renamed .exe is refused), checked on the server.
- Size: settings.ATTACHMENT_MAX_BYTES per file (20 MB by default), ATTACHMENT_MAX_FILES per
  upload.
- Storage: Django's default storage (the local MEDIA_ROOT unless STORAGES says otherwise),
  under a random name (core.models.attachment_path); the original name is kept for download.
- Download: only through /files/<id>/ (core.views.file_download), for users that the owning
  record's app allows FILE_ACTION on that record (`@policy(Model)` in the app's access.py).
"""

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .access import can
from .models import Attachment

FILE_ACTION = "download"  # the action an app's policy answers for a record's files
FILE_DELETE_ACTION = "delete_file"  # and for deleting one of them

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .xls, .wps (Word 97 / WPS 2000 and later)
ZIP = b"PK\x03\x04"  # .docx, .xlsx, .ofd
SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".doc": (OLE2,),
    ".xls": (OLE2,),
    ".wps": (OLE2, ZIP),
    ".docx": (ZIP,),
    ".xlsx": (ZIP,),
    ".ofd": (ZIP,),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}
ACCEPT = ",".join(SIGNATURES)
NAME_LIMIT = 200


def _megabytes(size):
    return f"{size / (1024 * 1024):.0f} MB"


def check_upload(upload):
    """ValidationError (in Chinese) unless `upload` is an allowed, non-empty file within the
    size limit whose first bytes match its extension."""
    name = Path(upload.name or "").name
    extension = Path(name).suffix.lower()
    if extension not in SIGNATURES:
        raise ValidationError(
            f"“{name}”的类型不允许，只能上传 PDF、Word、Excel、WPS、OFD、JPG、PNG 文件。",
            code="type",
        )
    if len(name) > NAME_LIMIT:
        raise ValidationError(f"文件名不能超过 {NAME_LIMIT} 个字符。", code="name")
    if not upload.size:
        raise ValidationError(f"“{name}”是空文件。", code="empty")
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            f"“{name}”超过 {_megabytes(settings.ATTACHMENT_MAX_BYTES)} 的大小限制"
            f"（{_megabytes(upload.size)}）。",
            code="size",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(SIGNATURES[extension]):
        raise ValidationError(f"“{name}”的内容与扩展名 {extension} 不符，已拒收。", code="content")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Zero or more files (佐证材料), each checked by `check_upload`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", "佐证材料")
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            f"可选多个文件：PDF、Word、Excel、WPS、OFD、JPG、PNG，"
            f"每个不超过 {_megabytes(settings.ATTACHMENT_MAX_BYTES)}。",
        )
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploads = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not uploads:
            if self.required:
                raise ValidationError("请上传佐证材料。", code="required")
            return []
        if len(uploads) > settings.ATTACHMENT_MAX_FILES:
            raise ValidationError(f"一次最多上传 {settings.ATTACHMENT_MAX_FILES} 个文件。")
        errors = []
        for upload in uploads:
            try:
                check_upload(upload)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return uploads


@transaction.atomic
def attach(record, uploads, user):
    """Store `uploads` (already checked by FilesField) as 佐证材料 of `record`."""
    attachments = []
    for upload in uploads:
        check_upload(upload)
        attachment = Attachment(
            target=record,
            original_name=Path(upload.name).name[:NAME_LIMIT],
            size=upload.size,
            uploaded_by=user,
        )
        attachment.file.save(upload.name, upload, save=False)
        attachment.save()
        attachments.append(attachment)
    return attachments


def remove(attachment, user):
    """Delete a file from its record: the row is marked deleted (the history keeps it, and the
    stored file stays for the history and the backup)."""
    attachment.deleted_at, attachment.deleted_by = timezone.now(), user
    attachment.save()
    return attachment


def files_by_record(model, ids):
    """{record id: [its files]} of the records `ids` of `model`, in one query (none for no
    records)."""
    found = {}
    if not ids:
        return found
    rows = Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=ids, deleted_at=None
    ).select_related("uploaded_by")
    for attachment in rows:
        found.setdefault(attachment.object_id, []).append(attachment)
    return found


def can_download(user, attachment):
    target = attachment.target
    return target is not None and can(user, FILE_ACTION, target)


def can_delete(user, attachment):
    target = attachment.target
    return target is not None and can(user, FILE_DELETE_ACTION, target)

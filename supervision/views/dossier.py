"""/tasks/<id>/export.docx: the task's dossier as a Word document (supervision/dossier.py)."""

import tempfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.views.decorators.http import require_GET

from .. import dossier
from ..access import get_task
from ..filters import task_view

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
@require_GET
def task_export_docx(request, pk):
    """Whoever may read the task downloads its dossier."""
    task = get_task(request.user, pk, queryset=task_view().select_related("project__plan"))
    out = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # FileResponse closes it
    dossier.write_docx(dossier.dossier_of(task), out)
    out.seek(0)
    return FileResponse(
        out, as_attachment=True, filename=dossier.filename(task), content_type=DOCX_CONTENT_TYPE
    )

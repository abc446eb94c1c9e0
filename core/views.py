"""The shared pages: the inbox, the reminders that were sent, /healthz, sign-out and the
error pages. Small function views; the work is in the models' querysets and core/health.py."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import files, health
from .access import has_role, is_admin
from .choices import ReminderChannel
from .forms import ReminderFilterForm
from .models import Attachment, Reminder, ReminderItem
from .roles import Role, roles_of

PAGE_SIZE = 50


@login_required
def notifications(request):
    """The user's inbox; POST marks everything read."""
    user = request.user
    if request.method == "POST":
        Reminder.objects.filter(recipient=user, read_at=None).update(read_at=timezone.now())
        messages.success(request, "已全部标为已读。")
        return redirect("notifications")
    rows = Reminder.objects.filter(recipient=user, channel=ReminderChannel.IN_APP)
    page = Paginator(rows.select_related("recipient"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/notifications.html", {"page": page})


@login_required
def notification_open(request, reminder_id):
    """Open a notice: marks it read and goes to the page of the record it is about."""
    reminder = get_object_or_404(Reminder, pk=reminder_id, recipient=request.user)
    if reminder.read_at is None:
        Reminder.objects.filter(pk=reminder.pk).update(read_at=timezone.now())
    return redirect(reminder.url or "notifications")


@login_required
def reminders(request):
    """/reminders/: staff and heads see their own and their department's reminders;
    supervisors and admins every reminder, with a department filter."""
    user = request.user
    sees_all = is_admin(user) or has_role(user, Role.SUPERVISOR)
    rows = Reminder.objects.visible_to(user)
    if not sees_all and not roles_of(user):
        raise PermissionDenied("无权查看提醒记录。")
    form = ReminderFilterForm(request.GET or None, sees_all=sees_all)
    if form.is_bound and form.is_valid():
        rows = form.filter(rows)
    rows = (
        rows.select_related("recipient__department", "digest")
        .prefetch_related(Prefetch("digest__items", queryset=ReminderItem.objects.order_by("pk")))
        .order_by("-created_at", "-pk")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "sees_all": sees_all}
    return render(request, "core/reminders.html", context)


@login_required
def file_download(request, pk):
    """A 佐证材料 file, under its original name, for whoever may read its record (403 for the
    others); files are never served from a public media URL."""
    attachment = get_object_or_404(Attachment.objects.select_related("content_type"), pk=pk)
    if not files.can_download(request.user, attachment):
        raise PermissionDenied("无权下载该佐证材料。")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件不存在。") from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def file_delete(request, pk):
    """Delete a 佐证材料 file from its record (marked deleted: the history keeps it), for
    whoever may change that record's files."""
    attachment = get_object_or_404(Attachment, pk=pk, deleted_at=None)
    if not files.can_delete(request.user, attachment):
        raise PermissionDenied("无权删除该佐证材料。")
    files.remove(attachment, request.user)
    messages.success(request, f"已删除“{attachment.original_name}”（修改历史中保留记录）。")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "home"
    return redirect(target)


@never_cache
def healthz(request):
    """Liveness for operators: database and broker reachable, last scheduler run. Anyone
    gets ok/fail; the details (errors, versions, queue depth) are for admins only."""
    report = health.check()
    if not (request.user.is_authenticated and is_admin(request.user)):
        report = health.summary(report)
    return JsonResponse(report, status=200 if report["ok"] else 503)


class LogoutView(auth_views.LogoutView):
    """Sign out by POST (the header button); a GET shows a confirmation instead of a 405."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return render(request, "registration/logged_out_confirm.html")


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"message": message}, status=403)

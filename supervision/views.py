from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from . import health
from .models import Plan, Task


@login_required
def home(request):
    """The signed-in home: the user's department's tasks of the latest plan."""
    user = request.user
    plan = Plan.objects.order_by("-year").first()
    tasks = Task.objects.none()
    if plan and user.department_id:
        tasks = (
            Task.objects.filter(project__plan=plan)
            .filter(
                Q(lead_department_id=user.department_id) | Q(partner_departments=user.department_id)
            )
            .select_related("project", "lead_department")
            .distinct()
            .order_by("path")
        )
    counts = (
        Task.objects.filter(project__plan=plan).aggregate(
            total=Count("pk"), unplaced=Count("pk", filter=Q(lead_department=None))
        )
        if plan
        else {}
    )
    return render(
        request,
        "supervision/home.html",
        {"plan": plan, "tasks": tasks, "counts": counts},
    )


@never_cache
def healthz(request):
    """Liveness for operators: database and broker reachable, last scheduler run."""
    report = health.check()
    return JsonResponse(report, status=200 if report["ok"] else 503)


def permission_denied(request, exception=None):
    return render(request, "403.html", {"exception": exception}, status=403)

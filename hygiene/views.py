from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django_celery_beat.models import PeriodicTask

from accounts import roles
from accounts.tenancy import org_view
from core.shortcuts import get_by_posted_id_or_404

from .forms import ScheduleForm
from .models import JobRun
from .services_schedules import crontab_text, schedule_update


@org_view(roles.MANAGE_ORGANIZATION)
def jobs(request):
    """Scheduled jobs (deployment-wide) and the recent runs that touched this organization."""
    org = request.organization
    can_change = request.user.is_staff
    tasks = PeriodicTask.objects.exclude(task__startswith="celery.").select_related("crontab").order_by("name")
    forms_by_task = {}
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("Schedules apply to every organization; only platform operators change them.")
        task = get_by_posted_id_or_404(PeriodicTask, request.POST.get("task_id"))
        form = ScheduleForm(request.POST, prefix=f"t{task.pk}")
        if form.is_valid():
            schedule_update(task=task, crontab=form.cleaned_data["crontab"], enabled=form.cleaned_data["enabled"],
                            acting_user=request.user)
            messages.success(request, f"Schedule of “{task.name}” saved.")
            return redirect("jobs", org_slug=org.slug)
        forms_by_task[task.pk] = form
    rows = []
    for task in tasks:
        form = forms_by_task.get(task.pk) or ScheduleForm(
            prefix=f"t{task.pk}", initial={"crontab": crontab_text(task), "enabled": task.enabled}
        )
        rows.append({"task": task, "crontab": crontab_text(task), "form": form})
    runs = JobRun.objects.filter(Q(organization=org) | Q(organization__isnull=True)).order_by("-started_at")
    page = Paginator(runs, 25).get_page(request.GET.get("page"))
    return render(request, "hygiene/jobs.html", {"rows": rows, "page_obj": page, "can_change": can_change})

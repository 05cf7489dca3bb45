from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from audits.models import AuditEvent
from hygiene.models import JobRun


def _task():
    return PeriodicTask.objects.get(name="Daily hygiene run")


def test_administrators_see_schedules_and_runs_with_flat_queries(world, client_for, django_assert_max_num_queries):
    for _ in range(30):
        JobRun.objects.create(job="daily_hygiene", actor_label="job:x", status="succeeded")
    client = client_for(world.alice)
    with django_assert_max_num_queries(15):
        html = client.get(reverse("jobs", args=["cascade"])).content.decode()
    assert "Daily hygiene run" in html and "0 6 * * *" in html
    assert "Page 1 of 2" in html
    assert client_for(world.bob).get(reverse("jobs", args=["cascade"])).status_code == 403


def test_only_platform_operators_change_a_schedule(world, client_for):
    task = _task()
    url = reverse("jobs", args=["cascade"])
    data = {"task_id": task.pk, f"t{task.pk}-crontab": "30 5 * * 1-5", f"t{task.pk}-enabled": "on"}
    assert client_for(world.alice).post(url, data).status_code == 403
    assert _task().crontab.minute == "0"

    world.alice.is_staff = True
    world.alice.save()
    response = client_for(world.alice).post(url, data)
    assert response.status_code == 302
    c = _task().crontab
    assert (c.minute, c.hour, c.day_of_week) == ("30", "5", "1-5")
    event = AuditEvent.objects.get(action="schedule.updated")
    assert event.changes["crontab"] == ["0 6 * * *", "30 5 * * 1-5"]


def test_a_bad_schedule_is_refused_and_changes_nothing(world, client_for):
    world.alice.is_staff = True
    world.alice.save()
    task = _task()
    response = client_for(world.alice).post(
        reverse("jobs", args=["cascade"]), {"task_id": task.pk, f"t{task.pk}-crontab": "99 6 * *"}
    )
    assert response.status_code == 200
    assert "exactly five fields" in response.content.decode()
    response = client_for(world.alice).post(
        reverse("jobs", args=["cascade"]), {"task_id": task.pk, f"t{task.pk}-crontab": "99 6 * * *"}
    )
    assert "Not a valid schedule" in response.content.decode()
    assert _task().crontab.minute == "0"
    assert not AuditEvent.objects.filter(action="schedule.updated").exists()


def test_deployment_wide_run_totals_are_for_platform_operators_only(world, client_for):
    JobRun.objects.create(job="daily_hygiene", actor_label="job:x", status="succeeded",
                          counts={"organizations": 7, "access_findings.opened": 41})
    html = client_for(world.alice).get(reverse("jobs", args=["cascade"])).content.decode()
    assert "access_findings.opened: 41" not in html and "all organizations" in html
    world.alice.is_staff = True
    world.alice.save()
    html = client_for(world.alice).get(reverse("jobs", args=["cascade"])).content.decode()
    assert "access_findings.opened: 41" in html

from django.contrib import admin

from .models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["job", "organization", "started_at", "finished_at", "status", "actor_label"]
    list_filter = ["job", "status"]
    readonly_fields = [f.name for f in JobRun._meta.fields]  # a job's record: shown, never added or changed here

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

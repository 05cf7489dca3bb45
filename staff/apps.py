from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Staff roster"

    def ready(self):
        from audits.registry import govern

        # Field diffs under the business events the services write; bulk writes are audited too.
        govern(self.get_model("StaffMember"), exclude_fields=["updated_at"])
        govern(self.get_model("EnrollmentAdministrator"))

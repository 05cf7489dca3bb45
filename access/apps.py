from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Portal access"

    def ready(self):
        from audits.registry import govern

        govern(self.get_model("AccessPolicy"), exclude_fields=["updated_at"], m2m_fields={"functions"})
        govern(self.get_model("PortalAccount"), exclude_fields=["updated_at"], m2m_fields={"functions"})
        govern(self.get_model("OrganizationCredential"), m2m_fields={"custodians"})
        govern(self.get_model("ProvisioningTask"))
        govern(self.get_model("AccessException"))

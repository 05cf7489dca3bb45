from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Access reviews"

    def ready(self):
        from . import findings_hook  # noqa: F401  (adds the overdue-review finding to the rules engine)

        try:
            from audits.registry import govern
        except ImportError:  # the audits helper has not shipped govern() yet: register the diffs directly
            from auditlog.registry import auditlog

            def govern(model, **kwargs):
                kwargs.pop("bulk", None)
                if not auditlog.contains(model):
                    auditlog.register(model, **kwargs)

        # Review items are written in bulk at launch (one launch event carries the counts and a digest
        # of the snapshot); every later change to an item goes through reviews.services, which records
        # a business event per item. A per-row diff for 100,000 snapshot rows would only add noise.
        govern(self.get_model("ReviewSettings"), exclude_fields=["updated_at"])
        govern(self.get_model("ReviewCampaign"))
        govern(self.get_model("ReviewDecision"))

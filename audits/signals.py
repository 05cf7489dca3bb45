"""What the audit layer announces to the layers above it (DESIGN invariant 15).

The audit log is the lowest layer: it imports nothing of PortalGov but core. Apps above it that
must act on what it finds (findings raises a critical finding, hygiene records the job run)
connect to these signals in their AppConfig.ready.
"""

from django.dispatch import Signal

# Sent once per failed verification (any trigger: the daily job, the page, the command line).
# kwargs: message (str, names the first bad event), result (audits.verify.VerifyResult),
# organization_id (int | None: None when the whole log was verified).
verification_failed = Signal()

# Sent when the daily verification job ends, failed or not.
# kwargs: job (str), started_at, finished_at (datetimes), actor_label (str), result.
daily_verification_finished = Signal()

"""A separate OS process that writes audit events (used by the concurrency test).

python -m tests.audits._writer <n> <tag>: n events, each in its own transaction; every third
transaction writes two events, every fifth is rolled back after writing.
"""

import os
import sys

import django


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portalgov.test_settings")
    django.setup()
    from django.db import transaction

    from audits.services import record_event

    n, tag = int(sys.argv[1]), sys.argv[2]

    class Rollback(Exception):
        pass

    committed = 0
    for i in range(n):
        try:
            with transaction.atomic():
                record_event("test.concurrent", object_type="test.writer", object_id=str(i), object_label=tag,
                             changes={"i": i})
                if i % 3 == 0:
                    record_event("test.concurrent", object_type="test.writer", object_id=str(i), object_label=tag)
                if i % 5 == 4:
                    raise Rollback
            committed += 2 if i % 3 == 0 else 1
        except Rollback:
            pass
    print(committed)


if __name__ == "__main__":
    main()

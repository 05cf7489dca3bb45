"""Reads shared by the steps of one organization's daily hygiene run.

The findings evaluation, the offboarding reminders and the compliance snapshot each need the same
per-practice reads (the account-hygiene facts, the training requirements of the live accounts); at
6,000 accounts a practice each costs hundreds of milliseconds of Python. Inside organization_memo()
(hygiene.services.run_recorded_job opens one per organization) shared() computes a value once and hands
it to the next step that asks for the same key.

A value is kept only while nothing could have changed it: every SQL statement the run executes passes
through a watch that forgets every value as soon as a statement writes a table other than the ones
known not to feed them (the audit log, the findings themselves, the e-mail notices, the job's records)
or rolls back. A step that fails forgets them too. Outside organization_memo() shared() just computes.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")

_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("hygiene_memo", default=None)

# Tables whose writes cannot change a shared value (nothing shared reads them).
UNRELATED_TABLES = frozenset({
    "audits_auditevent", "audits_auditseal", "findings_finding", "findings_evaluationmark", "offboarding_notice",
    "hygiene_jobrun", "compliance_compliancesnapshot", "offboarding_rolewatermark",
})
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z0-9_]+)"?', re.IGNORECASE)
_READ_ONLY = re.compile(r"^\s*(?:SELECT|SAVEPOINT|RELEASE|SET|SHOW|WITH\s+\S+\s+AS\s*\(\s*SELECT)", re.IGNORECASE)


_ROLLBACK = re.compile(r"^\s*ROLLBACK", re.IGNORECASE)
_WROTE = object()  # memo key: a statement that could change a shared value ran during this run


def _forgets(sql: str) -> bool:
    if _READ_ONLY.match(sql):
        return False
    match = _WRITE.match(sql)
    return match is None or match.group(1).lower() not in UNRELATED_TABLES


def _watch(memo: dict):
    def watch(execute, sql, params, many, context):
        text = sql if isinstance(sql, str) else str(sql)
        if _ROLLBACK.match(text):
            # Undoes only writes made since its savepoint: if none of them could change a shared value (a
            # duplicate e-mail notice refused, say), what is kept stays true.
            if _WROTE in memo:
                memo.clear()
                memo[_WROTE] = True
        elif _forgets(text):
            memo.clear()
            memo[_WROTE] = True
        return execute(sql, params, many, context)

    return watch


@contextlib.contextmanager
def organization_memo():
    """Share reads between the steps run inside (one organization's hygiene checks)."""
    if _memo.get() is not None:
        yield
        return
    memo: dict = {}
    token = _memo.set(memo)
    try:
        with connection.execute_wrapper(_watch(memo)):
            yield
    finally:
        _memo.reset(token)
        memo.clear()


def forget() -> None:
    """Drop every shared value (a step failed: what it computed may belong to a rolled-back transaction)."""
    memo = _memo.get()
    if memo is not None:
        memo.clear()
        memo[_WROTE] = True


def shared(key: Hashable, compute: Callable[[], T]) -> T:
    """compute(), or the value a previous step of this organization's run computed for the same key
    (and that no write has made stale since). Callers must not mutate what they get."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key in memo:
        return memo[key]
    value = compute()
    memo[key] = value
    return value

"""Who is acting, and from where: carried through a request or a Celery task for the audit log.

Services read this when they write audit events, so a view, a task and a management command
that call the same service all leave the same kind of trail.
"""

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """A person (user), an API credential or a named job."""

    kind: str  # "user" | "api" | "job" | "system"
    id: str = ""
    label: str = ""
    user: object | None = field(default=None, compare=False)

    @classmethod
    def for_user(cls, user):
        if user is None or not getattr(user, "is_authenticated", False):
            return cls(kind="anonymous", label="anonymous")
        return cls(kind="user", id=str(user.pk), label=user.email, user=user)

    @classmethod
    def job(cls, name: str):
        return cls(kind="job", id=name, label=f"job:{name}")


@dataclass(frozen=True)
class RequestMeta:
    ip_address: str | None = None
    user_agent: str = ""
    request_id: str = ""


_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("portalgov_actor", default=None)
_request_meta: contextvars.ContextVar[RequestMeta] = contextvars.ContextVar(
    "portalgov_request_meta", default=RequestMeta()  # noqa: B039 (frozen dataclass: immutable)
)


def current_actor() -> Actor | None:
    return _actor.get()


def current_request_meta() -> RequestMeta:
    return _request_meta.get()


@contextmanager
def acting_as(actor: Actor, meta: RequestMeta | None = None):
    token = _actor.set(actor)
    meta_token = _request_meta.set(meta) if meta is not None else None
    try:
        yield actor
    finally:
        _actor.reset(token)
        if meta_token is not None:
            _request_meta.reset(meta_token)


def set_request_meta(meta: RequestMeta):
    return _request_meta.set(meta)


def reset_request_meta(token):
    _request_meta.reset(token)

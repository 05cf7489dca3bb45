"""Base for PortalGov's Celery tasks: the acting identity travels with the task.

Tasks take IDs, never model instances. A task queued on behalf of a person carries that person's
id (actor_user_id); a scheduled run acts as the named job ("job:<task name>"). Either way, the
audit log and django-auditlog see who acted.
"""

from auditlog.context import set_actor
from celery import Task
from django.contrib.auth import get_user_model
from django.db import transaction

from .context import Actor, acting_as


class AuditedTask(Task):
    abstract = True
    # actor_user_id is an extra keyword every task accepts; skip Celery's signature check for it.
    typing = False

    def __call__(self, *args, **kwargs):
        actor_user_id = kwargs.pop("actor_user_id", None)
        user = None
        if actor_user_id is not None:
            user = get_user_model().objects.filter(pk=actor_user_id).first()
        actor = Actor.for_user(user) if user is not None else Actor.job(self.name)
        with acting_as(actor):
            if user is not None:
                with set_actor(user):
                    return super().__call__(*args, **kwargs)
            return super().__call__(*args, **kwargs)


def enqueue_on_commit(task, *args, acting_user=None, **kwargs):
    """Queue `task` once the current transaction commits, on behalf of `acting_user` if given."""
    if acting_user is not None:
        kwargs["actor_user_id"] = acting_user.pk
    transaction.on_commit(lambda: task.apply_async(args=args, kwargs=kwargs))

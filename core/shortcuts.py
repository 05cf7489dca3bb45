from django.http import Http404
from django.shortcuts import get_object_or_404


def get_by_posted_id_or_404(klass, raw_id, **filters):
    """get_object_or_404 for an id that arrived in a form or query string: anything but digits is 404,
    not a ValueError (500) from the database layer."""
    if not str(raw_id or "").isdigit():
        raise Http404("No such record.")
    return get_object_or_404(klass, pk=int(raw_id), **filters)

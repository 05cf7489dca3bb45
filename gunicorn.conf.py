"""gunicorn's settings file: read from the working directory by every gunicorn started here (the image and
compose run from /app, the production smoke test and the pages benchmark from the repository). Flags on
the command line still win.

Garbage collection: a worker holds a few hundred thousand long-lived objects (Django, the URL
resolver, compiled templates, the app registry) and every page allocates tens of thousands of short-lived
ones (rows, template nodes' output). With Python's defaults a collection of the oldest generation walks the
whole long-lived heap again and again while serving pages. gc.freeze() moves what exists once the app is
loaded into a permanent generation that collections skip (and, with --preload, keeps those pages shared
between the forked workers instead of touched, copy-on-write, by the collector); a larger first
threshold collects the request's garbage less often. Cycles are still collected.
"""

import gc

GEN0_THRESHOLD = 20_000


def _freeze() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, *gc.get_threshold()[1:])


def when_ready(server):
    """Master, app loaded (with --preload): freeze before the workers are forked."""
    _freeze()


def post_worker_init(worker):
    """Each worker, once it has loaded the app (without --preload the app loads here)."""
    _freeze()

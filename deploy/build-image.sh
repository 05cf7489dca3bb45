#!/bin/sh
# The image's build steps, in one place: the Dockerfile runs this script, and so does the production smoke test
# (scripts/smoke-production), with only the variables the Dockerfile sets, so the two cannot drift apart.
#   deploy/build-image.sh packages   the runtime packages (needs only requirements/runtime.txt: a cached layer)
#   deploy/build-image.sh static     the static files (needs the whole source tree)
# run from the application directory (/app in the image); with no argument, both steps.
# VIRTUAL_ENV names where the runtime packages go (/opt/venv in the image). No secret is needed or read here.
set -eu
: "${VIRTUAL_ENV:?VIRTUAL_ENV must name the directory for the runtime packages (the Dockerfile sets /opt/venv)}"

steps="${*:-packages static}"

case " $steps " in *" packages "*)
# 1. Runtime packages only, every file checked against the hash in the lock (no test or lint tools in the image).
python3 -m venv "$VIRTUAL_ENV"
"$VIRTUAL_ENV/bin/python" -m pip install --no-cache-dir --no-compile --disable-pip-version-check -q \
  --require-hashes -r requirements/runtime.txt
echo "build-image: runtime packages installed in $VIRTUAL_ENV"
;; esac

case " $steps " in *" static "*)

# 2. Static files, hashed and compressed for whitenoise. Build settings: throwaway keys made for this one
#    process and no database, so the build needs none of the runtime secrets.
DJANGO_SETTINGS_MODULE=portalgov.build_settings "$VIRTUAL_ENV/bin/python" manage.py collectstatic --no-input -v 0
echo "build-image: $(find staticfiles -type f | wc -l) static files collected in staticfiles/"
;; esac

# Shared by scripts/demo and scripts/test: every install step PortalGov needs lives here.

ensure_venv() {
  local py="${PYTHON:-python3.11}"
  command -v "$py" >/dev/null 2>&1 || py=python3
  if [ ! -x .venv/bin/python ]; then
    "$py" -m venv .venv
  fi
  # shellcheck disable=SC1091
  source .venv/bin/activate
  local stamp=.venv/.lock-installed
  if [ ! -f "$stamp" ] || ! cmp -s requirements/lock.txt "$stamp"; then
    python -m pip install -q --disable-pip-version-check -r requirements/lock.txt
    cp requirements/lock.txt "$stamp"
  fi
}

ensure_chromium() {
  # Browser tests drive Debian's chromium (Playwright's own browser download cannot work here).
  if [ -x /usr/bin/chromium ]; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 || true
  fi
  [ -x /usr/bin/chromium ]
}

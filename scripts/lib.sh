# Shared by scripts/demo, scripts/test and scripts/lock: every install step PortalGov needs lives here.

# ensure_venv [runtime|dev]: .venv/ with requirements/<lock>.txt installed, every file checked against its hash.
# scripts/demo installs the runtime lock, scripts/test the development lock (runtime + test tools, same pins).
ensure_venv() {
  local which="${1:-dev}"
  local lock="requirements/${which}.txt"
  local py="${PYTHON:-python3.11}"
  command -v "$py" >/dev/null 2>&1 || py=python3
  if [ ! -x .venv/bin/python ]; then
    "$py" -m venv .venv
  fi
  # shellcheck disable=SC1091
  source .venv/bin/activate
  local stamp=".venv/.installed-${which}.txt"
  if [ ! -f "$stamp" ] || ! cmp -s "$lock" "$stamp"; then
    python -m pip install -q --disable-pip-version-check --require-hashes -r "$lock"
    cp "$lock" "$stamp"
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

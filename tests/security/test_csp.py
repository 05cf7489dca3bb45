"""Content-Security-Policy: sent on every page, no inline script allowed, and no template needs one."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)
STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


def template_files():
    dirs = list(engines["django"].engine.dirs)
    dirs += [p for p in ROOT.glob("*/templates") if ".venv" not in p.parts]
    for d in dirs:
        yield from Path(d).rglob("*.html")


def test_there_are_templates_to_check():
    assert len(list(template_files())) > 10


@pytest.mark.parametrize("pattern,what", [
    (INLINE_SCRIPT, "an inline <script> (put JS in static/js/)"),
    (EVENT_HANDLER, "an inline event handler (on...=) (bind it in static/js/)"),
    (JS_URL, "a javascript: URL"),
    (STYLE, "an inline style (use a class in static/css/app.css, or <progress>/<meter>)"),
])
def test_no_template_needs_inline_script_or_style(pattern, what):
    offenders = []
    for path in template_files():
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"{#.*?#}|{% comment %}.*?{% endcomment %}", "", text, flags=re.S)
        for match in pattern.finditer(text):
            line = text[: match.start()].count("\n") + 1
            offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == [], f"The Content-Security-Policy blocks {what}: {offenders}"


def test_every_page_sends_a_strict_policy(world, client_for, client):
    for response in (client.get(reverse("login")),
                     client_for(world.alice).get(reverse("dashboard", args=[world.org.slug]))):
        policy = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert directives["script-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_the_api_docs_page_has_no_inline_script(world, client_for):
    html = client_for(world.alice).get(reverse("api-docs")).content.decode()
    assert not INLINE_SCRIPT.search(html)

"""gunicorn.conf.py: every gunicorn started from the repository or the image (/app) reads it, and its hooks
freeze the loaded app out of the garbage collector's walks (see the file's docstring)."""

import gc
import runpy
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def gc_state():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_worker_hook_freezes_the_loaded_app_and_raises_the_first_threshold(gc_state):
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert gc.get_freeze_count() == 0
    conf["post_worker_init"](None)
    assert gc.get_freeze_count() > 10_000  # Django and the project's modules are loaded in this process
    assert gc.get_threshold()[0] == conf["GEN0_THRESHOLD"]


def test_gunicorn_reads_the_settings_file_from_the_working_directory():
    gunicorn = shutil.which("gunicorn") or str(Path(__import__("sys").executable).with_name("gunicorn"))
    out = subprocess.run([gunicorn, "--print-config", "portalgov.wsgi:application"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert "./gunicorn.conf.py" in out
    assert "<post_worker_init()>" in out and "<when_ready()>" in out

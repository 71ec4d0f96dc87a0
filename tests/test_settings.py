"""Settings come from the environment, and production refuses to start without a real key."""

import os
import subprocess
import sys

from django.conf import settings


def start_django(**environment: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "ALLOWED_HOSTS"}
    }
    env.update(DJANGO_SETTINGS_MODULE="goals_admin.settings", **environment)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


REAL_KEY = "a-real-secret-from-the-environment-0123456789-abcdefghijklmnop"
SECRET_KEY_NEEDED = "Set SECRET_KEY to a random value of at least 50 characters when DEBUG is off."


def test_production_refuses_to_start_without_a_secret_key():
    result = start_django(DEBUG="0", ALLOWED_HOSTS="goals.example")

    assert result.returncode != 0
    assert SECRET_KEY_NEEDED in result.stderr


def test_production_refuses_a_short_secret_key():
    result = start_django(DEBUG="0", ALLOWED_HOSTS="goals.example", SECRET_KEY="short")

    assert SECRET_KEY_NEEDED in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = start_django(DEBUG="0", SECRET_KEY=REAL_KEY)

    assert result.returncode != 0
    assert "Set ALLOWED_HOSTS to the site's host names when DEBUG is off." in result.stderr


def test_production_starts_with_a_secret_key_and_allowed_hosts():
    result = start_django(DEBUG="0", SECRET_KEY=REAL_KEY, ALLOWED_HOSTS="goals.example")

    assert result.stdout.strip() == "started", result.stderr

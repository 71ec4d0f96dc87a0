"""Settings come from the environment, and production refuses to start without a real key."""

import os
import subprocess
import sys

from django.conf import settings


def start_django(**environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="goals_admin.settings", **environment)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = start_django(DEBUG="0")

    assert result.returncode != 0
    assert "Set SECRET_KEY to a long random value when DEBUG is off." in result.stderr


def test_production_starts_with_a_secret_key():
    result = start_django(DEBUG="0", SECRET_KEY="a-real-secret-from-the-environment-0123456789")

    assert result.stdout.strip() == "started", result.stderr

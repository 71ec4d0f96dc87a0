"""The task queue's application: Celery, configured from Django's settings (CELERY_*).

A worker: `celery --app goals_admin worker` (`make worker`), with REDIS_URL set as for the app
servers. Without REDIS_URL there is no worker: tasks run eagerly, in the request that asks.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goals_admin.settings")

app = Celery("goals_admin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

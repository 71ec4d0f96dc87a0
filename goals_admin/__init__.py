# The task queue's application is loaded with Django, so that tasks are sent through it.
from goals_admin.celery import app as celery_app

__all__ = ("celery_app",)

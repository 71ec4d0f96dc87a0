"""WSGI entry point, for gunicorn and other WSGI servers."""

import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goals_admin.settings")

application = get_wsgi_application()

# Django and the app are some 100,000 objects that live as long as the server does; each full
# run of Python's garbage collector walks them all, a pause of 50 ms and more, every few thousand
# requests under load. Frozen, they are left out of every run: the collector looks only at what
# requests made. The URLconf imports every view, so they are loaded first, not by a request.
import_module(settings.ROOT_URLCONF)
gc.freeze()

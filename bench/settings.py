"""The product's settings, serving the bench's yardstick views beside the product's URLs, and
running the jobs of the background queue in place."""

from goals_admin.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# No worker runs beside the bench: a goal's job runs inside the change that asks for it, as in
# the embedded default, so that the goals the bench makes credit conversions from the start.
CELERY_TASK_ALWAYS_EAGER = True

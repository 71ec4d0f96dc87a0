"""The product's settings, serving the bench's yardstick views beside the product's URLs."""

from goals_admin.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

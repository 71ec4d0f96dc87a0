"""The load benchmark of the goals API, the dashboard and plain-Django yardsticks: `make bench`.

bench.run drives it: a private Redis, a fresh PostgreSQL database, gunicorn as in production and
wrk against it; bench.seed and bench.measure run inside Django (bench.django_step). The yardstick
views (bench.views) are served only by the bench's own URLs (bench.urls), never by the product's.
"""

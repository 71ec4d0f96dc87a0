"""Run a step of the bench inside Django and print what it returns as JSON.

    python -m bench.django_step seed|measure

The settings come from the environment that bench.run gives. The product logs every request to
standard output, which here carries the result, so the logs go to standard error instead.
"""

import contextlib
import importlib
import json
import sys

import django

STEPS = ("seed", "measure")


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1] not in STEPS:
        raise SystemExit(f"usage: python -m bench.django_step {'|'.join(STEPS)}")
    # Logging takes its stream when Django is set up: standard error, while that stands in.
    with contextlib.redirect_stdout(sys.stderr):
        django.setup()
        result = importlib.import_module(f"bench.{sys.argv[1]}").run()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()

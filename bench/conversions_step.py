"""Run a step of the conversions bench inside Django and print what it returns as JSON.

    python -m bench.conversions_step seed|attribution|naive_ingest|batch_cost|api_pages

What the step is given comes as JSON on standard input; the settings come from the environment
that bench.conversions gives. As in bench.django_step, the product's logs go to standard error,
since standard output carries the result.
"""

import contextlib
import json
import sys

import django


def main() -> None:
    # Logging takes its stream when Django is set up: standard error, while that stands in.
    with contextlib.redirect_stdout(sys.stderr):
        django.setup()
        from bench.conversions_inside import STEPS  # the models load once Django is set up

        if len(sys.argv) != 2 or sys.argv[1] not in STEPS:
            raise SystemExit(f"usage: python -m bench.conversions_step {'|'.join(STEPS)}")
        given = json.load(sys.stdin)
        result = STEPS[sys.argv[1]](given)
    json.dump(result, sys.stdout, default=str)


if __name__ == "__main__":
    main()

import sys

from django.core.management.base import BaseCommand, CommandError

from conversions.imports import account_named
from goals.transfer import goals_export


class Command(BaseCommand):
    help = (
        "Write an account's goals as JSON, in the API's own shape (what GET /api/v2/goals "
        "answers), for import_goals to carry them to another account."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--account", required=True, help="The account's name.")
        parser.add_argument(
            "--output", default="-", help='The file to write; "-" (the default) is standard output.'
        )

    def handle(self, *args, account: str, output: str, **options) -> None:
        content = goals_export(account_named(account)) + b"\n"
        if output == "-":
            sys.stdout.buffer.write(content)
            sys.stdout.flush()
        else:
            try:
                with open(output, "wb") as written:
                    written.write(content)
            except OSError as error:
                raise CommandError(f'Cannot write "{output}": {error.strerror}.') from None

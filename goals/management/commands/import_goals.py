from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from conversions.imports import READ_ERRORS, account_named, opened
from goals.transfer import ImportRefused, goals_import


class Command(BaseCommand):
    help = (
        "Create in an account the goals of a file that export_goals wrote (or that GET "
        "/api/v2/goals answered), through the same rules as the API: all or nothing, and goals "
        "past the account's active-goal limit arrive disabled. The goal history records the "
        "user given, through a command."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help='The file, or a .gz of it; "-" reads standard input.')
        parser.add_argument("--account", required=True, help="The account's name.")
        parser.add_argument(
            "--user",
            required=True,
            help="The email of who imports: an administrator of the account, or an operator.",
        )

    def handle(self, *args, file: str, account: str, user: str, **options) -> None:
        owner = account_named(account)
        actor = User.objects.filter(email__iexact=user).first()
        if actor is None:
            raise CommandError(f'No user has the email "{user}".')
        try:
            with opened(file) as read:
                content = read.read()
        except READ_ERRORS as error:
            raise CommandError(f'Cannot read "{file}": {error}.') from None
        try:
            imported = goals_import(account=owner, actor=actor, content=content)
        except ImportRefused as refused:
            raise CommandError("\n".join(["Nothing was imported.", *refused.lines()])) from None
        except PermissionDenied as denied:
            raise CommandError(str(denied)) from None
        self.stdout.write(imported.summary())

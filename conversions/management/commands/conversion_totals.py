from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from conversions import totals
from conversions.imports import account_named


class Command(BaseCommand):
    help = (
        "Check the daily totals that the Conversions page reads against the stored conversions "
        "and chats, or compute them anew (--rebuild). Every account, or one (--account)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--account", help="The account's name; every account without it.")
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Compute the totals anew from the stored rows instead of checking them.",
        )

    def handle(self, *args, account: str | None, rebuild: bool, **options) -> None:
        accounts = [account_named(account)] if account else list(Account.objects.order_by("pk"))
        disagreeing = 0
        for owner in accounts:
            if rebuild:
                totals.rebuild(owner.pk)
                self.stdout.write(f'"{owner.name}": totals computed anew.')
                continue
            lines = totals.differences(owner.pk)
            disagreeing += bool(lines)
            for line in lines:
                self.stdout.write(f'"{owner.name}": {line}')
            if not lines:
                self.stdout.write(f'"{owner.name}": the totals agree with the stored rows.')
        if disagreeing:
            raise CommandError(
                f"The totals of {disagreeing} account(s) disagree with the stored rows: run "
                "this command again with --rebuild."
            )

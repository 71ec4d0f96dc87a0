import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.management.commands.demoadmin import DEMO_ACCOUNT
from accounts.models import User
from conversions.demo import DEFAULT_VISITORS, demo_fill
from conversions.imports import account_named
from conversions.models import Chat, Conversion, PageView

# The same demo on every machine, relative to the moment it is made.
SEED = 12


class Command(BaseCommand):
    help = (
        "Fill an account with a demo shop's goals, chats and page views of the last 60 days, "
        "once: an account that has chats or page views already is left as it is."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--account", default=DEMO_ACCOUNT, help=f'The account\'s name ("{DEMO_ACCOUNT}").'
        )
        parser.add_argument(
            "--visitors",
            type=int,
            default=DEFAULT_VISITORS,
            help=f"How many visitors the shop has had ({DEFAULT_VISITORS:,}).",
        )

    def handle(self, *args, account: str, visitors: int, **options) -> None:
        owner = account_named(account)
        actor = owner.users.filter(role=User.Role.ADMINISTRATOR).order_by("pk").first()
        if actor is None:
            raise CommandError(f'The account "{owner.name}" has no administrator to own goals.')
        started = time.monotonic()
        # One transaction: a fill cut short leaves nothing, so the next run fills it whole.
        with transaction.atomic():
            has_data = (
                Chat.objects.filter(account=owner).exists()
                or PageView.objects.filter(account=owner).exists()
            )
            if has_data:
                self.stdout.write(
                    f'The account "{owner.name}" has chats or page views already: no demo data '
                    "added."
                )
                return
            filled = demo_fill(
                account=owner, actor=actor, rng=random.Random(SEED), visitors=visitors
            )
        conversions = Conversion.objects.filter(account=owner).count()
        made = filled.goals_created
        goals = f"{made} goals created" if made else "the account's goals kept"
        self.stdout.write(
            self.style.SUCCESS(
                f'Demo data for "{owner.name}": {filled.chats:,} chats, {filled.page_views:,} '
                f"page views and {conversions:,} conversions ({goals}), "
                f"in {time.monotonic() - started:.1f} s."
            )
        )

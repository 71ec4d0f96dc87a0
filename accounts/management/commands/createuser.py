from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import user_create


class Command(BaseCommand):
    help = "Create a user of an account (the account too, when it does not exist yet)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("--password", required=True)
        parser.add_argument("--account", required=True, help="The account's name.")
        parser.add_argument("--role", required=True, choices=User.Role.values)

    def handle(self, *args, email: str, password: str, account: str, role: str, **options) -> None:
        try:
            user = user_create(email=email, password=password, account_name=account, role=role)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"Created {user.role} {user.email} of the account {user.account}.")

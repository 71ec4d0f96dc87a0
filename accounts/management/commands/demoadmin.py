import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import User
from accounts.services import user_create

DEMO_EMAIL = "admin@demo.example"
DEMO_ACCOUNT = "Demo account"


class Command(BaseCommand):
    help = "Make sure the demo administrator exists and print how to sign in as it."

    def handle(self, *args, **options) -> None:
        # The password is made on this machine and kept in a git-ignored file, so none is
        # written into the repository and `make run` can print the same login every time.
        login_file = settings.BASE_DIR / ".demo-login"
        password = login_file.read_text().strip() if login_file.exists() else ""
        user = User.objects.filter(email__iexact=DEMO_EMAIL).first()
        if user is None:
            password = password or secrets.token_urlsafe(12)
            user_create(
                email=DEMO_EMAIL,
                password=password,
                account_name=DEMO_ACCOUNT,
                role=User.Role.ADMINISTRATOR,
            )
        elif not password or not user.check_password(password):
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
        login_file.write_text(password + "\n")
        self.stdout.write(
            self.style.SUCCESS(f"Demo administrator: {DEMO_EMAIL}  password: {password}")
        )

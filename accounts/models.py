from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


def default_active_goal_limit() -> int:
    return settings.GOALS_ACTIVE_LIMIT


class Account(models.Model):
    """A live-chat account: the tenant that owns goals and users."""

    name = models.CharField(max_length=255, unique=True)
    active_goal_limit = models.PositiveSmallIntegerField(
        default=default_active_goal_limit,
        help_text="How many of the account's goals may be enabled at once.",
    )
    goals_version = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text="Counts the writes of the account's goals: the API's cached copies carry it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, email: str) -> "User":
        # With the account, which whoever signs in goes on to use.
        return self.select_related("account").get(email__iexact=email)

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address: an account's member, or an operator."""

    class Role(models.TextChoices):
        ADMINISTRATOR = "administrator", "Administrator"
        AGENT = "agent", "Agent"

    email = models.EmailField("email address", max_length=254, unique=True)
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="users",
        null=True,
        blank=True,
        help_text="Empty only for operators, who run the service across accounts.",
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        "operator", default=False, help_text="Operators may sign in to the Django admin site."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ignoring_case",
                violation_error_message="A user with this email address already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["administrator", "agent"]),
                name="user_role_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(account__isnull=False) | models.Q(is_staff=True),
                name="user_without_account_is_operator",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = User.objects.normalize_email(self.email).lower()

    @property
    def is_administrator(self) -> bool:
        return (
            self.is_active and self.account_id is not None and self.role == self.Role.ADMINISTRATOR
        )

"""Writes to accounts, users and API clients, shared by the commands and the pages."""

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max, QuerySet
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application

from accounts.models import Account, User
from goals import rules

API_CLIENT_NAME_MAX_LENGTH = 255


@transaction.atomic
def user_create(*, email: str, password: str, account_name: str, role: str) -> User:
    """Create a member of the named account, creating the account when it does not exist yet."""
    email = User.objects.normalize_email(email.strip()).lower()
    validate_email(email)
    if role not in User.Role.values:
        raise ValidationError(
            f'"{role}" is not a role. Choose {" or ".join(User.Role.values)}.', code="role"
        )
    if not account_name.strip():
        raise ValidationError("The account name may not be blank.", code="account")
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(f"A user with the email {email} already exists.", code="taken")
    account, _ = Account.objects.get_or_create(name=account_name.strip())
    user = User(email=email, account=account, role=role)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    return user


@dataclass(frozen=True)
class NewApiClient:
    application: Application
    secret: str  # shown once: only its hash is stored


@transaction.atomic
def api_client_create(*, owner: User, name: str) -> NewApiClient:
    """Register an API client whose tokens act as its owner, an administrator of an account."""
    if not rules.may_manage_goals(owner, owner.account):
        raise PermissionDenied("Only administrators of an account may create API clients.")
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["This field may not be blank."]})
    if len(name) > API_CLIENT_NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": [f"Ensure this value has at most {API_CLIENT_NAME_MAX_LENGTH} characters."]}
        )
    secret = generate_client_secret()
    application = Application.objects.create(
        name=name,
        user=owner,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
    )
    return NewApiClient(application=application, secret=secret)


def api_clients_of(owner: User) -> QuerySet[Application]:
    """The owner's API clients, newest first, each with when a token of it was last used."""
    return (
        Application.objects.filter(user=owner)
        .annotate(last_used=Max("accesstoken__updated"))
        .order_by("-created")
    )


@transaction.atomic
def api_client_revoke(*, owner: User, client_id: str) -> str:
    """Delete one of the owner's API clients and its tokens, which then fail at once."""
    application = Application.objects.get(user=owner, client_id=client_id)
    name = application.name
    application.delete()
    return name

"""Writes to accounts and users, shared by the management commands and, later, the pages."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import Account, User


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

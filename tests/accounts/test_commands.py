"""The management commands: createuser, and demoadmin that `make run` calls."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account, User


def createuser(*args: str) -> str:
    out = StringIO()
    call_command("createuser", *args, stdout=out)
    return out.getvalue()


def test_createuser_creates_the_account_and_an_administrator_who_can_sign_in(db):
    output = createuser(
        "Carol@Example.com",
        "--password",
        "s3cret-enough",
        "--account",
        "Acme",
        "--role",
        "administrator",
    )

    user = User.objects.get()
    assert output.strip() == "Created administrator carol@example.com of the account Acme."
    assert (user.email, user.account.name, user.role) == (
        "carol@example.com",
        "Acme",
        "administrator",
    )
    assert user.check_password("s3cret-enough")


def test_createuser_joins_an_existing_account(acme):
    createuser(
        "dan@acme.example", "--password", "s3cret-enough", "--account", "Acme", "--role", "agent"
    )

    assert Account.objects.count() == 1
    assert User.objects.get().account == acme


def test_createuser_refuses_a_taken_email_whatever_its_case_with_exit_status_1(alice):
    with pytest.raises(CommandError) as error:
        createuser(
            "ALICE@acme.example",
            "--password",
            "s3cret-enough",
            "--account",
            "Acme",
            "--role",
            "agent",
        )

    assert str(error.value) == "A user with the email alice@acme.example already exists."
    assert error.value.returncode == 1
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not-an-email"], "Enter a valid email address."),
        (["eve@acme.example", "--account", " "], "The account name may not be blank."),
    ],
)
def test_createuser_explains_invalid_input_and_creates_nothing(db, args, message):
    email, *rest = args
    options = {"--password": "s3cret-enough", "--account": "Acme", "--role": "agent"}
    options.update(dict(zip(rest[::2], rest[1::2], strict=True)))

    with pytest.raises(CommandError, match=message):
        createuser(email, *[part for pair in options.items() for part in pair])

    assert not User.objects.exists()
    assert not Account.objects.exists()


def test_createuser_refuses_a_weak_password(db):
    with pytest.raises(CommandError, match="too short"):
        createuser("eve@acme.example", "--password", "abc", "--account", "Acme", "--role", "agent")

    assert not User.objects.exists()


def test_createuser_refuses_an_unknown_role(db):
    with pytest.raises(CommandError, match="invalid choice: 'owner'"):
        createuser(
            "eve@acme.example",
            "--password",
            "s3cret-enough",
            "--account",
            "Acme",
            "--role",
            "owner",
        )


def test_demoadmin_prints_a_login_that_works_and_the_same_one_next_time(db, settings, tmp_path):
    settings.BASE_DIR = tmp_path
    first, second = StringIO(), StringIO()
    call_command("demoadmin", stdout=first)
    call_command("demoadmin", stdout=second)

    assert first.getvalue() == second.getvalue()
    password = first.getvalue().split("password: ")[1].strip()
    demo = User.objects.get()
    assert demo.is_administrator
    assert demo.check_password(password)

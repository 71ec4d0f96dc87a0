"""Reads of users and accounts that the API makes on every request."""

from django.db import connection

from accounts.models import Account, User

_USER_COLUMNS = [field.column for field in User._meta.concrete_fields]
_ACCOUNT_COLUMNS = [field.column for field in Account._meta.concrete_fields]
_USER_WITH_ACCOUNT = "SELECT {} FROM {} u LEFT JOIN {} a ON a.{} = u.{} WHERE u.{} = %s".format(
    ", ".join(
        [f"u.{connection.ops.quote_name(column)}" for column in _USER_COLUMNS]
        + [f"a.{connection.ops.quote_name(column)}" for column in _ACCOUNT_COLUMNS]
    ),
    connection.ops.quote_name(User._meta.db_table),
    connection.ops.quote_name(Account._meta.db_table),
    connection.ops.quote_name(Account._meta.pk.column),
    connection.ops.quote_name(User._meta.get_field("account").column),
    connection.ops.quote_name(User._meta.pk.column),
)


def user_with_account(pk: int) -> User | None:
    """The user with this primary key, with their account (None for an operator without one);
    None when there is no such user.

    The same as User.objects.select_related("account").filter(pk=pk).first(), in one indexed
    query written out once: the API asks it on every request, and the ORM takes longer to
    compile that query than the database takes to answer it.
    """
    with connection.cursor() as cursor:
        cursor.execute(_USER_WITH_ACCOUNT, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    user = User.from_db(connection.alias, None, row[: len(_USER_COLUMNS)])
    if user.account_id is not None:
        user.account = Account.from_db(connection.alias, None, row[len(_USER_COLUMNS) :])
    return user

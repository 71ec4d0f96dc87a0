"""The bench's own PostgreSQL database, reached with psycopg from outside Django."""

import psycopg
from psycopg import sql

SERVER_URL = "postgres://postgres@127.0.0.1:5432"
NAME = "goals_bench"
URL = f"{SERVER_URL}/{NAME}"
# The server's own database, to connect to while the bench's is dropped and created.
MAINTENANCE_URL = f"{SERVER_URL}/postgres"


def server_answers() -> bool:
    try:
        with psycopg.connect(MAINTENANCE_URL, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def server_version() -> str:
    with psycopg.connect(MAINTENANCE_URL) as connection:
        return connection.execute("SHOW server_version").fetchone()[0]


def recreate(name: str = NAME) -> None:
    """An empty database of that name (the bench's own by default), whatever the last run left
    (connections included)."""
    drop(name)
    with psycopg.connect(MAINTENANCE_URL, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop(name: str = NAME) -> None:
    """Drop the database of that name, if it is there, whoever is connected to it."""
    with psycopg.connect(MAINTENANCE_URL, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def delete_goals_except(account_id: int, kept_ids: list[int]) -> None:
    """Delete the account's goals but the kept ones, so that every run of a POST starts alike.

    Straight in SQL, behind the product's back: its cache of the account's goals may then be
    stale, which no measured read of this account sees, and its next write renews it anyway.
    """
    others = "SELECT id FROM goals_goal WHERE account_id = %s AND NOT (id = ANY(%s))"
    with psycopg.connect(URL) as connection:
        # The ids are read once: a POST still finishing after wrk stopped may add a goal
        # between the two deletes, which must then leave it and its conditions alone.
        doomed = [row[0] for row in connection.execute(others, (account_id, kept_ids))]
        # The conditions first: their foreign key cascades in Django, not in the database.
        connection.execute("DELETE FROM goals_condition WHERE goal_id = ANY(%s)", (doomed,))
        connection.execute("DELETE FROM goals_goal WHERE id = ANY(%s)", (doomed,))

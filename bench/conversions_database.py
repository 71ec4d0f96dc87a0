"""The conversions bench's own PostgreSQL database, filled and timed with psycopg's COPY.

Its name holds bench.database.NAME, so that bench.disturbance counts the PostgreSQL processes that
serve it among the bench's own, not among the other programs.
"""

import time
from collections.abc import Iterable
from datetime import timedelta

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from bench import database
from bench.conversions_data import END, ROW, Population

NAME = f"{database.NAME}_conversions"
URL = f"{database.SERVER_URL}/{NAME}"
PAGE_VIEW_COLUMNS = ("account_id", "page_view_id", "visitor_id", "url", "timestamp", "title")
CHAT_COLUMNS = ("account_id", "chat_id", "visitor_id", "timestamp", "data")
TOUCH_COLUMNS = (
    "account_id",
    "chat_id",
    "agent_id",
    "visitor_id",
    "time",
    "agent_name",
    "department_id",
    "department_name",
)


def recreate() -> None:
    """An empty database, whatever the last run left (connections included)."""
    database.recreate(NAME)


def drop() -> None:
    database.drop(NAME)


def copy_rows(connection: psycopg.Connection, table: str, columns: Iterable[str], rows) -> int:
    """COPY the rows into the table in the connection's transaction; how many there were."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    count = 0
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def seed_population(account_id: int, population: Population) -> dict[str, int]:
    """The population's page views, chats and their touches, COPYed in one transaction; how many
    rows of each."""
    touches: list[ROW] = []

    def chats() -> Iterable[ROW]:
        for chat, chat_touches in population.chat_rows(account_id):
            touches.extend(chat_touches)
            yield (*chat[:4], Jsonb(chat[4]))

    with psycopg.connect(URL) as connection:
        counts = {
            "page_views": copy_rows(
                connection,
                "conversions_pageview",
                PAGE_VIEW_COLUMNS,
                population.page_view_rows(account_id),
            ),
            "chats": copy_rows(
                connection,
                "conversions_chat",
                (*CHAT_COLUMNS, "received_at", "updated_at"),
                ((*row, END, END) for row in chats()),
            ),
        }
        counts["touches"] = copy_rows(connection, "conversions_touch", TOUCH_COLUMNS, touches)
    analyze("conversions_pageview", "conversions_chat", "conversions_touch")
    return counts


def seed_conversions(account_id: int, goal_id: int, count: int) -> None:
    """`count` conversions of one goal of the account, written by PostgreSQL itself: ten a
    second of update_timestamp, a chat and a visitor each."""
    statement = """
        INSERT INTO conversions_conversion (
            account_id, goal_id, chat_id, conversion_id, goal_name, visitor_id, page_view_id,
            url, timestamp, agent_id, agent_name, department_id, department_name, chat_timestamp,
            update_timestamp
        )
        SELECT %(account)s, %(goal)s, 'c-' || n, substr(md5(%(goal)s || '-' || n), 1, 16),
            'Purchase', 'v-' || n, 'pv-' || n, 'https://shop.example/checkout/thanks',
            %(start)s + n * interval '1 second', 1000 + n %% 12, 'Agent ' || n %% 12,
            11 + n %% 2, 'Sales', %(start)s + n * interval '1 second' - interval '1 hour',
            %(start)s + (n / 10) * interval '1 second'
        FROM generate_series(1, %(count)s) AS n
    """
    start = END - timedelta(seconds=count)
    with psycopg.connect(URL) as connection:
        connection.execute(
            statement, {"account": account_id, "goal": goal_id, "start": start, "count": count}
        )
    analyze("conversions_conversion")


def analyze(*tables: str) -> None:
    """Vacuum and analyse the tables, as autovacuum would have by the time the product reads
    them after such a bulk load; then a checkpoint, so that writing the load's pages back to
    disk falls on no measurement."""
    with psycopg.connect(URL, autocommit=True) as connection:
        connection.execute(
            sql.SQL("VACUUM ANALYZE {}").format(sql.SQL(", ").join(map(sql.Identifier, tables)))
        )
        connection.execute("CHECKPOINT")


def timed_copy(rows: list[ROW]) -> float:
    """Seconds that a plain COPY of these conversions_pageview rows takes, commit included."""
    with psycopg.connect(URL) as connection:
        started = time.perf_counter()
        copy_rows(connection, "conversions_pageview", PAGE_VIEW_COLUMNS, rows)
        connection.commit()
        return time.perf_counter() - started

"""The reports bench's data: a year of served chats and conversions, written by PostgreSQL itself
(INSERT ... SELECT over generate_series) into a database of the bench's own.

Shaped like a busy account's: chats spread over the 365 days before the seed's moment, each
served by one of 40 agents (three departments, and a few agents in none), one chat in seven
transferred to a second agent a few minutes later. A conversion credits a served chat for one of
the five goals of bench.conversions_data (both attribution models, periods of 1 to 30 days): the
first touch's agent for a first-touch goal, the last touch's for a last-touch goal, at a time
drawn from a minute to the goal's attribution period after the credited touch (log-uniform: most
within hours, some days later). A chat that converted converts on 1.6 goals on average. Every
draw is a hash of the row's number (hashint8extended), so that each run writes the same rows.

Accounts seeded together get the same chats and conversions, each under its own goal ids, written
in the order of the conversions' times, the accounts' rows interleaved: as a table filled over a
year by two accounts' traffic lies on disk. Page views are left out: the reports read the
conversions, the touches and the daily totals, never the page views.
"""

import itertools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from psycopg import sql

from bench import database
from bench.conversions_data import GOALS, SITE

# Its name holds bench.database.NAME, so that bench.disturbance counts the PostgreSQL processes
# that serve it among the bench's own, not among the other programs.
NAME = f"{database.NAME}_reports"
URL = f"{database.SERVER_URL}/{NAME}"
SPAN = timedelta(days=365)
# Agents 1 to AGENTS have the ids AGENT_BASE + their number; DEPARTMENTS give the numbers of each
# department's agents (first, last, department id, name), the agents past them have none.
AGENT_BASE = 5000
AGENTS = 40
DEPARTMENTS = [(1, 14, 31, "Sales"), (15, 28, 32, "Support"), (29, 36, 33, "Billing")]
TRANSFERRED_SHARE = 1 / 7
# Visitors a chat: some visitors chat more than once.
VISITORS_A_CHAT = 0.85
CONVERSIONS_A_CONVERTING_CHAT = 1.6
# The share of the chats' first conversions that goes to each goal of GOALS, in its order; a
# chat's next conversion goes to the next goal.
GOAL_SHARES = (0.30, 0.15, 0.30, 0.10, 0.15)
# The page on which each goal of GOALS was met; True: numbered, as the premium products are.
GOAL_PAGES = (
    (f"{SITE}/checkout/thanks", False),
    (f"{SITE}/signup/done", False),
    (f"{SITE}/pricing", False),
    (f"{SITE}/contact/sent", False),
    (f"{SITE}/products/premium-", True),
)
PREMIUM_PRODUCTS = 20
# The converting chats are spread over the year by a multiplier of about this share of the
# chats' count, prime to it (Fibonacci hashing): x * multiplier mod chats, for x = 0, 1, 2 ...,
# visits every chat once and lands evenly over the range at every step.
GOLDEN_SHARE = (math.sqrt(5) - 1) / 2
# Draws whose conversion would come after the seed's moment are dropped (about 1 % of them):
# this many more draws than conversions are made, and the surplus cut.
SPARE_DRAWS = 1.05
# 2**52: a hash's low 52 bits over it make a uniform draw in [0, 1) of a double's precision.
_MANTISSA = 2**52


@dataclass(frozen=True)
class Sizes:
    """Conversions and served chats of each account seeded together."""

    conversions: int
    chats: int

    def __post_init__(self) -> None:
        converting = math.ceil(self.conversions / CONVERSIONS_A_CONVERTING_CHAT)
        if self.conversions < 1 or converting > self.chats:
            raise ValueError(
                f"{self.conversions:,} conversions need at least {converting:,} served chats"
                f" ({CONVERSIONS_A_CONVERTING_CHAT} conversions a converting chat)."
            )


def recreate() -> None:
    """An empty database, whatever the last run left (connections included)."""
    database.recreate(NAME)


def drop() -> None:
    database.drop(NAME)


def agents() -> list[tuple[int, int, str, int | None, str]]:
    """(number, agent id, name, department id or None, department name) of each agent."""
    rows = []
    for number in range(1, AGENTS + 1):
        department = next((d for d in DEPARTMENTS if d[0] <= number <= d[1]), None)
        rows.append(
            (
                number,
                AGENT_BASE + number,
                f"Agent {number}",
                department[2] if department else None,
                department[3] if department else "",
            )
        )
    return rows


def draw(number: str, stream: int) -> str:
    """SQL for a uniform draw in [0, 1) from a hash of the bigint expression `number`, on its own
    stream of draws."""
    return (
        f"((hashint8extended({number}, {stream}) & {_MANTISSA - 1})::float8 / {_MANTISSA}::float8)"
    )


def first_goal(number: str) -> str:
    """SQL for the position in GOALS of a converting chat's first conversion, drawn by GOAL_SHARES
    from the bigint expression `number`."""
    bounds = list(itertools.accumulate(GOAL_SHARES))[:-1]
    cases = " ".join(
        f"WHEN {draw(number, 8)} < {bound:.6f} THEN {position}"
        for position, bound in enumerate(bounds)
    )
    return f"CASE {cases} ELSE {len(GOAL_SHARES) - 1} END"


# The chats, numbered c: evenly over the span with a jitter, the first agent answering 20 s to
# 2 min after the chat started, drawn with a skew (some agents take far more chats than others);
# a share transferred to another agent 1 to 11 min later.
_CHATS = f"""
    CREATE TEMPORARY TABLE seed_chats ON COMMIT DROP AS
    SELECT c, 'chat-' || c AS chat_id, visitor_id, chat_time, first_agent,
        chat_time + interval '20 seconds' + {draw("c", 7)} * interval '100 seconds' AS first_time,
        CASE WHEN {draw("c", 3)} < %(transferred)s
            THEN 1 + mod(first_agent + floor(({AGENTS} - 1) * {draw("c", 4)})::int, {AGENTS})
        END AS second_agent,
        chat_time + interval '140 seconds' + {draw("c", 5)} * interval '10 minutes' AS second_time
    FROM (
        SELECT c,
            'visitor-' || mod(hashint8extended(c, 1) & {_MANTISSA - 1}, %(visitors)s) AS visitor_id,
            %(start)s + %(span)s * ((c + {draw("c", 6)}) / %(chats)s) AS chat_time,
            1 + floor({AGENTS} * power({draw("c", 2)}, 1.4))::int AS first_agent
        FROM generate_series(0::bigint, %(chats)s - 1) AS c
    ) AS drawn
"""

# The conversions, account-free: draw n converts chat (n mod converting) * multiplier mod chats, so
# that draws converting < n apart convert the same chat, each on the goal after the last.
_CONVERSIONS = f"""
    CREATE TEMPORARY TABLE seed_conversions ON COMMIT DROP AS
    SELECT d.n, ch.chat_id, ch.visitor_id, d.position, credited.agent, credited.moment AS touched,
        credited.at
    FROM (
        SELECT n, mod(mod(n, %(converting)s) * %(multiplier)s, %(chats)s) AS c,
            mod(n / %(converting)s + {first_goal("mod(n, %(converting)s)")}, 5) AS position,
            {draw("n", 9)} AS delay
        FROM generate_series(0::bigint, %(draws)s - 1) AS n
    ) AS d
    JOIN seed_chats AS ch ON ch.c = d.c
    JOIN seed_positions AS p ON p.position = d.position
    CROSS JOIN LATERAL (
        SELECT
            CASE WHEN p.model = 'first_touch' OR ch.second_agent IS NULL
                THEN ch.first_agent ELSE ch.second_agent END AS agent,
            CASE WHEN p.model = 'first_touch' OR ch.second_agent IS NULL
                THEN ch.first_time ELSE ch.second_time END AS moment
    ) AS touch
    CROSS JOIN LATERAL (
        SELECT touch.agent, touch.moment,
            touch.moment
                + interval '1 minute' * power(p.period_days * 1440.0::float8, d.delay) AS at
    ) AS credited
    WHERE credited.at < %(end)s
    LIMIT %(conversions)s
"""

_INSERT_CONVERSIONS = """
    INSERT INTO conversions_conversion (
        account_id, goal_id, chat_id, conversion_id, goal_name, visitor_id, page_view_id, url,
        timestamp, agent_id, agent_name, department_id, department_name, chat_timestamp,
        attribution_model, update_timestamp
    )
    SELECT g.account_id, g.goal_id, s.chat_id, substr(md5(g.goal_id || ':' || s.chat_id), 1, 16),
        g.name, s.visitor_id, 'pv-' || s.n,
        p.url || CASE WHEN p.numbered THEN (1 + mod(s.n, %(products)s))::text ELSE '' END,
        s.at, a.agent_id, a.agent_name, a.department_id, a.department_name, s.touched, p.model,
        date_trunc('second', s.at) + interval '1 second'
    FROM seed_conversions AS s
    JOIN seed_positions AS p ON p.position = s.position
    JOIN seed_goals AS g ON g.position = s.position
    JOIN seed_agents AS a ON a.number = s.agent
    ORDER BY s.at, g.account_id
"""

_INSERT_CHATS = """
    INSERT INTO conversions_chat (
        account_id, chat_id, visitor_id, timestamp, data, received_at, updated_at
    )
    SELECT acc.account_id, ch.chat_id, ch.visitor_id, ch.chat_time,
        jsonb_build_object(
            'id', ch.chat_id, 'type', 'chat', 'timestamp', ch.chat_time,
            'visitor', jsonb_build_object('id', ch.visitor_id)
        ),
        ch.chat_time + interval '1 hour', ch.chat_time + interval '1 hour'
    FROM seed_chats AS ch CROSS JOIN (SELECT DISTINCT account_id FROM seed_goals) AS acc
    ORDER BY ch.chat_time, acc.account_id
"""

_INSERT_TOUCHES = """
    INSERT INTO conversions_touch (
        account_id, chat_id, agent_id, visitor_id, time, agent_name, department_id,
        department_name
    )
    SELECT acc.account_id, ch.chat_id, a.agent_id, ch.visitor_id, t.moment, a.agent_name,
        a.department_id, a.department_name
    FROM seed_chats AS ch
    CROSS JOIN LATERAL (
        VALUES (ch.first_agent, ch.first_time), (ch.second_agent, ch.second_time)
    ) AS t (agent, moment)
    JOIN seed_agents AS a ON a.number = t.agent
    CROSS JOIN (SELECT DISTINCT account_id FROM seed_goals) AS acc
    ORDER BY t.moment, acc.account_id
"""


def seed(goal_ids: dict[int, list[int]], sizes: Sizes, end: datetime) -> dict[str, int]:
    """Write the same chats, touches and conversions for each account {account id: [the ids of
    its goals, in the order of GOALS]}, in one transaction, the conversions before `end` (an
    aware datetime); how many rows of each were written for each account."""
    multiplier = round(sizes.chats * GOLDEN_SHARE)
    while math.gcd(multiplier, sizes.chats) != 1:
        multiplier += 1
    parameters = {
        "transferred": TRANSFERRED_SHARE,
        "visitors": max(1, round(sizes.chats * VISITORS_A_CHAT)),
        "start": end - SPAN,
        "span": SPAN,
        "chats": sizes.chats,
        "converting": math.ceil(sizes.conversions / CONVERSIONS_A_CONVERTING_CHAT),
        "multiplier": multiplier,
        "draws": math.ceil(sizes.conversions * SPARE_DRAWS),
        "end": end,
        "conversions": sizes.conversions,
        "products": PREMIUM_PRODUCTS,
    }
    with psycopg.connect(URL) as connection:
        connection.execute(
            "CREATE TEMPORARY TABLE seed_agents (number int, agent_id bigint, agent_name text,"
            " department_id bigint, department_name text) ON COMMIT DROP"
        )
        connection.execute(
            "CREATE TEMPORARY TABLE seed_positions (position int, model text, period_days int,"
            " url text, numbered bool) ON COMMIT DROP"
        )
        connection.execute(
            "CREATE TEMPORARY TABLE seed_goals (account_id bigint, position int, goal_id bigint,"
            " name text) ON COMMIT DROP"
        )
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO seed_agents VALUES (%s, %s, %s, %s, %s)", agents())
            cursor.executemany(
                "INSERT INTO seed_positions VALUES (%s, %s, %s, %s, %s)",
                [
                    (position, goal["attribution_model"], goal["attribution_period"], url, numbered)
                    for position, (goal, (url, numbered)) in enumerate(
                        zip(GOALS, GOAL_PAGES, strict=True)
                    )
                ],
            )
            cursor.executemany(
                "INSERT INTO seed_goals VALUES (%s, %s, %s, %s)",
                [
                    (account_id, position, goal_id, GOALS[position]["name"])
                    for account_id, ids in goal_ids.items()
                    for position, goal_id in enumerate(ids)
                ],
            )
        connection.execute(_CHATS, parameters)
        connection.execute(_CONVERSIONS, parameters)
        drawn = connection.execute("SELECT count(*) FROM seed_conversions").fetchone()[0]
        if drawn != sizes.conversions:
            raise RuntimeError(
                f"{drawn:,} conversions drawn before the seed's moment, not {sizes.conversions:,}"
            )
        written = {
            "conversions": connection.execute(_INSERT_CONVERSIONS, parameters).rowcount,
            "chats": connection.execute(_INSERT_CHATS).rowcount,
            "touches": connection.execute(_INSERT_TOUCHES).rowcount,
        }
    return {name: count // len(goal_ids) for name, count in written.items()}


def analyze(*tables: str) -> None:
    """Vacuum and analyse the tables, as autovacuum would have by the time the reports read them
    after such a bulk load; then a checkpoint, so that writing the load's pages back to disk
    falls on no measurement."""
    with psycopg.connect(URL, autocommit=True) as connection:
        connection.execute(
            sql.SQL("VACUUM ANALYZE {}").format(sql.SQL(", ").join(map(sql.Identifier, tables)))
        )
        connection.execute("CHECKPOINT")

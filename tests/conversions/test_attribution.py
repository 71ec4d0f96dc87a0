"""The rules of attribution, one by one, as ../DESIGN.md ("Conversions") states them.

These call conversions.attribution directly: no database, no door.
"""

from datetime import UTC, datetime, timedelta

from conversions.attribution import GoalTerms, Touch, Visit, chat_touches, credits
from conversions.inputs import parse_chats

T0 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


class Condition:
    def __init__(self, operator: str, value: str) -> None:
        self.operator, self.value = operator, value


def goal(
    goal_id: int = 1, model: str = "first_touch", days: int = 7, value: str = "/thanks"
) -> GoalTerms:
    return GoalTerms(
        goal_id, f"Goal {goal_id}", model, timedelta(days=days), (Condition("contains", value),)
    )


def touch(chat_id: str, agent_id: int, at: datetime, visitor: str = "v1") -> Touch:
    return Touch(chat_id, agent_id, visitor, at, f"Agent {agent_id}")


def visit(page_view_id: str, at: datetime, url: str = "https://shop.example/thanks") -> Visit:
    return Visit(page_view_id, "v1", url, at)


def credited(goals, touches, visits) -> dict[tuple[int, str], tuple[str, int]]:
    """(goal id, chat id) -> (page view id, agent id) of each conversion."""
    return {
        key: (credit.page_view.page_view_id, credit.touch.agent_id)
        for key, credit in credits(goals, touches, visits).items()
    }


def one_chat(**fields) -> object:
    chat = {"id": "c1", "visitor": {"id": "v1"}, "timestamp": "2026-11-01T10:00:00Z", **fields}
    return parse_chats([chat])[0]


def message(agent: str, at: str, name: str = "") -> dict:
    return {"type": "chat.msg", "nick": agent, "name": name, "timestamp": at, "msg": "Hello"}


# --- Touches ---------------------------------------------------------------------------------


def test_each_agent_who_wrote_touches_at_their_first_message():
    chat = one_chat(
        agent_ids=[5, 6, 7],
        history=[
            message("visitor", "2026-11-01T10:00:00Z"),
            message("agent:6", "2026-11-01T10:05:00Z", "Bea"),
            message("agent:5", "2026-11-01T10:02:00Z", "Al"),
            message("agent:6", "2026-11-01T10:01:00Z", "Bea"),
        ],
    )

    touches = {t.agent_id: (t.time.minute, t.agent_name) for t in chat_touches(chat)}

    assert touches == {5: (2, "Al"), 6: (1, "Bea")}  # agent 7 never wrote: no touch


def test_a_chat_without_history_touches_for_each_of_its_agent_ids_at_its_timestamp():
    chat = one_chat(agent_ids=["5", 6], agent_names=["Al", "Bea"], department_id=3)

    touches = chat_touches(chat)

    assert {(t.agent_id, t.agent_name, t.time, t.department_id) for t in touches} == {
        (5, "Al", T0, 3),
        (6, "Bea", T0, 3),
    }


def test_a_chat_with_history_but_no_agent_message_makes_no_touch():
    chat = one_chat(agent_ids=[5], history=[message("visitor", "2026-11-01T10:00:00Z")])

    assert chat_touches(chat) == []


def test_missed_chats_and_offline_messages_make_no_touch():
    missed = one_chat(agent_ids=[5], missed=True)
    offline = one_chat(agent_ids=[5], type="offline_msg")

    assert chat_touches(missed) == chat_touches(offline) == []


def test_an_agent_without_a_name_in_their_message_takes_the_one_beside_their_id():
    chat = one_chat(
        agent_ids=[5], agent_names=["Al"], history=[message("agent:5", "2026-11-01T10:00:00Z")]
    )

    assert chat_touches(chat)[0].agent_name == "Al"


# --- Attribution -----------------------------------------------------------------------------


def test_a_page_view_credits_the_earliest_touch_in_first_touch_and_the_latest_in_last_touch():
    touches = [touch("c1", 1, T0), touch("c2", 2, T0 + timedelta(days=1))]
    visits = [visit("p1", T0 + timedelta(days=2))]

    assert credited([goal(model="first_touch")], touches, visits) == {(1, "c1"): ("p1", 1)}
    assert credited([goal(model="last_touch")], touches, visits) == {(1, "c2"): ("p1", 2)}


def test_touches_exactly_a_period_before_or_at_the_page_view_are_eligible():
    at_start = touch("c1", 1, T0)
    visits = [visit("p1", T0 + timedelta(days=7))]

    assert credited([goal(days=7)], [at_start], visits) == {(1, "c1"): ("p1", 1)}
    assert credited([goal(days=7)], [touch("c1", 1, T0 + timedelta(days=7))], visits) == {
        (1, "c1"): ("p1", 1)
    }


def test_a_touch_a_microsecond_outside_the_period_or_after_the_page_view_is_not():
    visits = [visit("p1", T0 + timedelta(days=7))]
    too_early = touch("c1", 1, T0 - timedelta(microseconds=1))
    too_late = touch("c2", 2, T0 + timedelta(days=7, microseconds=1))

    assert credited([goal(days=7)], [too_early, too_late], visits) == {}


def test_equal_times_are_ordered_by_chat_id_then_agent_id_as_strings():
    # As strings, "c10" comes before "c9", and agent "10" before agent "9".
    touches = [touch("c9", 1, T0), touch("c10", 9, T0), touch("c10", 10, T0)]
    visits = [visit("p1", T0 + timedelta(hours=1))]

    assert credited([goal(model="first_touch")], touches, visits) == {(1, "c10"): ("p1", 10)}
    assert credited([goal(model="last_touch")], touches, visits) == {(1, "c9"): ("p1", 1)}


def test_a_page_view_that_does_not_fulfil_the_goal_is_no_conversion():
    touches = [touch("c1", 1, T0)]
    visits = [visit("p1", T0 + timedelta(hours=1), url="https://shop.example/pricing")]

    assert credited([goal()], touches, visits) == {}


def test_page_views_of_another_visitor_credit_nothing():
    touches = [touch("c1", 1, T0, visitor="v2")]

    assert credited([goal()], touches, [visit("p1", T0 + timedelta(hours=1))]) == {}


# --- Conversions -----------------------------------------------------------------------------


def test_a_goal_and_chat_convert_once_at_the_earliest_page_view_by_time_then_id():
    touches = [touch("c1", 1, T0)]
    later = T0 + timedelta(hours=2)
    visits = [visit("p9", later), visit("p3", later), visit("p1", T0 + timedelta(hours=3))]

    assert credited([goal()], touches, visits) == {(1, "c1"): ("p3", 1)}


def test_one_page_view_converts_each_goal_it_fulfils():
    touches = [touch("c1", 1, T0)]
    goals = [goal(1, value="/thanks"), goal(2, value="shop.example", model="last_touch")]

    assert credited(goals, touches, [visit("p1", T0 + timedelta(hours=1))]) == {
        (1, "c1"): ("p1", 1),
        (2, "c1"): ("p1", 1),
    }


def test_the_earliest_page_view_of_a_chat_may_credit_another_agent_of_it():
    # Agent 2 joins the chat later: the first page view after agent 1 alone credits agent 1.
    touches = [touch("c1", 1, T0), touch("c1", 2, T0 + timedelta(hours=1))]
    visits = [visit("p1", T0 + timedelta(minutes=30)), visit("p2", T0 + timedelta(hours=2))]

    assert credited([goal(model="last_touch")], touches, visits) == {(1, "c1"): ("p1", 1)}


def test_the_result_does_not_depend_on_the_order_of_the_inputs():
    touches = [touch(f"c{n}", n, T0 + timedelta(hours=n)) for n in range(5)]
    visits = [visit(f"p{n}", T0 + timedelta(hours=n, minutes=30)) for n in range(5)]
    goals = [goal(1), goal(2, model="last_touch", days=1)]

    assert credits(goals, touches, visits) == credits(goals[::-1], touches[::-1], visits[::-1])

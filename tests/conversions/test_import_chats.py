"""manage.py import_chats: Zendesk Chat chats from a file, in every shape the product takes."""

import gzip
import io
import json
import re
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from conversions import ingest
from conversions.models import Chat, Conversion, PageView, Touch

ARTHUR_ID = 12345
FIGURE_ROW = re.compile(r" {0,4}(?P<label>\S[^:]*): +(?P<figure>[\d,]+)")


def a_chat(chat_id: str, *, visitor: str = "v-1", minute: int = 0, **fields: Any) -> dict:
    """A chat object as Zendesk Chat's export gives it, in which agent 12345 wrote."""
    at = f"2026-11-30T10:{minute:02d}:00Z"
    return {
        "id": chat_id,
        "type": "chat",
        "timestamp": at,
        "visitor": {"id": visitor, "name": "Visitor 1"},
        "missed": False,
        "agent_ids": [str(ARTHUR_ID)],
        "agent_names": ["Arthur"],
        "department_id": 7,
        "department_name": "Sales",
        "response_time": {"first": 5, "avg": 5.5, "max": 6},
        "history": [
            {"type": "chat.msg", "nick": "visitor", "name": "Visitor 1", "timestamp": at},
            {
                "type": "chat.msg",
                "nick": f"agent:{ARTHUR_ID}",
                "name": "Arthur",
                "timestamp": f"2026-11-30T10:{minute:02d}:30Z",
                "msg": "Hello!",
            },
        ],
        "webpath": [{"to": "https://shop.example/", "title": "Shop", "timestamp": at}],
        **fields,
    }


CHATS = [a_chat("c-1"), a_chat("c-2", visitor="v-2"), a_chat("c-3", visitor="v-3")]


def json_lines(chats: list) -> bytes:
    return b"".join(json.dumps(chat).encode() + b"\n" for chat in chats)


def export_page(chats: list) -> dict:
    """A page of Zendesk Chat's incremental chat export."""
    return {"chats": chats, "count": len(chats), "end_id": "x", "end_time": 1, "next_page": None}


SHAPES = {
    "JSON Lines": json_lines,
    "a JSON array": lambda chats: json.dumps(chats).encode(),
    "a pretty-printed JSON array": lambda chats: json.dumps(chats, indent=2).encode(),
    "export pages, one a line": lambda chats: json_lines(
        [export_page(chats[:2]), export_page(chats[2:])]
    ),
    "pretty-printed export pages, one after another": lambda chats: b"\n".join(
        json.dumps(export_page(page), indent=2).encode() for page in (chats[:1], chats[1:])
    ),
    "a JSON array with a byte order mark": lambda chats: (
        b"\xef\xbb\xbf" + json.dumps(chats).encode()
    ),
}


def import_chats(*args: str) -> str:
    out = StringIO()
    call_command("import_chats", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def figures(summary: str) -> dict[str, int]:
    """The summary's figures by label: {"Chats read": 3, "created": 3, ...}; the problems
    listed under them are left out."""
    rows = (FIGURE_ROW.fullmatch(line) for line in summary.splitlines())
    return {row["label"]: int(row["figure"].replace(",", "")) for row in rows if row}


def written(tmp_path: Path, content: bytes, name: str = "chats.json") -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_of_file_is_imported_whole(acme, tmp_path, shape):
    file = written(tmp_path, SHAPES[shape](CHATS))

    summary = import_chats(file, "--account", "Acme")

    assert figures(summary) == {
        "Chats read": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
    }
    assert sorted(Chat.objects.filter(account=acme).values_list("chat_id", flat=True)) == [
        "c-1",
        "c-2",
        "c-3",
    ]
    assert Touch.objects.filter(account=acme, agent_id=ARTHUR_ID).count() == 3
    assert Chat.objects.get(account=acme, chat_id="c-2").data == CHATS[1]


def test_a_gzip_file_is_decompressed(acme, tmp_path):
    file = written(tmp_path, gzip.compress(json_lines(CHATS)), "chats.jsonl.gz")

    summary = import_chats(file, "--account", "Acme")

    assert figures(summary)["created"] == 3
    assert Chat.objects.filter(account=acme).count() == 3


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_a_dash_reads_standard_input(acme, monkeypatch, compress):
    content = json_lines(CHATS)
    stdin = io.TextIOWrapper(io.BytesIO(gzip.compress(content) if compress else content))
    monkeypatch.setattr(sys, "stdin", stdin)

    summary = import_chats("-", "--account", "Acme")

    assert figures(summary)["created"] == 3
    assert Chat.objects.filter(account=acme).count() == 3


@pytest.mark.parametrize("shape", ["JSON Lines", "export pages, one a line"])
def test_importing_the_same_file_again_adds_nothing(acme, tmp_path, shape):
    file = written(tmp_path, SHAPES[shape](CHATS))
    import_chats(file, "--account", "Acme")
    stored = (Chat.objects.count(), Touch.objects.count(), PageView.objects.count())

    summary = import_chats(file, "--account", "Acme")

    assert figures(summary) == {
        "Chats read": 3,
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "skipped": 0,
    }
    assert (Chat.objects.count(), Touch.objects.count(), PageView.objects.count()) == stored


def test_a_chat_sent_again_with_changes_is_counted_as_updated(acme, tmp_path):
    import_chats(written(tmp_path, json_lines(CHATS)), "--account", "Acme")
    changed = [CHATS[0], {**CHATS[1], "department_name": "Support"}]

    summary = import_chats(written(tmp_path, json_lines(changed), "b.jsonl"), "--account", "Acme")

    assert figures(summary)["updated"] == 1
    assert figures(summary)["unchanged"] == 1
    assert Chat.objects.get(chat_id="c-2").data["department_name"] == "Support"


def test_bad_items_are_skipped_and_reported_by_line_while_the_rest_is_stored(acme, tmp_path):
    no_timestamp = {key: value for key, value in a_chat("c-bad").items() if key != "timestamp"}
    content = (
        json_lines([CHATS[0], no_timestamp])
        + b'{"id": "c-broken", \n'
        + json_lines([a_chat("c-nick", history=[{"type": "chat.msg", "nick": f"agent:{2**64}"}])])
        + json_lines(CHATS[1:])
    )

    summary = import_chats(written(tmp_path, content), "--account", "Acme")

    assert figures(summary) == {
        "Chats read": 6,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "skipped": 3,
    }
    assert "line 2: timestamp: This field is required." in summary
    assert "line 3: not JSON (" in summary
    assert "line 4: history[0].nick: " in summary
    assert "names an agent id past 64 bits" in summary
    assert sorted(Chat.objects.values_list("chat_id", flat=True)) == ["c-1", "c-2", "c-3"]


def test_a_bad_item_in_an_export_page_is_reported_by_page_and_position(acme, tmp_path):
    pages = [export_page(CHATS[:2]), export_page([CHATS[2], {"id": "c-4", "visitor": "v-4"}])]

    summary = import_chats(written(tmp_path, json_lines(pages)), "--account", "Acme")

    assert "line 2, chat 2: visitor: " in summary
    assert "line 2, chat 2: timestamp: This field is required." not in summary
    assert figures(summary)["skipped"] == 1
    assert Chat.objects.count() == 3


def test_a_bad_item_costs_only_itself_in_a_batch_of_the_largest_size(acme, tmp_path):
    chats = [a_chat(f"c-{number}", visitor=f"v-{number}") for number in range(250)]
    chats[205] = {**chats[205], "type": "voice call"}

    summary = import_chats(
        written(tmp_path, json.dumps(chats, indent=1).encode()), "--account", "Acme"
    )

    assert figures(summary)["created"] == 249
    assert 'array item 206: type: Expected "chat" or "offline_msg", not "voice call".' in summary
    assert not Chat.objects.filter(chat_id="c-205").exists()
    assert Chat.objects.count() == 249


def test_only_the_first_problems_are_shown_with_how_many_more(acme, tmp_path):
    content = b"not json\n" * 14 + json_lines(CHATS)

    summary = import_chats(written(tmp_path, content), "--account", "Acme")

    assert figures(summary)["skipped"] == 14
    assert "line 10: not JSON" in summary
    assert "line 11:" not in summary
    assert "... and 4 more" in summary
    assert Chat.objects.count() == 3


def test_a_file_that_stops_being_json_keeps_the_chats_before_and_fails(acme, tmp_path):
    content = json.dumps(CHATS, indent=2).encode()[:-30] + b"}}} oops"
    stdout = StringIO()

    with pytest.raises(CommandError, match=r"Reading stopped after array item 2 \(not JSON: "):
        call_command("import_chats", written(tmp_path, content), "--account", "Acme", stdout=stdout)

    assert figures(stdout.getvalue())["created"] == 2
    assert Chat.objects.count() == 2


def test_a_gzip_file_cut_short_keeps_the_chats_before_and_fails(acme, tmp_path):
    content = gzip.compress(json_lines([a_chat(f"c-{n}", visitor=f"v-{n}") for n in range(300)]))
    stdout = StringIO()

    with pytest.raises(CommandError, match="Reading stopped after line "):
        call_command(
            "import_chats",
            written(tmp_path, content[: len(content) // 2], "chats.jsonl.gz"),
            "--account",
            "Acme",
            stdout=stdout,
        )

    created = figures(stdout.getvalue())["created"]
    assert 0 < created < 300
    assert Chat.objects.count() == created


def test_an_empty_file_imports_nothing(acme, tmp_path):
    summary = import_chats(written(tmp_path, b"\n\n"), "--account", "Acme")

    assert figures(summary)["Chats read"] == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Nobody", 'No account is named "Nobody".'),
        ("acme", 'No account is named "acme". Did you mean "Acme"?'),
    ],
)
def test_an_unknown_account_is_refused_with_a_clear_sentence(acme, tmp_path, name, message):
    with pytest.raises(CommandError) as error:
        import_chats(written(tmp_path, json_lines(CHATS)), "--account", name)

    assert str(error.value) == message
    assert not Chat.objects.exists()


def test_a_missing_file_is_refused_with_a_clear_sentence(acme, tmp_path):
    with pytest.raises(CommandError, match=r'Cannot read ".*nothing\.json": No such file'):
        import_chats(str(tmp_path / "nothing.json"), "--account", "Acme")


def test_the_chats_imported_credit_a_later_page_view_that_meets_a_goal(
    acme, alice, make_goal, tmp_path
):
    goal = make_goal(
        acme,
        name="Thanks",
        conditions=[{"type": "url", "operator": "contains", "value": "/thanks"}],
    )
    ingest.page_views_ingest(
        account=acme,
        items=[
            {
                "id": "pv-1",
                "visitor_id": "v-1",
                "url": "https://shop.example/thanks",
                "timestamp": "2026-11-30T11:00:00Z",
            }
        ],
    )

    import_chats(written(tmp_path, json_lines(CHATS)), "--account", "Acme")

    conversion = Conversion.objects.get(account=acme)
    assert (conversion.goal_id, conversion.chat_id, conversion.page_view_id) == (
        goal.pk,
        "c-1",
        "pv-1",
    )
    assert (conversion.agent_id, conversion.agent_name) == (ARTHUR_ID, "Arthur")

"""Goals carried between accounts (issue 15): exported as the API's own JSON list, by the
dashboard and `manage.py export_goals`, and imported into another account, by the dashboard
and `manage.py import_goals`, through the rules: all or nothing, within the active-goal limit.

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird.
"""

import gzip
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Account, User
from goals import history
from goals.models import Goal
from tests.helpers.api import Api
from tests.helpers.pages import main_text, signed_in

PRICING = [{"type": "url", "operator": "contains", "value": "/pricing"}]
THANKS = [
    {"type": "url", "operator": "equals", "value": "https://shop.example/checkout/thanks"},
    {"type": "url", "operator": "contains", "value": "order-confirmed"},
]


@pytest.fixture
def acme_goals(acme: Account, alice: User, make_goal: Callable[..., Goal]) -> list[Goal]:
    return [
        make_goal(acme, name="Pricing", description="Looked at prices", conditions=PRICING),
        make_goal(
            acme,
            name="Paid",
            conditions=THANKS,
            attribution_model="last_touch",
            attribution_period=7,
        ),
        make_goal(acme, name="Old offer", enabled=False, conditions=PRICING),
    ]


def without_ids(goals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in goal.items() if key != "id"} for goal in goals]


def exported(client: Client) -> bytes:
    response = client.get("/goals/export/")
    assert response.status_code == 200
    return response.content


def uploaded(client: Client, content: bytes, name: str = "goals.json") -> Any:
    return client.post("/goals/import/", {"file": SimpleUploadedFile(name, content)}, follow=True)


def test_the_export_is_the_api_s_list_of_the_account_s_goals_as_a_file(
    acme_goals: list[Goal], alice_client: Client, alice_api: Api
) -> None:
    response = alice_client.get("/goals/export/")
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="goals-acme-')
    assert json.loads(response.content) == alice_api.get("/api/v2/goals").json()


def test_goals_imported_into_another_account_are_the_same_goals_there(
    acme_goals: list[Goal], alice_client: Client, bob: User, alice_api: Api, api_as: Any
) -> None:
    bob_client = signed_in(bob)
    page = uploaded(bob_client, exported(alice_client))
    assert "Imported 3 goals." in main_text(page)
    bobs = api_as(bob).get("/api/v2/goals").json()
    assert without_ids(bobs) == without_ids(alice_api.get("/api/v2/goals").json())
    assert {goal["id"] for goal in bobs}.isdisjoint(goal.pk for goal in acme_goals)


def test_goals_past_the_limit_arrive_disabled_and_the_answer_names_them(
    acme_goals: list[Goal],
    alice_client: Client,
    bob: User,
    bluebird: Account,
    make_goal: Callable[..., Goal],
) -> None:
    for number in range(4):
        make_goal(bluebird, name=f"Bluebird {number}", conditions=PRICING)
    page = uploaded(signed_in(bob), exported(alice_client))
    assert (
        "Imported 3 goals. Arrived disabled, as the account's limit of 5 enabled goals was "
        "reached: “Paid”."
    ) in main_text(page)
    arrived = dict(Goal.objects.filter(account=bluebird).values_list("name", "enabled"))
    assert arrived["Pricing"] is True
    assert arrived["Paid"] is False
    assert arrived["Old offer"] is False
    assert Goal.objects.filter(account=bluebird, enabled=True).count() == 5


def test_a_file_with_bad_goals_imports_none_and_says_what_is_wrong_with_each(
    acme_goals: list[Goal], alice_client: Client, bob: User, bluebird: Account
) -> None:
    goals = json.loads(exported(alice_client))
    goals[1]["attribution_period"] = 90
    goals[2]["settings"]["conditions"][0]["value"] = ""
    page = uploaded(signed_in(bob), json.dumps(goals).encode())
    text = main_text(page)
    assert "Nothing was imported:" in text
    assert "Goal 2, attribution_period:" in text
    assert "Goal 3, settings.conditions[0].value:" in text
    assert not Goal.objects.filter(account=bluebird).exists()


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"[{", "The file is not JSON: Expecting property name enclosed in double"),
        (b'{"goals": []}', "The file holds no list of goals"),
        (b"[]", "The file holds no goals."),
        (b"\xff\xfe[]", "The file is not text in UTF-8."),
        (b'["Pricing"]', "Goal 1: A goal is a JSON object, as the API shows one."),
        (b'[{"enabled": true}]', "Goal 1, name:"),
    ],
)
def test_a_file_that_is_no_export_of_goals_is_refused_with_what_it_is_instead(
    bob: User, bluebird: Account, content: bytes, said: str
) -> None:
    page = uploaded(signed_in(bob), content)
    assert page.status_code == 200
    assert said in main_text(page)
    assert "The file: " not in main_text(page)
    assert not Goal.objects.filter(account=bluebird).exists()


def test_the_import_page_says_how_it_works_and_the_goals_page_leads_to_both(
    acme_goals: list[Goal], alice_client: Client
) -> None:
    goals_page = alice_client.get("/goals/").content.decode()
    assert 'href="/goals/export/"' in goals_page
    assert 'href="/goals/import/"' in goals_page
    text = main_text(alice_client.get("/goals/import/"))
    assert "This account has 2 of 5 goals enabled." in text


def test_an_agent_may_neither_export_nor_import(acme_goals: list[Goal], arthur: User) -> None:
    agent = signed_in(arthur)
    assert agent.get("/goals/export/").status_code == 403
    assert uploaded(agent, b"[]").status_code == 403


def test_the_history_of_an_imported_goal_says_who_brought_it_through_which_door(
    acme_goals: list[Goal], alice_client: Client, bob: User, bluebird: Account
) -> None:
    uploaded(signed_in(bob), exported(alice_client))
    paid = Goal.objects.get(account=bluebird, name="Paid")
    (created,) = list(history.GoalHistory(bluebird, paid.pk))
    assert (created.who, created.door) == ("bob@bluebird.example", "the dashboard")


def test_the_commands_carry_goals_from_one_account_to_another(
    acme_goals: list[Goal], bob: User, bluebird: Account, tmp_path: Path, alice_api: Api
) -> None:
    file = tmp_path / "acme.json"
    call_command("export_goals", "--account", "Acme", "--output", str(file))
    assert json.loads(file.read_text()) == alice_api.get("/api/v2/goals").json()
    printed = StringIO()
    call_command(
        "import_goals", str(file), "--account", "Bluebird", "--user", bob.email, stdout=printed
    )
    assert printed.getvalue() == "Imported 3 goals.\n"
    paid = Goal.objects.get(account=bluebird, name="Paid")
    assert history.GoalHistory(bluebird, paid.pk)[0].door == "a command"


def test_the_import_command_refuses_a_bad_file_whole_and_lists_its_problems(
    acme_goals: list[Goal], bob: User, bluebird: Account, tmp_path: Path, alice_api: Api
) -> None:
    goals = alice_api.get("/api/v2/goals").json()
    goals[0]["attribution_model"] = "every_touch"
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(goals))
    with pytest.raises(CommandError) as refused:
        call_command("import_goals", str(file), "--account", "Bluebird", "--user", bob.email)
    assert str(refused.value).startswith("Nothing was imported.\nGoal 1, attribution_model: ")
    assert not Goal.objects.filter(account=bluebird).exists()


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--account", "Bluebird", "--user", "nobody@example.com"], 'No user has the email "'),
        (["--account", "Bluebird", "--user", "alice@acme.example"], "Only administrators"),
        (["--account", "bluebird", "--user", "bob@bluebird.example"], 'Did you mean "Bluebird"?'),
    ],
)
def test_the_import_command_names_an_unknown_user_or_account_and_one_who_may_not(
    acme_goals: list[Goal],
    bob: User,
    bluebird: Account,
    tmp_path: Path,
    options: list[str],
    said: str,
) -> None:
    file = tmp_path / "acme.json"
    call_command("export_goals", "--account", "Acme", "--output", str(file))
    with pytest.raises(CommandError, match=said.replace("?", r"\?")):
        call_command("import_goals", str(file), *options)
    assert not Goal.objects.filter(account=bluebird).exists()


def test_an_import_that_the_limit_turns_off_says_so_on_the_command_line_too(
    bob: User, bluebird: Account, tmp_path: Path
) -> None:
    goals = [
        {"name": f"Goal {n}", "enabled": True, "settings": {"conditions": PRICING}}
        for n in range(7)
    ]
    file = tmp_path / "seven.json"
    file.write_text(json.dumps(goals))
    printed = StringIO()
    call_command(
        "import_goals", str(file), "--account", "Bluebird", "--user", bob.email, stdout=printed
    )
    assert printed.getvalue() == (
        "Imported 7 goals. Arrived disabled, as the account's limit of 5 enabled goals was "
        "reached: “Goal 5”, “Goal 6”.\n"
    )


def test_the_import_command_says_when_it_cannot_read_the_file(
    bob: User, bluebird: Account, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match=r'^Cannot read ".*missing.json": No such file'):
        call_command(
            "import_goals",
            str(tmp_path / "missing.json"),
            "--account",
            "Bluebird",
            "--user",
            bob.email,
        )


def import_file(file: Path | str, user: User) -> str:
    printed = StringIO()
    call_command(
        "import_goals", str(file), "--account", "Bluebird", "--user", user.email, stdout=printed
    )
    return printed.getvalue()


def test_the_import_command_takes_a_gzip_file_by_its_content_whatever_its_name(
    acme_goals: list[Goal], alice: User, bob: User, tmp_path: Path
) -> None:
    export = exported(signed_in(alice))
    (tmp_path / "goals.json").write_bytes(gzip.compress(export))
    (tmp_path / "plain.json.gz").write_bytes(export)
    assert import_file(tmp_path / "goals.json", bob) == "Imported 3 goals.\n"
    assert import_file(tmp_path / "plain.json.gz", bob).startswith("Imported 3 goals.")


def test_a_gzip_file_that_arrives_through_a_pipe_a_byte_first_is_read_as_gzip(
    acme_goals: list[Goal], alice: User, bob: User, tmp_path: Path
) -> None:
    content = gzip.compress(exported(signed_in(alice)))
    pipe = tmp_path / "goals.json.gz"
    os.mkfifo(pipe)

    def send() -> None:
        with pipe.open("wb", buffering=0) as written:
            written.write(content[:1])
            time.sleep(0.2)  # the reader's first read returns the one byte
            written.write(content[1:])

    sender = threading.Thread(target=send)
    sender.start()
    try:
        assert import_file(pipe, bob) == "Imported 3 goals.\n"
    finally:
        sender.join()


def test_the_import_command_says_when_standard_input_is_closed(
    bob: User, bluebird: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", None)  # as Python starts under `<&-`
    with pytest.raises(CommandError, match=r'^Cannot read "-": standard input is closed.$'):
        import_file("-", bob)


def test_a_file_of_no_text_or_of_none_is_refused_for_what_it_is(
    bob: User, bluebird: Account, tmp_path: Path
) -> None:
    file = tmp_path / "goals.json.gz"
    file.write_bytes(bytes(range(256)))
    with pytest.raises(
        CommandError, match=r"^Nothing was imported.\nThe file is not text in UTF-8.$"
    ):
        import_file(file, bob)
    file.write_bytes(b"")
    with pytest.raises(CommandError, match=r"^Nothing was imported.\nThe file is empty.$"):
        import_file(file, bob)


def test_a_gzip_export_uploaded_on_the_page_is_refused_with_how_to_import_it(
    acme_goals: list[Goal], alice: User, bob: User, bluebird: Account
) -> None:
    page = uploaded(signed_in(bob), gzip.compress(exported(signed_in(alice))), "goals.json.gz")
    assert page.status_code == 200
    assert "The file is gzip, not JSON: unpack it first" in main_text(page)
    assert not Goal.objects.filter(account=bluebird).exists()


def test_a_file_nested_too_deeply_is_refused_with_a_message(bob: User, bluebird: Account) -> None:
    page = uploaded(signed_in(bob), b"[" * 100_000 + b"]" * 100_000)
    assert page.status_code == 200
    assert "The file is nested too deeply to be a list of goals." in main_text(page)
    assert not Goal.objects.filter(account=bluebird).exists()


def test_the_export_command_says_when_it_cannot_write_its_file(
    acme_goals: list[Goal], tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match=r'^Cannot write ".*x.json": No such file'):
        call_command("export_goals", "--account", "Acme", "--output", str(tmp_path / "no/x.json"))


def test_an_import_that_turns_many_goals_off_names_ten_and_counts_the_rest(
    bob: User, bluebird: Account, tmp_path: Path
) -> None:
    goals = [
        {"name": f"Goal {n}", "enabled": True, "settings": {"conditions": PRICING}}
        for n in range(20)
    ]
    file = tmp_path / "twenty.json"
    file.write_text(json.dumps(goals))
    printed = StringIO()
    call_command(
        "import_goals", str(file), "--account", "Bluebird", "--user", bob.email, stdout=printed
    )
    names = ", ".join(f"“Goal {n}”" for n in range(5, 15))
    assert printed.getvalue().endswith(f"reached: {names} and 5 more.\n")


def test_an_export_imported_twice_says_the_goals_are_there_already_and_adds_them_again(
    acme_goals: list[Goal], alice_client: Client, bob: User, bluebird: Account
) -> None:
    bob_client = signed_in(bob)
    uploaded(bob_client, exported(alice_client))
    page = uploaded(bob_client, exported(alice_client))
    assert (
        "These names were taken already (by a goal the account had, or one before in the file), "
        "and the goals that share them are all kept: “Pricing”, “Paid”, “Old offer”."
        in main_text(page)
    )
    assert Goal.objects.filter(account=bluebird).count() == 6


def test_a_file_that_holds_one_name_three_times_names_it_once(bob: User, bluebird: Account) -> None:
    goal = {"name": "Paid", "settings": {"conditions": PRICING}, "enabled": False}
    page = uploaded(signed_in(bob), json.dumps([goal, goal, goal]).encode())
    assert (
        "Imported 3 goals. This name was taken already (by a goal the account had, or one before "
        "in the file), and the goals that share it are all kept: “Paid”."
    ) in " ".join(main_text(page).split())


def test_a_file_past_the_upload_limit_gets_a_page_that_says_so_and_leads_back(
    bob: User, bluebird: Account, settings: Any
) -> None:
    settings.INGEST_BODY_LIMIT = 1000
    response = signed_in(bob).post(
        "/goals/import/", {"file": SimpleUploadedFile("big.json", b"[" + b" " * 2000 + b"]")}
    )
    assert response.status_code == 413
    text = main_text(response)
    assert "at most 1000 are accepted. Nothing was saved." in text
    assert "manage.py import_goals" in text
    assert not Goal.objects.filter(account=bluebird).exists()

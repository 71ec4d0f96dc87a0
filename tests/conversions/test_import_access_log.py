"""manage.py import_access_log: a web server's access log as page views."""

import gzip
import io
import re
import sys
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from conversions import ingest
from conversions.access_log import visitor_id
from conversions.models import Conversion, PageView

SITE = "https://www.example.com"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
FIGURE_ROW = re.compile(r" {0,4}(?P<label>\S[^:]*): +(?P<figure>[\d,]+)")


def common(
    request: str = "GET / HTTP/1.1",
    status: int = 200,
    *,
    address: str = "203.0.113.7",
    when: str = "30/Nov/2026:10:00:00 +0100",
) -> str:
    """A line in the Common Log Format."""
    return f'{address} - - [{when}] "{request}" {status} 512'


def combined(request: str = "GET / HTTP/1.1", status: int = 200, *, agent: str = FIREFOX, **kw):
    """A line in the Combined Log Format."""
    return common(request, status, **kw) + f' "https://www.google.com/" "{agent}"'


def written(tmp_path: Path, lines: list[str], name: str = "access.log") -> str:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def import_log(file: str, *args: str, account: str = "Acme", site: str = SITE) -> str:
    out = StringIO()
    call_command(
        "import_access_log",
        file,
        "--account",
        account,
        "--site",
        site,
        *args,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue()


def figures(summary: str) -> dict[str, int]:
    """The summary's figures by label; the problems listed under them are left out."""
    rows = (FIGURE_ROW.fullmatch(line) for line in summary.splitlines())
    return {row["label"]: int(row["figure"].replace(",", "")) for row in rows if row}


def test_common_log_format_lines_become_page_views_of_the_site(acme, tmp_path):
    file = written(
        tmp_path,
        [
            common("GET /products?page=2 HTTP/1.1"),
            common("GET /cart HTTP/1.0", address="2001:db8::1", when="30/Nov/2026:10:05:09 -0500"),
        ],
    )

    summary = import_log(file)

    assert figures(summary)["page views sent"] == 2
    assert figures(summary)["created"] == 2
    views = {view.url: view for view in PageView.objects.filter(account=acme)}
    assert set(views) == {f"{SITE}/products?page=2", f"{SITE}/cart"}
    products, cart = views[f"{SITE}/products?page=2"], views[f"{SITE}/cart"]
    assert products.timestamp == datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC)
    assert cart.timestamp == datetime(2026, 11, 30, 15, 5, 9, tzinfo=UTC)
    assert products.visitor_id == visitor_id("203.0.113.7", "")
    assert cart.visitor_id == visitor_id("2001:db8::1", "")


def test_combined_log_format_lines_carry_their_user_agent_into_the_visitor(acme, tmp_path):
    file = written(tmp_path, [combined("GET /pricing HTTP/2.0")])

    import_log(file)

    view = PageView.objects.get(account=acme)
    assert view.url == f"{SITE}/pricing"
    assert view.visitor_id == visitor_id("203.0.113.7", FIREFOX)


def test_requests_that_are_no_page_view_are_left_out_and_counted_by_reason(acme, tmp_path):
    file = written(
        tmp_path,
        [
            combined("GET /shoes HTTP/1.1"),
            combined("POST /cart HTTP/1.1"),
            combined("HEAD / HTTP/1.1"),
            combined("-", 408),
            combined("GET /gone HTTP/1.1", 404),
            combined("GET /broken HTTP/1.1", 500),
            combined("GET /old HTTP/1.1", 301),
            combined("GET /img/logo.PNG HTTP/1.1"),
            combined("GET /static/site.css?v=3 HTTP/1.1"),
            combined("GET /static/app.js HTTP/1.1"),
            combined("GET /fonts/inter.woff2 HTTP/1.1"),
            combined("GET /favicon.ico HTTP/1.1"),
            combined("GET /robots.txt HTTP/1.1"),
            combined("GET http://proxy.example/ HTTP/1.1"),
            combined("GET /shoes HTTP/1.1", agent=GOOGLEBOT),
            # A browser that has the page already is answered 304 and still shows it.
            combined("GET /shoes HTTP/1.1", 304, when="30/Nov/2026:10:00:01 +0100"),
            combined("GET /blog/v1.2-release HTTP/1.1", agent=SAFARI),
        ],
    )

    summary = import_log(file)

    assert figures(summary) == {
        "Lines read": 17,
        "page views sent": 3,
        "created": 3,
        "duplicates": 0,
        "refused": 0,
        "left out": 14,
        "not GET": 3,
        "not successful": 3,
        "not a page": 7,
        "crawler": 1,
        "lines that do not parse": 0,
    }
    assert sorted(PageView.objects.values_list("url", flat=True)) == [
        f"{SITE}/blog/v1.2-release",
        f"{SITE}/shoes",
        f"{SITE}/shoes",
    ]


def test_lines_that_do_not_parse_are_counted_and_reported_never_fatal(acme, tmp_path):
    file = written(
        tmp_path,
        [
            combined("GET /a HTTP/1.1"),
            "this is no log line",
            common("GET /b HTTP/1.1", when="30/Foo/2026:10:00:00 +0100"),
            common("GET /c HTTP/1.1", when="31/Nov/2026:10:00:00 +0100"),
            common("GET /d HTTP/1.1") + " trailing junk",
            "",
            combined("GET /e HTTP/1.1"),
        ],
    )

    summary = import_log(file)

    assert figures(summary)["Lines read"] == 6
    assert figures(summary)["lines that do not parse"] == 4
    assert figures(summary)["created"] == 2
    assert "line 2: 'this is no log line'" in summary
    assert "line 3: " in summary
    assert "line 4: " in summary
    assert "line 5: " in summary
    assert PageView.objects.count() == 2


def test_running_the_same_log_again_adds_nothing(acme, tmp_path):
    file = written(tmp_path, [combined(f"GET /page/{n} HTTP/1.1") for n in range(5)])
    import_log(file)

    summary = import_log(file)

    assert figures(summary)["page views sent"] == 5
    assert figures(summary)["created"] == 0
    assert figures(summary)["duplicates"] == 5
    assert PageView.objects.count() == 5


def test_identical_lines_in_one_second_are_each_a_page_view_once(acme, tmp_path):
    reload = combined("GET /pricing HTTP/1.1")
    file = written(tmp_path, [reload, reload, combined("GET /a HTTP/1.1"), reload])
    import_log(file)
    import_log(file)

    assert PageView.objects.filter(url=f"{SITE}/pricing").count() == 3
    assert PageView.objects.count() == 4


def test_the_visitor_is_a_keyed_hash_stable_and_different_for_another_agent(
    acme, tmp_path, settings
):
    file = written(
        tmp_path,
        [
            combined("GET /a HTTP/1.1"),
            combined("GET /b HTTP/1.1", when="01/Dec/2026:08:00:00 +0000"),
            combined("GET /c HTTP/1.1", agent=SAFARI),
            combined("GET /d HTTP/1.1", address="198.51.100.1"),
        ],
    )
    import_log(file)

    visitors = dict(PageView.objects.values_list("url", "visitor_id"))
    assert visitors[f"{SITE}/a"] == visitors[f"{SITE}/b"] == visitor_id("203.0.113.7", FIREFOX)
    assert len({visitors[f"{SITE}/a"], visitors[f"{SITE}/c"], visitors[f"{SITE}/d"]}) == 3
    assert all("203.0.113.7" not in visitor for visitor in visitors.values())
    settings.SECRET_KEY = "another key, on another installation"
    assert visitor_id("203.0.113.7", FIREFOX) != visitors[f"{SITE}/a"]


@pytest.mark.parametrize("through_stdin", [False, True], ids=["file", "stdin"])
def test_a_gzip_log_is_decompressed_from_a_file_or_standard_input(
    acme, tmp_path, monkeypatch, through_stdin
):
    content = gzip.compress(
        "".join(combined(f"GET /{n} HTTP/1.1") + "\n" for n in range(3)).encode()
    )
    if through_stdin:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(content)))
        file = "-"
    else:
        file = str(tmp_path / "access.log.gz")
        Path(file).write_bytes(content)

    summary = import_log(file)

    assert figures(summary)["created"] == 3


def test_a_gzip_log_cut_short_keeps_the_page_views_before_and_fails(acme, tmp_path):
    lines = "".join(combined(f"GET /page/{n} HTTP/1.1") + "\n" for n in range(3000))
    content = gzip.compress(lines.encode())
    file = tmp_path / "access.log.gz"
    file.write_bytes(content[: len(content) // 2])
    stdout = StringIO()

    with pytest.raises(CommandError, match=r"Reading stopped after line \d+ \(Compressed file"):
        call_command(
            "import_access_log",
            str(file),
            "--account",
            "Acme",
            "--site",
            SITE,
            stdout=stdout,
            stderr=StringIO(),
        )

    created = figures(stdout.getvalue())["created"]
    assert 0 < created < 3000
    assert PageView.objects.count() == created


def test_escapes_and_fields_appended_after_the_user_agent_are_understood(acme, tmp_path):
    file = written(
        tmp_path,
        [
            # nginx's "combined" with "$http_x_forwarded_for" appended; \x escapes a byte.
            combined(r"GET /caf\xC3\xA9 HTTP/1.1") + ' "198.51.100.9"',
            # Apache escapes a quote in the request as \".
            combined(r"GET /search?q=\"red shoes\" HTTP/1.1", agent=r"Odd \"agent\""),
        ],
    )

    summary = import_log(file)

    assert figures(summary)["lines that do not parse"] == 0
    assert sorted(PageView.objects.values_list("url", flat=True)) == [
        f"{SITE}/caf%C3%A9",
        f"{SITE}/search?q=%22red%20shoes%22",
    ]


def test_a_page_view_that_ingest_refuses_costs_only_itself_in_a_batch_of_the_largest_size(
    acme, tmp_path
):
    lines = [combined(f"GET /page/{n} HTTP/1.1") for n in range(2345)]
    lines[1500] = combined(f"GET /{'x' * 5000} HTTP/1.1")

    summary = import_log(written(tmp_path, lines))

    assert figures(summary)["page views sent"] == 2345
    assert figures(summary)["created"] == 2344
    assert figures(summary)["refused"] == 1
    assert "line 1501: url: Ensure this value has at most" in summary
    assert PageView.objects.count() == 2344


@pytest.mark.parametrize(
    ("site", "message"),
    [
        ("www.example.com", 'The site has to start with "http://" or "https://".'),
        ("https://www.example.com/?utm=1", "without ? or #"),
    ],
)
def test_a_site_that_is_no_address_is_refused(acme, tmp_path, site, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        import_log(written(tmp_path, [combined()]), site=site)

    assert not PageView.objects.exists()


def test_an_unknown_account_is_refused_with_a_clear_sentence(acme, tmp_path):
    with pytest.raises(CommandError) as error:
        import_log(written(tmp_path, [combined()]), account="Nobody")

    assert str(error.value) == 'No account is named "Nobody".'
    assert not PageView.objects.exists()


def test_a_page_view_of_the_log_credits_the_chat_its_visitor_had_before(
    acme, alice, make_goal, tmp_path
):
    goal = make_goal(
        acme,
        name="Thanks",
        conditions=[{"type": "url", "operator": "contains", "value": "/thanks"}],
    )
    ingest.chats_ingest(
        account=acme,
        items=[
            {
                "id": "c-1",
                "timestamp": "2026-11-30T08:30:00Z",
                "visitor": {"id": visitor_id("203.0.113.7", FIREFOX)},
                "agent_ids": [12345],
                "agent_names": ["Arthur"],
                "history": [
                    {
                        "type": "chat.msg",
                        "nick": "agent:12345",
                        "name": "Arthur",
                        "timestamp": "2026-11-30T08:31:00Z",
                    }
                ],
            }
        ],
    )

    import_log(
        written(
            tmp_path,
            [
                combined("GET /thanks HTTP/1.1", agent=SAFARI),
                combined("GET /thanks?order=7 HTTP/1.1", when="30/Nov/2026:10:00:00 +0100"),
            ],
        )
    )

    conversion = Conversion.objects.get(account=acme)
    assert (conversion.goal_id, conversion.chat_id, conversion.agent_id) == (goal.pk, "c-1", 12345)
    assert conversion.url == f"{SITE}/thanks?order=7"

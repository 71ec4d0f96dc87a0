"""The Conversions pages: the report, the list of conversions behind any of its figures, and
their CSV downloads. Thin: the filters' form, conversions.reports, and words for the figures."""

import csv
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.access import administrator_required
from conversions import reports
from conversions.dashboard.forms import ReportForm
from conversions.models import ConversionTotal, ServedChatTotal
from conversions.selectors import cursor_of

CONVERSIONS_PER_PAGE = 50
# conversions.recompute.conversion_id: 16 hexadecimal digits.
CONVERSION_ID = re.compile(r"[0-9a-f]{16}")
# A CSV download is sent in pieces of about this many characters: a piece a row costs the server
# more than the rows.
CSV_PIECE = 65536
# The vendored Chart.js (static/vendor/, with its licence).
CHART_JS = "vendor/chart.js-4.6.1/chart.umd.min.js"
AGENT_SORTS = [
    "name",
    "conversions",
    "served_chats",
    "rate",
    "first_touch_share",
    "last_touch_share",
]
# A spreadsheet runs a cell that starts with one of these as a formula; visitor ids and names come
# from outside the account (OWASP, "CSV Injection"), so such a cell is given a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def report_form(request: HttpRequest) -> ReportForm:
    account = request.user.account
    form = ReportForm(request.GET, choices=reports.choices(account), today=timezone.now().date())
    form.is_valid()
    return form


@administrator_required
def report(request: HttpRequest) -> HttpResponse:
    account = request.user.account
    form = report_form(request)
    context: dict[str, Any] = {"form": form, "has_data": has_data(account), "CHART_JS": CHART_JS}
    if form.is_valid() and context["has_data"]:
        filters = form.filters
        now, before = (
            reports.figures(account, filters),
            reports.figures(account, filters.previous()),
        )
        points, lines = reports.series(account, filters)
        names = reports.goal_names(account, set(lines))
        goal_order = sorted(lines, key=lambda goal_id: (names[goal_id].casefold(), goal_id))
        ordered_lines = [lines[goal_id] for goal_id in goal_order]
        agents = sorted_rows(reports.agent_rows(account, filters), request.GET.get("agents_sort"))
        departments = sorted_rows(
            reports.department_rows(account, filters), request.GET.get("departments_sort")
        )
        context.update(
            filters=filters,
            previous=filters.previous(),
            headline=headline(now, before),
            weekly=filters.days > reports.DAILY_UP_TO,
            chart={
                "labels": [point.isoformat() for point in points],
                "series": [
                    {"goal": names[goal_id], "counts": lines[goal_id]} for goal_id in goal_order
                ],
            },
            chart_rows=[
                (point, [line[n] for line in ordered_lines]) for n, point in enumerate(points)
            ],
            query=form.query(),
            agents=presented(agents, form, "agent"),
            departments=presented(departments, form, "department"),
            agent_columns=sort_links(form, request, "agents_sort"),
            department_columns=sort_links(form, request, "departments_sort"),
        )
    return render(request, "conversions/report.html", context)


@administrator_required
def conversion_list(request: HttpRequest) -> HttpResponse:
    account = request.user.account
    form = report_form(request)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        filters = form.filters
        after, before = cursor(request.GET.get("after")), cursor(request.GET.get("before"))
        if after is not None:
            before = None
        rows, more = reports.conversion_page(
            account, filters, after=after, before=before, size=CONVERSIONS_PER_PAGE
        )
        # Coming from a page, there is one on that side; beyond, `more` says.
        newer, older = (more, True) if before is not None else (after is not None, more)
        paged = after is not None or before is not None
        context.update(
            filters=filters,
            conversions=rows,
            total=reports.figures(account, filters).conversions,
            newer_query=form.query(before=cursor_of(rows[0])) if rows and newer else "",
            older_query=form.query(after=cursor_of(rows[-1])) if rows and older else "",
            first_query=form.query() if paged else "",
        )
    return render(request, "conversions/conversion_list.html", context)


@administrator_required
def conversions_csv(request: HttpRequest) -> HttpResponse:
    account = request.user.account
    form = report_form(request)
    if not form.is_valid():
        return render(request, "conversions/conversion_list.html", {"form": form}, status=400)
    header = [
        "id",
        "time",
        "goal_id",
        "goal",
        "agent_id",
        "agent",
        "department_id",
        "department",
        "attribution_model",
        "visitor_id",
        "chat_id",
        "chat_time",
        "url",
    ]
    rows = (
        [
            row["conversion_id"],
            iso(row["timestamp"]),
            row["goal_id"],
            row["goal_name"],
            row["agent_id"],
            row["agent_name"],
            row["department_id"],
            row["department_name"],
            row["attribution_model"],
            row["visitor_id"],
            row["chat_id"],
            iso(row["chat_timestamp"]),
            row["url"],
        ]
        for row in reports.conversion_rows(account, form.filters)
    )
    return csv_download(f"conversions-{span(form.filters)}.csv", header, rows)


@administrator_required
def agents_csv(request: HttpRequest) -> HttpResponse:
    account = request.user.account
    form = report_form(request)
    if not form.is_valid():
        return render(
            request, "conversions/report.html", {"form": form, "has_data": True}, status=400
        )
    header = [
        "agent_id",
        "agent",
        "conversions",
        "served_chats",
        "conversion_rate",
        "first_touch_share",
        "last_touch_share",
    ]
    rows = (
        [
            row.key,
            row.name,
            row.conversions,
            row.served_chats,
            ratio(row.rate),
            ratio(row.first_touch_share),
            ratio(row.last_touch_share),
        ]
        for row in reports.agent_rows(account, form.filters)
    )
    return csv_download(f"agents-{span(form.filters)}.csv", header, rows)


def presented(rows: list[reports.Row], form: ReportForm, filter_name: str) -> list[reports.Row]:
    """The rows with their figures in words and the query of their conversions' list."""
    for row in rows:
        row.rate_words = percent(row.rate)
        row.first_touch_words = percent(row.first_touch_share)
        row.last_touch_words = percent(row.last_touch_share)
        row.list_query = form.query(**{filter_name: row.key})
    return rows


def has_data(account: Any) -> bool:
    """Whether the account has ever had a conversion or a served chat: else the page explains
    how data arrives."""
    return (
        ConversionTotal.objects.filter(account=account).exists()
        or ServedChatTotal.objects.filter(account=account).exists()
    )


def headline(now: reports.Figures, before: reports.Figures) -> list[dict[str, str]]:
    """The four headline figures, in words, each beside the previous period's."""
    return [
        {
            "name": "Conversions",
            "now": f"{now.conversions:,}",
            "before": f"{before.conversions:,}",
            "change": change(now.conversions, before.conversions),
        },
        {
            "name": "Served chats",
            "now": f"{now.served_chats:,}",
            "before": f"{before.served_chats:,}",
            "change": change(now.served_chats, before.served_chats),
        },
        {
            "name": "Conversion rate",
            "now": percent(now.rate),
            "before": percent(before.rate),
            "change": "",
            "hint": "Conversions per served chat.",
        },
        {
            "name": "Median time to convert",
            "now": bucket_words(now.median_delay),
            "before": bucket_words(before.median_delay),
            "change": "",
            "hint": "From the credited agent's first message to the conversion.",
        },
    ]


def change(now: int, before: int) -> str:
    """The change from the previous period in words: "+12%", "-3%", "new" or ""."""
    if not before:
        return "new" if now else ""
    percent_change = round((now - before) * 100 / before)
    return f"+{percent_change}%" if percent_change >= 0 else f"{percent_change}%"


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def ratio(share: float | None) -> str:
    """A share for a CSV: a decimal from 0 to 1 with four places, empty when there is none."""
    return "" if share is None else f"{share:.4f}"


def duration_words(span_: timedelta) -> str:
    """A bucket bound in words: "30 min", "2 h", "3 days"."""
    minutes = int(span_.total_seconds()) // 60
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        return f"{minutes // 60} h"
    days = minutes // (24 * 60)
    return f"{days} day{'s' if days != 1 else ''}"


def bucket_words(bucket: tuple[timedelta, timedelta | None] | None) -> str:
    """The bounds of the median's bucket in words: "under 1 min", "15-30 min" (with an en
    dash), "12 h to 1 day", "14 days or more"; "—" without conversions."""
    if bucket is None:
        return "—"
    lower, upper = bucket
    if upper is None:
        return f"{duration_words(lower)} or more"
    if not lower:
        return f"under {duration_words(upper)}"
    low, high = duration_words(lower), duration_words(upper)
    low_number, _, low_unit = low.partition(" ")
    if high.endswith(f" {low_unit}") or (low_unit, high.split(" ")[1]) == ("day", "days"):
        return f"{low_number}\N{EN DASH}{high}"  # one unit: "15-30 min", "1-2 days"
    return f"{low} to {high}"


def sorted_rows(rows: list[reports.Row], sort: str | None) -> list[reports.Row]:
    """The rows by a column of AGENT_SORTS ("-" first: descending), by conversions, most first,
    when none or another is asked; rows without a value (no rate) go last either way."""
    name = (sort or "").removeprefix("-")
    if name not in AGENT_SORTS:
        sort, name = "-conversions", "conversions"
    descending = sort.startswith("-")
    key = (lambda row: row.name.casefold()) if name == "name" else (lambda row: getattr(row, name))
    present = [row for row in rows if key(row) is not None]
    missing = [row for row in rows if key(row) is None]
    return sorted(present, key=key, reverse=descending) + missing


def sort_links(form: ReportForm, request: HttpRequest, parameter: str) -> list[dict[str, str]]:
    """For each column of a table: its heading, the query that sorts by it (descending first,
    then ascending), and aria-sort's value when it is the table's order."""
    current = request.GET.get(parameter) or ""
    if current.removeprefix("-") not in AGENT_SORTS:
        current = "-conversions"
    headings = [
        "Agent" if parameter == "agents_sort" else "Department",
        "Conversions",
        "Served chats",
        "Conversion rate",
        "First-touch share",
        "Last-touch share",
    ]
    columns = []
    other = "departments_sort" if parameter == "agents_sort" else "agents_sort"
    for name, heading in zip(AGENT_SORTS, headings, strict=True):
        sorted_by = current.removeprefix("-") == name
        descending = current.startswith("-")
        # Names from A first, figures from the highest first; a second click turns the order.
        first = name if name == "name" else f"-{name}"
        turned = first.removeprefix("-") if first.startswith("-") else f"-{first}"
        next_sort = turned if sorted_by and current == first else first
        columns.append(
            {
                "heading": heading,
                "query": form.query(**{parameter: next_sort, other: request.GET.get(other)}),
                "aria_sort": ("descending" if descending else "ascending") if sorted_by else "",
            }
        )
    return columns


def cursor(value: str | None) -> tuple[datetime, str] | None:
    """A list's cursor ("<microseconds since the epoch>.<conversion id>", as
    conversions.selectors.cursor_of writes it); None when absent or not one."""
    if not value:
        return None
    micros, _, conversion_id = value.partition(".")
    if not micros.isascii() or not micros.isdigit() or len(micros) > 17:
        return None
    if not CONVERSION_ID.fullmatch(conversion_id):
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros)), conversion_id


def iso(moment: datetime | None) -> str:
    """ISO 8601 in UTC with a Z, to the second's fraction the database keeps."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def span(filters: reports.Filters) -> str:
    return f"{filters.start.isoformat()}-to-{filters.end.isoformat()}"


def csv_download(name: str, header: list[str], rows: Iterable[list[Any]]) -> StreamingHttpResponse:
    """A CSV file streamed a row at a time: the rows' iterator is read as the client reads."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def csv_lines(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """The CSV's lines (RFC 4180: CRLF, quoted where needed), a cell that a spreadsheet would
    run as a formula made text."""
    line = Line()
    writer = csv.writer(line)
    writer.writerow(header)
    yield line.pop()
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        if len(line.text) >= CSV_PIECE:
            yield line.pop()
    yield line.pop()


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


class Line:
    """Where csv.writer writes rows, taken back as a string."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def pop(self) -> str:
        text, self.text = self.text, ""
        return text

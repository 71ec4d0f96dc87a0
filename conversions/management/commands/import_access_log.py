from collections import Counter
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError

from conversions.access_log import LEFT_OUT_REASONS, NOT_PARSED, LogPageViews
from conversions.imports import (
    READ_ERRORS,
    Batches,
    Problems,
    account_named,
    opened,
    problem_rows,
    stopped_reading,
    summary,
)
from conversions.ingest import page_views_ingest
from conversions.inputs import MAX_PAGE_VIEWS
from goals.rules import url_problem

# Enough of a line that does not parse to recognise it.
SHOWN_LINE = 120


class Command(BaseCommand):
    help = (
        "Import a web server's access log (Common or Combined Log Format, gzip too) as page "
        "views: the successful GET requests of pages, crawlers left out. Running it again on "
        "the same log adds nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help='The log; "-" reads standard input.')
        parser.add_argument("--account", required=True, help="The account's name.")
        parser.add_argument(
            "--site",
            required=True,
            help="The site the log is of, such as https://www.example.com: each request's path "
            "is joined to it to make the page's URL.",
        )

    def handle(self, *args, file: str, account: str, site: str, **options) -> None:
        owner = account_named(account)
        page_views = LogPageViews(site=_site(site))
        left_out: Counter[str] = Counter()
        not_parsed, refused = Problems(), Problems()
        batches = Batches(page_views_ingest, account=owner, size=MAX_PAGE_VIEWS, refused=refused)
        lines_read, number, stopped = 0, 0, None
        with opened(file, progress_to=options.get("stderr")) as stream:
            try:
                for number, line in enumerate(stream, start=1):
                    line = line.rstrip(b"\r\n")
                    if not line.strip():
                        continue
                    lines_read += 1
                    outcome = page_views.read(line)
                    if isinstance(outcome, dict):
                        batches.add(f"line {number}", outcome)
                    elif outcome == NOT_PARSED:
                        shown = line[:SHOWN_LINE].decode("utf-8", "replace")
                        not_parsed.add(f"line {number}", repr(shown))
                    else:
                        left_out[outcome] += 1
            except READ_ERRORS as error:
                stopped = stopped_reading(str(error), f"after line {number}")
            batches.flush()
        rows = [
            ("Lines read", lines_read),
            ("  page views sent", batches.sent),
            ("    created", batches.totals["created"]),
            ("    duplicates", batches.totals["duplicates"]),
            ("    refused", refused.count),
            *problem_rows(refused),
            ("  left out", left_out.total()),
            *[(f"    {reason}", left_out[reason]) for reason in LEFT_OUT_REASONS],
            ("  lines that do not parse", not_parsed.count),
            *problem_rows(not_parsed),
        ]
        self.stdout.write(summary(rows))
        if stopped:
            raise CommandError(stopped)


def _site(site: str) -> str:
    """The site's address, checked: an absolute http(s) URL without query or fragment."""
    problem = url_problem(site, "The site")
    parts = urlsplit(site)
    if problem is None and (parts.query or parts.fragment):
        problem = "The site is an address such as https://www.example.com, without ? or #."
    if problem is not None:
        raise CommandError(f"--site: {problem}")
    return site

"""A web server's access log as page views: which lines are visits to pages, and of whom.

A line is in the Common Log Format or the Combined Log Format, which adds the referer and the
user agent (Apache HTTP Server, "Log Files", https://httpd.apache.org/docs/current/logs.html,
and the NCSA's original definition, https://www.w3.org/Daemon/User/Config/Logging.html):

    127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.html HTTP/1.0" 200 2326
    127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326 "-" "Mozilla/5.0"

Fields the server appends after the user agent (nginx's "$http_x_forwarded_for", Apache's
"combinedio") are allowed and ignored. Both servers write a quote, a backslash and any byte
that is not printable ASCII inside a quoted field as \\", \\\\ and \\xHH.

The lines are parsed with a regular expression rather than a log-format library: the formats
are two fixed ones, it is several times faster on logs of gigabytes, and it tolerates the
appended fields.
"""

import hashlib
import re
from datetime import datetime, timedelta, timezone
from functools import cache, lru_cache
from urllib.parse import quote

from crawlerdetect import CrawlerDetect
from django.utils.crypto import salted_hmac

NOT_PARSED = "does not parse"
NOT_GET = "not GET"
NOT_SUCCESSFUL = "not successful"
NOT_A_PAGE = "not a page"
CRAWLER = "crawler"
# The reasons a parsed line is no page view, in the order they are checked: a line is counted
# under the first that applies.
LEFT_OUT_REASONS = (NOT_GET, NOT_SUCCESSFUL, NOT_A_PAGE, CRAWLER)

# A quoted field, its escapes included; "unrolled" so that a run of plain characters is one step.
_QUOTED = rb'"(?P<%s>[^"\\]*(?:\\.[^"\\]*)*)"'
_LINE = re.compile(
    rb"(?P<address>\S+) \S+ \S+ "
    rb"\[(?P<time>\d\d/[A-Za-z]{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] "
    + _QUOTED % b"request"
    + rb" (?P<status>\d{3}) (?:\d+|-)"
    + rb"(?: "
    + _QUOTED % b"referer"
    + b" "
    + _QUOTED % b"agent"
    + rb"(?: .*)?)?",
    re.S,
)
_ESCAPE = re.compile(rb"\\(?:x([0-9A-Fa-f]{2})|(.))", re.S)
_MONTHS = {
    month.encode(): number
    for number, month in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}
# Files that are no page, by the extension of the path. After the static and download
# extensions of Matomo's log importer (matomo-log-analytics, import_logs.py), with the formats
# browsers have added since.
_FILES_THAT_ARE_NO_PAGE = {
    "images": "avif bmp gif heic ico jpeg jpg png svg svgz tif tiff webp",
    "styles": "css less map scss",
    "scripts": "js mjs wasm",
    "fonts": "eot otf ttf woff woff2",
    "media": "aac flac m4a m4v mid mov movie mp2 mp3 mp4 mpeg mpg oga ogg ogv opus qt wav weba "
    "webm wma wmv",
    "archives": "7z apk bin bz2 deb dmg exe gz gzip jar msi rar rpm tar tbz tgz torrent xz z zip "
    "zst",
    "documents": "csv doc docx epub mobi odp ods odt pdf ppt pptx rtf xls xlsx",
    "data": "atom ics json rss txt webmanifest xml xsd yaml yml",
    "plug-ins": "class swf",
}
STATIC_EXTENSIONS = frozenset(
    extension for group in _FILES_THAT_ARE_NO_PAGE.values() for extension in group.split()
)
VISITOR_SALT = "conversions.access_log.visitor"


def visitor_id(address: str, agent: str) -> str:
    """The visitor of a line: a keyed hash (HMAC-SHA256 under SECRET_KEY) of the client's
    address and user agent, as log analysers such as Matomo and GoAccess tell visitors apart,
    without storing the address. 32 hexadecimal digits; `agent` "" when the log has none. A new
    SECRET_KEY makes new visitors of the lines imported after it."""
    return salted_hmac(VISITOR_SALT, f"{address}\n{agent}", algorithm="sha256").hexdigest()[:32]


@cache
def _detector() -> CrawlerDetect:
    return CrawlerDetect()


# No browser sends a longer user agent (in-app browsers, the longest, send some 400 characters);
# crawlerdetect's patterns take time that grows with the square of the length (seconds at 8,000).
LONGEST_BROWSER_AGENT = 512


@lru_cache(maxsize=4096)
def is_crawler(agent: str) -> bool:
    """Whether a user agent is a crawler's, by the crawlerdetect library's list, or one longer
    than LONGEST_BROWSER_AGENT; "" (no agent logged) is not. Cached: a log repeats few agents
    many times."""
    return len(agent) > LONGEST_BROWSER_AGENT or (bool(agent) and _detector().isCrawler(agent))


class LogPageViews:
    """The page views of one access log's lines, read in order.

    A page view is a successful GET of a page of `site` ("https://www.example.com"), by other
    than a crawler: {"id", "visitor_id", "url", "timestamp"} as conversions.ingest takes them.
    The id is a hash of the line, so reading the same log again gives the same ids; identical
    lines in one second (a double click) get a counter after the first.
    """

    def __init__(self, *, site: str) -> None:
        self._site = site.rstrip("/")
        self._time_text = b""
        self._timestamp = ""
        self._repeats: dict[str, int] = {}

    def read(self, line: bytes) -> dict[str, str] | str:
        """The page view of one line (without its line break), or why there is none: NOT_PARSED
        or one of LEFT_OUT_REASONS."""
        match = _LINE.fullmatch(line)
        if match is None:
            return NOT_PARSED
        if match["time"] != self._time_text:
            try:
                self._timestamp = _moment(match["time"]).isoformat()
            except (KeyError, ValueError):
                return NOT_PARSED
            self._time_text = match["time"]
            # Identical lines share their second, so counts of earlier seconds are no longer
            # needed: memory stays flat. A log slightly out of order (Apache logs a request
            # when it ends, with the time it began) can restart a count; the cost is at most
            # a repeated identical line taken for a duplicate.
            self._repeats = {}
        method, _, rest = match["request"].partition(b" ")
        if method != b"GET":
            return NOT_GET
        # 304 Not Modified answers a browser that already holds the page: the visitor sees it
        # all the same, so it is a page view, as Matomo's log importer counts it too.
        status = int(match["status"])
        if not (200 <= status < 300 or status == 304):
            return NOT_SUCCESSFUL
        target = rest.rpartition(b" ")[0] if b" HTTP/" in rest else rest
        if not target.startswith(b"/") or _extension(target) in STATIC_EXTENSIONS:
            return NOT_A_PAGE
        agent = _text(match["agent"] or b"")
        agent = "" if agent == "-" else agent
        if is_crawler(agent):
            return CRAWLER
        # The site is part of what the line stands for: the same log imported for another site
        # (or again with the right --site) is other page views.
        digest = hashlib.blake2b(self._site.encode() + b"\n" + line, digest_size=16).hexdigest()
        repeat = self._repeats[digest] = self._repeats.get(digest, 0) + 1
        return {
            "id": f"log-{digest}" + (f"-{repeat}" if repeat > 1 else ""),
            "visitor_id": visitor_id(_text(match["address"]), agent),
            "url": self._site + _url_path(target),
            "timestamp": self._timestamp,
        }


def _moment(text: bytes) -> datetime:
    """b"10/Oct/2000:13:55:36 -0700" as a datetime with its offset; raises KeyError or
    ValueError for a month or a value out of range. Fixed positions rather than strptime, whose
    month names follow the locale."""
    minutes = int(text[22:24]) * 60 + int(text[24:26])
    offset = timedelta(minutes=-minutes if text[21:22] == b"-" else minutes)
    return datetime(
        int(text[7:11]),
        _MONTHS[text[3:6]],
        int(text[0:2]),
        int(text[12:14]),
        int(text[15:17]),
        int(text[18:20]),
        tzinfo=timezone(offset),
    )


def _extension(target: bytes) -> str:
    """The extension of the path's last segment, lowercase; "" when it has none."""
    path = target.split(b"?", 1)[0].split(b"#", 1)[0]
    name = path.rpartition(b"/")[2]
    return name.rpartition(b".")[2].lower().decode("ascii", "replace") if b"." in name else ""


def _url_path(target: bytes) -> str:
    """The request target as a URL's path and query: the log's escapes undone, and the bytes
    that a URL cannot hold percent-encoded (RFC 3986, section 2.1), as a browser sends them."""
    if b"\\" in target:
        target = _ESCAPE.sub(
            lambda escape: bytes.fromhex(escape[1].decode()) if escape[1] else escape[2], target
        )
    return quote(target, safe="/?#[]@!$&'()*+,;=:%~")


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")

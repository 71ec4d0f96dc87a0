"""The import's memory: a generated access log through `manage.py import_access_log`, its peak
resident memory read from the kernel's account of the finished child (wait4's ru_maxrss).

The log is in the Combined Log Format, as a busy shop's server writes it: a few thousand
visitors' browsers and some crawlers, pages and the files a page pulls in (styles, scripts,
images, fonts), redirects, misses, a few POSTs, and a line now and then that does not parse.
"""

import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench.conversions_data import PAGES, SITE, START, random_pages
from bench.processes import PROJECT

IMPORT_SITE = "https://www.example.com"
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
]
CRAWLERS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "curl/8.5.0",
]
ASSETS = [
    "/static/css/site.css",
    "/static/js/app.js",
    "/static/js/vendor.js",
    "/static/img/logo.png",
    "/static/img/hero.jpg",
    "/static/fonts/inter.woff2",
    "/favicon.ico",
]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CLIENTS = 20_000
CRAWLER_SHARE = 0.03
LINES_A_BLOCK = 10_000


@dataclass(frozen=True)
class Imported:
    log_bytes: int
    lines: int
    seconds: float
    peak_rss_bytes: int
    exit_status: int
    summary: str


def write_log(path: Path, size: int, seed: int = 12) -> int:
    """Write an access log of about `size` bytes (whole lines, a block at a time), a request a
    second from START; how many lines it has."""
    rng = random.Random(f"{seed}:access-log")
    clients = [
        (
            ".".join(str(rng.randint(1, 254)) for _ in range(4)),
            rng.choice(CRAWLERS) if rng.random() < CRAWLER_SHARE else rng.choice(BROWSERS),
        )
        for _ in range(CLIENTS)
    ]
    paths = [page.url.removeprefix(SITE) for page in PAGES]
    # The day's seconds written once: strftime for each line would take most of the time.
    clock = [
        f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}" for second in range(86400)
    ]
    written = lines = 0
    with path.open("wb") as log:
        while written < size:
            block = []
            for page, (address, agent), draw, referer in zip(
                random_pages(rng, LINES_A_BLOCK),
                rng.choices(clients, k=LINES_A_BLOCK),
                [rng.random() for _ in range(LINES_A_BLOCK)],
                rng.choices([*paths, None, None, None], k=LINES_A_BLOCK),
                strict=True,
            ):
                moment = START + timedelta(seconds=lines)
                when = f"{moment.day:02d}/{MONTHS[moment.month - 1]}/{moment.year}:"
                when += clock[lines % 86400]
                block.append(line(address, agent, draw, page.url.removeprefix(SITE), when, referer))
                lines += 1
            data = "".join(block).encode()
            log.write(data)
            written += len(data)
    return lines


def line(address: str, agent: str, draw: float, page: str, when: str, referer: str | None) -> str:
    """One request's line, by the draw (from 0 to 1): an asset more often than not, else the
    page, sometimes missed, redirected, not modified or posted to; rarely no log line at all."""
    if draw < 0.001:
        return f"{address} garbage that is no log line\n"
    method, status, target = "GET", 200, page
    if draw < 0.55:
        target = ASSETS[int(draw * 1000) % len(ASSETS)]
    elif draw < 0.58:
        method = "POST"
    elif draw < 0.61:
        status, target = 404, f"/missing/{int(draw * 100_000)}"
    elif draw < 0.64:
        status, target = 301, page.rstrip("/") + "/"
    elif draw < 0.70:
        status = 304
    bytes_sent = int(draw * 1_000_000) % 90_000 + 200
    came_from = "-" if referer is None else IMPORT_SITE + referer
    request = f"{method} {target} HTTP/1.1"
    return (
        f'{address} - - [{when} +0000] "{request}" {status} {bytes_sent} "{came_from}" "{agent}"\n'
    )


def measure_import(
    environment: dict[str, str], log: Path, lines: int, account: str, output: Path
) -> Imported:
    """Run the import of `log` (of `lines` lines) into `account` as a child and read its peak
    resident memory; its output goes to `output`."""
    command = [sys.executable, "manage.py", "import_access_log", str(log)]
    command += ["--account", account, "--site", IMPORT_SITE]
    with output.open("wb") as written:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, env=environment, cwd=PROJECT, stdout=written, stderr=subprocess.STDOUT
        )
        # wait4 rather than Popen.wait: the kernel's usage of this very child, memory included.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Imported(
        log_bytes=log.stat().st_size,
        lines=lines,
        seconds=seconds,
        peak_rss_bytes=usage.ru_maxrss * 1024,  # Linux counts it in KiB
        exit_status=process.returncode,
        summary=output.read_text(errors="replace")[-3000:],
    )

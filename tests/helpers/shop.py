"""A small shop website for the browser tests of the tracking snippet, served from an origin of
its own (another loopback address than the live server's), as a customer's website would be.

Its pages are static files (tests/browser/shop_site/) with `{{ name }}` placeholders, filled in
as they are served: the snippet needs the live server's address and the account's site key, which
only the test knows.
"""

import html
import mimetypes
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Not the live server's 127.0.0.1 or "localhost": another host, so another origin, whatever the
# ports. Linux answers on the whole of 127.0.0.0/8.
SHOP_HOST = "127.0.0.2"


class ShopHandler(BaseHTTPRequestHandler):
    """GET and HEAD of the shop's files: "/pricing" is pricing.html, "/app/" app/index.html, and
    every other path under a single-page section is its index.html (as a single-page app's server
    answers a reload of one of its own addresses)."""

    def __init__(
        self,
        *args: Any,
        folder: Path,
        values: Mapping[str, str],
        single_page: tuple[str, ...],
        **kwargs: Any,
    ) -> None:
        self.folder = folder
        self.values = values
        self.single_page = single_page
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self.answer(with_body=True)

    def do_HEAD(self) -> None:
        self.answer(with_body=False)

    def answer(self, *, with_body: bool) -> None:
        file = self.file_of(urlsplit(self.path).path)
        if file is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        body = file.read_bytes()
        if file.suffix == ".html":
            body = self.filled_in(body.decode()).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", mimetypes.guess_type(file.name)[0] or "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def file_of(self, path: str) -> Path | None:
        relative = path.strip("/")
        if not relative:
            return self.folder / "index.html"
        if ".." in relative.split("/"):
            return None
        candidates = [relative, f"{relative}.html", f"{relative}/index.html"]
        section = relative.split("/", 1)[0]
        if section in self.single_page:
            candidates.append(f"{section}/index.html")
        for candidate in candidates:
            file = self.folder / candidate
            if file.is_file():
                return file
        return None

    def filled_in(self, text: str) -> str:
        for name, value in self.values.items():
            text = text.replace("{{ %s }}" % name, html.escape(value))  # noqa: UP031
        return text

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet: a test's output shows its own failures, not the shop's access log.
        pass


@contextmanager
def shop_server(
    folder: Path, values: Mapping[str, str], *, single_page: tuple[str, ...] = ("app",)
) -> Iterator[str]:
    """Serve the shop's pages in `folder` on SHOP_HOST and a free port, in a thread, with each
    `{{ name }}` of its HTML pages replaced by values[name] (HTML-escaped); `single_page` names
    the folders that are single-page sections. Yields the shop's origin, "http://host:port"."""
    handler = partial(ShopHandler, folder=folder, values=values, single_page=single_page)
    server = ThreadingHTTPServer((SHOP_HOST, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="shop", daemon=True)
    thread.start()
    try:
        yield f"http://{SHOP_HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

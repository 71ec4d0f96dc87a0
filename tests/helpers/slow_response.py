"""A WSGI application whose answer to /download takes PAUSE seconds a piece, as a long CSV
download or one that the browser reads slowly does: what the server must send whole, however long
it takes. Any other path answers at once (the tests' probe of /healthz)."""

import time
from collections.abc import Callable, Iterator
from typing import Any

APPLICATION = "tests.helpers.slow_response:application"
PIECES = [f"piece {number}\n".encode() for number in range(10)]
PAUSE = 0.5


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    if environ["PATH_INFO"] != "/download":
        return
    for piece in PIECES:
        time.sleep(PAUSE)
        yield piece

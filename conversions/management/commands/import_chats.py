import json
from collections.abc import Iterator
from itertools import chain
from typing import Any, BinaryIO

import ijson
from django.core.management.base import BaseCommand, CommandError

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
from conversions.ingest import chats_ingest
from conversions.inputs import MAX_CHATS

# How much of the first line is read to tell JSON Lines from a JSON text that spans lines; a
# first line longer than this is read as a stream, which takes JSON Lines too.
FIRST_LINE_LIMIT = 1 << 20
UTF8_BOM = b"\xef\xbb\xbf"


class Command(BaseCommand):
    help = (
        "Import Zendesk Chat chat objects: JSON Lines, a JSON array, or the pages of the "
        'incremental chat export ({"chats": [...]} objects); gzip too. Running it again on the '
        "same file adds nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help='The file; "-" reads standard input.')
        parser.add_argument("--account", required=True, help="The account's name.")

    def handle(self, *args, file: str, account: str, **options) -> None:
        owner = account_named(account)
        skipped = Problems()
        batches = Batches(chats_ingest, account=owner, size=MAX_CHATS, refused=skipped)
        stopped = None
        with opened(file, progress_to=options.get("stderr")) as stream:
            chats = ChatFile(stream, skipped=skipped)
            try:
                for where, chat in chats:
                    batches.add(where, chat)
            except ijson.JSONError as error:
                stopped = stopped_reading(f"not JSON: {error}", chats.after)
            except READ_ERRORS as error:
                stopped = stopped_reading(str(error), chats.after)
            batches.flush()
        created, updated = batches.totals["created"], batches.totals["updated"]
        rows = [
            ("Chats read", chats.read),
            ("  created", created),
            ("  updated", updated),
            ("  unchanged", batches.totals["received"] - created - updated),
            ("  skipped", skipped.count),
            *problem_rows(skipped),
        ]
        self.stdout.write(summary(rows))
        if stopped:
            raise CommandError(stopped)


class ChatFile:
    """The chats of a file, one (where, chat) pair at a time, `where` saying where it was read.

    Three shapes: JSON Lines, a chat object or an export page a line ("line 12", "line 3, chat
    12"); a JSON array of chats ("array item 12"); or JSON texts one after another that span
    lines, such as pretty-printed export pages ("JSON text 3, chat 12"). An object with a
    "chats" key is a page of Zendesk Chat's incremental export, whose chats are read; any other
    value is passed on as a chat, for conversions.inputs to judge. A line that is not JSON is
    added to `skipped`; arrays and texts that span lines are parsed as a stream (ijson), which
    raises ijson.JSONError where they stop being JSON. `read` counts the chats, and the lines
    and pages that could not be read.
    """

    def __init__(self, stream: BinaryIO, *, skipped: Problems) -> None:
        self.read = 0
        self._stream = stream
        self._skipped = skipped
        self._where = ""

    @property
    def after(self) -> str:
        """Where the last chat read was, as "after array item 12"."""
        return f"after {self._where}" if self._where else "at its start"

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        number, first = 0, b""
        while not first.strip():
            first = self._stream.readline(FIRST_LINE_LIMIT)
            if not first:
                return
            number += 1
        if number == 1:
            first = first.removeprefix(UTF8_BOM)
        start = first.lstrip()[:1]
        if start == b"[":
            values = ijson.items(_Rewound(first, self._stream), "item", use_float=True)
            for position, value in enumerate(values, start=1):
                yield from self._chats_in(f"array item {position}", value)
        elif start == b"{" and not _is_json(first):
            values = ijson.items(
                _Rewound(first, self._stream), "", multiple_values=True, use_float=True
            )
            for position, value in enumerate(values, start=1):
                yield from self._chats_in(f"JSON text {position}", value)
        else:
            lines = chain([(number, first)], enumerate(self._stream, start=number + 1))
            for number, line in lines:
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except ValueError as error:
                    self.read += 1
                    why = getattr(error, "msg", str(error))
                    self._skipped.add(f"line {number}", f"not JSON ({why}).")
                    continue
                yield from self._chats_in(f"line {number}", value)

    def _chats_in(self, where: str, value: Any) -> Iterator[tuple[str, Any]]:
        """The chats of an export page, or `value` itself as a chat."""
        if not (isinstance(value, dict) and "chats" in value):
            yield self._one(where, value)
        elif not isinstance(value["chats"], list):
            self.read += 1
            self._skipped.add(where, 'the "chats" of an export page are a JSON array.')
        else:
            for index, chat in enumerate(value["chats"], start=1):
                yield self._one(f"{where}, chat {index}", chat)

    def _one(self, where: str, chat: Any) -> tuple[str, Any]:
        self.read += 1
        self._where = where
        return where, chat


def _is_json(text: bytes) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


class _Rewound:
    """A stream read again from a line already taken from it: that line, then the rest."""

    def __init__(self, first: bytes, rest: BinaryIO) -> None:
        self._first = first
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._first:
            if size < 0:
                size = len(self._first)
            chunk, self._first = self._first[:size], self._first[size:]
            return chunk
        return self._rest.read(size)

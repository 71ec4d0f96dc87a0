"""What the import commands share: the file they read, the batches they send, what they report.

The commands stream: a file is read a buffer at a time, items go to conversions.ingest in batches
as they are read, and only counters and the first few problems are kept, so that memory stays
flat whatever the file's size.
"""

import gzip
import io
import os
import stat
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any, BinaryIO, TextIO

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import reset_queries
from tqdm import tqdm

from accounts.models import Account
from conversions.inputs import item_error_field

# What reading further raises when a file is damaged: a gzip file cut short (EOFError) or
# corrupt (zlib.error, or gzip.BadGzipFile, an OSError), or a disk that fails (OSError).
READ_ERRORS = (EOFError, OSError, zlib.error)
# The first two bytes of every gzip member (RFC 1952, section 2.3.1).
GZIP_MAGIC = b"\x1f\x8b"
BUFFER_SIZE = 1 << 16


def account_named(name: str) -> Account:
    """The account of this exact name; raises CommandError, suggesting a name that differs only
    in case when there is one."""
    try:
        return Account.objects.get(name=name)
    except Account.DoesNotExist:
        near = Account.objects.filter(name__iexact=name).values_list("name", flat=True).first()
        hint = f' Did you mean "{near}"?' if near else ""
        raise CommandError(f'No account is named "{name}".{hint}') from None


@contextmanager
def opened(path: str, *, progress_to: TextIO | None = None) -> Iterator[BinaryIO]:
    """The file at `path` ("-": standard input) as a binary stream, decompressed when it is
    gzip (known by its first bytes, so a piped .gz works too), while a tqdm bar on
    `progress_to` (standard error by default) counts the bytes read of the file, out of its size
    when that is known. Raises CommandError when the file cannot be opened, and one of
    READ_ERRORS when it cannot be read to its end."""
    if path == "-":
        if sys.stdin is None:  # started with standard input closed (<&-)
            raise CommandError('Cannot read "-": standard input is closed.')
        raw, size, name = sys.stdin.buffer, None, "stdin"
    else:
        try:
            raw = open(path, "rb", buffering=0)  # noqa: SIM115 - closed below, after the bar.
        except OSError as error:
            raise CommandError(f'Cannot read "{path}": {error.strerror}.') from None
        status = os.fstat(raw.fileno())
        size, name = (status.st_size if stat.S_ISREG(status.st_mode) else None), path
    try:
        # disable=None: no bar when standard error is not a terminal, as under cron.
        with tqdm(
            total=size,
            desc=os.path.basename(name),
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=progress_to or sys.stderr,
            disable=None,
        ) as bar:
            counted = _Counted(raw, bar)
            # Read whole: a pipe may deliver the first byte alone, which a peek would stop at.
            head = counted.head(len(GZIP_MAGIC))
            read = io.BufferedReader(counted, BUFFER_SIZE)
            if head.startswith(GZIP_MAGIC):
                with gzip.GzipFile(fileobj=read, mode="rb") as unzipped:
                    yield unzipped
            else:
                yield read
    finally:
        if raw is not sys.stdin.buffer:
            raw.close()


class _Counted(io.RawIOBase):
    """A raw stream that advances a progress bar by the bytes read through it, and can read its
    first bytes ahead (head) and still give them first."""

    def __init__(self, raw: BinaryIO, bar: tqdm) -> None:
        self._raw = raw
        self._bar = bar
        self._ahead = b""

    def head(self, size: int) -> bytes:
        """The stream's first `size` bytes (fewer when it ends sooner), read as often as it
        takes; they are given again by the reads that follow."""
        while len(self._ahead) < size:
            more = self._raw.read(size - len(self._ahead))
            if not more:
                break
            self._bar.update(len(more))
            self._ahead += more
        return self._ahead

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._ahead:
            count = min(len(buffer), len(self._ahead))
            buffer[:count] = self._ahead[:count]
            self._ahead = self._ahead[count:]
            return count
        count = self._raw.readinto(buffer) or 0
        self._bar.update(count)
        return count


class Problems:
    """Things skipped, counted, with where and why for the first SHOWN of them."""

    SHOWN = 10

    def __init__(self) -> None:
        self.count = 0
        self._shown: list[str] = []

    def add(self, where: str, why: str) -> None:
        """Count one, as "line 12" (`where`) and a sentence (`why`)."""
        self.count += 1
        if len(self._shown) < self.SHOWN:
            self._shown.append(f"{where}: {why}")

    def lines(self) -> list[str]:
        """The problems shown, and how many more there were."""
        more = self.count - len(self._shown)
        return self._shown + ([f"... and {more:,} more"] if more else [])


class Batches:
    """Send items to an ingest function (conversions.ingest) `size` at a time.

    `ingest(account=..., items=[...])` returns a dataclass of counts, which add up in `totals`.
    A batch refused with ValidationError (keyed "[3].field", conversions.inputs) is sent again
    without the items it names, each of which is added to `refused` with its `where`, so a bad
    item costs only itself; an error that names no item has each item sent alone to find it.
    """

    def __init__(
        self,
        ingest: Callable[..., Any],
        *,
        account: Account,
        size: int,
        refused: Problems,
    ) -> None:
        self.totals: Counter[str] = Counter()
        self.sent = 0
        self._ingest = ingest
        self._account = account
        self._size = size
        self._refused = refused
        self._pending: list[tuple[str, Any]] = []

    def add(self, where: str, item: Any) -> None:
        """Queue one item, read at `where` ("line 12"); send the batch once it is full."""
        self._pending.append((where, item))
        if len(self._pending) >= self._size:
            self.flush()

    def flush(self) -> None:
        """Send the items queued so far."""
        batch, self._pending = self._pending, []
        self.sent += len(batch)
        self._send(batch)
        # Under DEBUG, Django keeps the SQL of the last 9,000 queries, which for batches of a
        # thousand rows is hundreds of megabytes: a long import would not stay flat.
        reset_queries()

    def _send(self, batch: list[tuple[str, Any]]) -> None:
        while batch:
            try:
                result = self._ingest(account=self._account, items=[item for _, item in batch])
            except ValidationError as error:
                named = _problems_by_item(error, len(batch))
                if not named:
                    if len(batch) == 1:
                        self._refused.add(batch[0][0], " ".join(error.messages))
                    else:
                        for entry in batch:
                            self._send([entry])
                    return
                for index, why in named.items():
                    self._refused.add(batch[index][0], why)
                batch = [entry for index, entry in enumerate(batch) if index not in named]
                continue
            self.totals.update(asdict(result))
            return


def _problems_by_item(error: ValidationError, count: int) -> dict[int, str]:
    """The items of a batch of `count` that `error` names, with what is wrong with each."""
    named: dict[int, list[str]] = {}
    for key, messages in getattr(error, "message_dict", {}).items():
        item = item_error_field(key)
        if item is None or item[0] >= count:
            continue
        index, field = item
        prefix = f"{field}: " if field else ""
        named.setdefault(index, []).extend(prefix + m for m in messages)
    return {index: "; ".join(messages) for index, messages in named.items()}


def stopped_reading(why: str, where: str) -> str:
    """The sentence that ends an import which could not read its file to the end: `where` as
    "after line 12"."""
    return (
        f"Reading stopped {where} ({why}): what came before was imported, the rest of the file "
        "was not read."
    )


def summary(rows: list[tuple[str, int | None]]) -> str:
    """Lines "label: figure", the figures aligned; a row whose figure is None is shown as it is,
    as a problem under its count. Labels keep their leading spaces, to show what adds up."""
    width = max(len(label) for label, figure in rows if figure is not None) + 2
    return "\n".join(
        label if figure is None else f"{label + ':':<{width}}{figure:>12,}"
        for label, figure in rows
    )


def problem_rows(problems: Problems) -> list[tuple[str, None]]:
    """The problems shown, as rows of a summary under their count."""
    return [(f"      {line}", None) for line in problems.lines()]

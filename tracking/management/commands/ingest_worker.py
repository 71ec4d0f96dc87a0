import argparse
import signal
import socket
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from conversions.inputs import MAX_PAGE_VIEWS
from tracking.stream import IngestWorker


def batch_size(text: str) -> int:
    """A batch size, as the command line gives it: 1 to MAX_PAGE_VIEWS."""
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_VIEWS:
        raise argparse.ArgumentTypeError(f"give a number from 1 to {MAX_PAGE_VIEWS}")
    return int(text)


class Command(BaseCommand):
    help = (
        "Store the page views that the collect endpoint queued in Redis (REDIS_URL), in batches, "
        "until stopped with SIGTERM or Ctrl-C (it finishes its batch first). Run one or more."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--consumer",
            default=socket.gethostname(),
            help="This worker's name in the consumer group; give each worker on a host its own "
            "(default: the host's name). A worker started again under its name first finishes "
            "what it left pending.",
        )
        parser.add_argument(
            "--batch-size",
            type=batch_size,
            default=MAX_PAGE_VIEWS,
            help=f"Entries read and stored at a time, 1 to {MAX_PAGE_VIEWS}.",
        )

    def handle(self, *args: Any, consumer: str, batch_size: int, **options: Any) -> None:
        if not settings.REDIS_URL:
            raise CommandError(
                "Set REDIS_URL: without Redis the collect endpoint stores page views itself."
            )
        stopping = []
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signal_number, lambda *_: stopping.append(True))
        worker = IngestWorker(
            consumer=consumer,
            batch_size=batch_size,
            claim_after=settings.TRACKING_CLAIM_SECONDS,
        )
        self.stdout.write(
            f"Ingest worker {consumer}: reading {settings.TRACKING_STREAM}; stop with Ctrl-C."
        )
        worker.run(lambda: bool(stopping))
        self.stdout.write(f"Stopped; {worker.stored:,} page views stored.")

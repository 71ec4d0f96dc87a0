"""How much of the CPUs the machine's other programs took while the bench measured.

The bench shares the machine with whatever else runs (a test suite, say), and a figure measured
beside it is not comparable with a quiet machine's. The bench's own processes are its descendants
(gunicorn, Redis, wrk, the steps inside Django) and PostgreSQL's processes for its database; the
others are the rest. A program that starts and ends within one measurement is missed: the figure
is a lower bound. On a virtual machine, the time stolen by the hypervisor is left out: it grows
with the bench's own disk writes as much as with the host's other guests, and cannot tell which.
"""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import database

CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Process:
    parent: int
    started: int  # clock ticks after boot: with the pid, tells a process from a later namesake
    cpu_ticks: int
    serves_bench_database: bool


Snapshot = dict[int, Process]


@dataclass(frozen=True)
class Disturbance:
    measurement: str
    others_cpu_percent: float


@contextmanager
def watch(measurement: str, noted: list[Disturbance]) -> Iterator[None]:
    """Note how much of the CPUs other programs took while the block ran."""
    before, started = snapshot(), time.monotonic()
    yield
    seconds = time.monotonic() - started
    noted.append(Disturbance(measurement, others_cpu_percent(before, snapshot(), seconds)))


def snapshot() -> Snapshot:
    processes = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue  # it ended meanwhile
            # The fields after the command name, which is in parentheses and may hold anything.
            fields = stat[stat.rindex(")") + 2 :].split()
            processes[int(entry.name)] = Process(
                parent=int(fields[1]),
                started=int(fields[19]),
                cpu_ticks=int(fields[11]) + int(fields[12]),  # user and system time
                serves_bench_database=database.NAME.encode() in command,
            )
    return processes


def others_cpu_percent(before: Snapshot, after: Snapshot, seconds: float) -> float:
    """The share of all the CPUs that other programs took between the two snapshots."""
    ours = bench_processes(after)
    ticks = 0
    for pid, process in after.items():
        if pid in ours:
            continue
        earlier = before.get(pid)
        same = earlier is not None and earlier.started == process.started
        ticks += process.cpu_ticks - (earlier.cpu_ticks if same else 0)
    capacity = seconds * CLOCK_TICKS_PER_SECOND * (os.cpu_count() or 1)
    return 100 * ticks / capacity


def bench_processes(processes: Snapshot) -> set[int]:
    ours = {pid for pid, process in processes.items() if process.serves_bench_database}
    children: dict[int, list[int]] = {}
    for pid, process in processes.items():
        children.setdefault(process.parent, []).append(pid)
    descendants = [os.getpid()]
    while descendants:
        pid = descendants.pop()
        ours.add(pid)
        descendants += children.get(pid, [])
    return ours

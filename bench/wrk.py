"""One wrk run of one endpoint, and the figures wrk reports."""

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.scenario import Endpoint

THREADS = 2
CONNECTIONS = 16
# wrk's own timeout (2 s) would drop the slowest answers from the latencies, counted apart as
# socket errors; the app servers' own timeout (gunicorn's 30 s) is the one that matters.
TIMEOUT = "30s"

REQUESTS_PER_SECOND = re.compile(r"^Requests/sec:\s+([0-9.]+)\s*$", re.MULTILINE)
NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses:\s+([0-9]+)\s*$", re.MULTILINE)
SOCKET_ERRORS = re.compile(
    r"^\s*Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)",
    re.MULTILINE,
)
MILLISECONDS_PER_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}

# Several paths (the PUTs' targets): each request picks one, each thread in its own sequence so
# that the two threads do not change the same goals in step.
RANDOM_PATH = """
local paths = {%s}
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init(args)
  math.randomseed(seed)
end

function request()
  return wrk.format(nil, paths[math.random(#paths)])
end
"""


@dataclass(frozen=True)
class WrkRun:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int  # wrk counts every answer from 400 up
    socket_errors: int


def write_script(path: Path, endpoint: Endpoint) -> Path:
    path.write_text(lua_script(endpoint))
    return path


def lua_script(endpoint: Endpoint) -> str:
    lines = [f"wrk.method = {lua_string(endpoint.method)}"]
    if endpoint.body is not None:
        lines.append(f"wrk.body = {lua_string(json.dumps(endpoint.body))}")
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    script = "\n".join(lines) + "\n"
    if len(endpoint.paths) > 1:
        script += RANDOM_PATH % ", ".join(lua_string(path) for path in endpoint.paths)
    return script


def lua_string(text: str) -> str:
    # A long bracket takes the text as it is, with no escapes to get right.
    if "]==]" in text or "\n" in text:
        raise ValueError(f"Not written as a Lua long string: {text!r}")
    return f"[==[{text}]==]"


def run(base_url: str, endpoint: Endpoint, script: Path, seconds: float) -> WrkRun:
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        TIMEOUT,
        "-s",
        str(script),
    ]
    for name, value in endpoint.headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(base_url + endpoint.paths[0])
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed on {endpoint.name}: {completed.stderr or completed.stdout}")
    return parsed(completed.stdout)


def parsed(output: str) -> WrkRun:
    """The figures of wrk's report; a report without them is an error, never a zero."""
    requests_per_second = REQUESTS_PER_SECOND.search(output)
    if requests_per_second is None:
        raise RuntimeError(f"No Requests/sec in wrk's report:\n{output}")
    non_2xx = NON_2XX.search(output)  # printed only when there were some
    socket_errors = SOCKET_ERRORS.search(output)  # likewise
    return WrkRun(
        requests_per_second=float(requests_per_second[1]),
        p50_ms=percentile_ms(output, 50),
        p99_ms=percentile_ms(output, 99),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(map(int, socket_errors.groups())) if socket_errors else 0,
    )


def percentile_ms(output: str, percent: int) -> float:
    line = re.search(rf"^\s+{percent}%\s+([0-9.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)
    if line is None:
        raise RuntimeError(f"No {percent}% latency in wrk's report:\n{output}")
    return float(line[1]) * MILLISECONDS_PER_UNIT[line[2]]

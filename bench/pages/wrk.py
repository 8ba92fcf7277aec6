"""wrk for the page benchmark: installed with apt-get when missing, run for a bounded time
on loopback, its --latency output parsed into req/s, p50 and p99."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

USER_AGENT = "cozywish-page-bench"


def ensure_wrk(log) -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("[setup] wrk is missing: apt-get install -y wrk")
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    subprocess.run([*prefix, "apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is still missing after apt-get install wrk")
    return found


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx/3xx responses and socket errors


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * UNITS[unit]


def parse_wrk(output: str) -> WrkResult:
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+(?:us|ms|s|m))\s*$", output, re.MULTILINE))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return WrkResult(rps, _ms(percentiles["50"]), _ms(percentiles["99"]), total, errors)


def run_wrk(wrk: str, url: str, *, seconds: float, connections: int, headers: dict[str, str]) -> WrkResult:
    command = [wrk, "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s"]
    for name, value in {"User-Agent": USER_AGENT, **headers}.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True)
    return parse_wrk(done.stdout)

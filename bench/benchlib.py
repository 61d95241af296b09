"""What every benchmark shares: the helpers' paths, figure and target lines, the closing summary.

A figure is printed as soon as it is measured, one line each, for example

    line-rate download 921600 baud binary: 0.98 (payload 1048576 B in 11.6 s; target >= 0.90: met)

and a figure with a target says in the same line whether it was met
("met" or "target missed"). A benchmark exits non-zero only when it could not
run; a missed target is reported, not failed.

The fixtures (fake modem, servers on 127.0.0.1) come from
tests/integration/fakemodem_fixture.py and the shim's harness.py, imported
through PYTHONPATH.
"""
import json
import os
import statistics
import subprocess
import sys
import time
import traceback


class Programs:
    """The bench helpers built by bench/meson.build, passed as environment variables."""
    percall = os.environ.get("ST87_BENCH_PERCALL", "")
    stream = os.environ.get("ST87_BENCH_STREAM", "")
    probe = os.environ.get("ST87_BENCH_PROBE", "")
    minimal_host = os.environ.get("ST87_BENCH_MINIMAL_HOST", "")


def scale():
    """ST87_BENCH_SCALE (default 1) shrinks or grows the transfers, for a quick look while developing."""
    try:
        value = float(os.environ.get("ST87_BENCH_SCALE", "1"))
    except ValueError:
        value = 1.0
    return value if value > 0 else 1.0


class Target:
    def __init__(self, label, value, limit, at_least, unit):
        self.label, self.value, self.limit, self.at_least, self.unit = label, value, limit, at_least, unit
        self.met = value >= limit if at_least else value <= limit

    def text(self):
        return "target %s %s%s: %s" % (">=" if self.at_least else "<=", _number(self.limit), self.unit,
                                       "met" if self.met else "target missed")


def _number(value):
    if isinstance(value, int):
        return str(value)
    if abs(value) >= 100:
        return "%.0f" % value
    if abs(value) >= 10:
        return "%.1f" % value
    return "%.3g" % value if abs(value) < 0.1 else "%.2f" % value


class Bench:
    """Collects what one benchmark printed, for its closing summary."""

    def __init__(self, title):
        self.title = title
        self.figures = []
        self.targets = []

    def figure(self, label, value, detail="", target=None, digits=None):
        """Prints `label: value (detail; target ...)`. target: (limit, "at_least"|"at_most", unit);
        digits: decimals to show (default: about three significant ones)."""
        parts = [detail] if detail else []
        if target is not None:
            limit, direction, unit = target
            judged = Target(label, value, limit, direction == "at_least", unit)
            self.targets.append(judged)
            parts.append(judged.text())
        if isinstance(value, str):
            shown = value
        elif digits is not None:
            shown = "%.*f" % (digits, value)
        else:
            shown = _number(value)
        line = "%s: %s" % (label, shown) + (" (%s)" % "; ".join(parts) if parts else "")
        print(line, flush=True)
        self.figures.append(line)

    def note(self, text):
        """A line of detail (commands, bytes) that is printed but not repeated in the summary."""
        print("  " + text, flush=True)

    def summary(self):
        print("", flush=True)
        print("summary of %s:" % self.title)
        for line in self.figures:
            print("  " + line)
        met = [t for t in self.targets if t.met]
        missed = [t for t in self.targets if not t.met]
        print("  targets: %d met, %d missed%s" % (len(met), len(missed),
              "".join("\n    target missed: %s = %s (%s)" % (t.label, _number(t.value), t.text().rsplit(":", 1)[0])
                      for t in missed)))
        sys.stdout.flush()


def main(title, body):
    """Runs body(bench); a failure to run is exit status 1, a missed target is not."""
    bench = Bench(title)
    print("== %s ==" % title, flush=True)
    started = time.monotonic()
    try:
        body(bench)
    except Exception:  # noqa: BLE001  (anything that stopped the measurement)
        traceback.print_exc()
        print("%s: could not run" % title, flush=True)
        sys.exit(1)
    print("(%s took %.1f s)" % (title, time.monotonic() - started))
    bench.summary()
    sys.exit(0)


def median(values):
    return statistics.median(values)


def overhead(total, payload):
    """Framing bytes per payload byte, as a percentage (None when there is no payload)."""
    return None if payload <= 0 else 100.0 * (total - payload) / payload


def echo(connection):
    """A TCP server behaviour (harness.tcp_server): sends back what comes until the client closes."""
    while True:
        data = connection.recv(4096)
        if not data:
            return
        connection.sendall(data)


def run_checked(command, env, timeout, what):
    """Runs a command to completion; a failure is an error that stops the benchmark (it could not run)."""
    result = subprocess.run(command, env=env, timeout=timeout, capture_output=True)
    if result.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s%s" % (what, result.returncode,
                           result.stderr.decode(errors="replace"), result.stdout.decode(errors="replace")))
    return result


def parse_keys(text):
    """'key value' lines to a dict of numbers."""
    values = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                values[parts[0]] = float(parts[1]) if "." in parts[1] else int(parts[1])
            except ValueError:
                pass
    return values


def dump(value):
    return json.dumps(value, sort_keys=True)

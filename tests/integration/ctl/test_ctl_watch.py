"""st87ctl watch: one block per interval in a pipe, redrawn in place in a terminal; the signal,
the RRC state and the registration; a firmware without the radio commands still watched."""

import os
import pty
import select
import subprocess

from ctl_fixture import RUN_TIMEOUT_S, check, fake_modem, main, run

HEADING = "st87ctl watch, every 1 s"


def watch_in_a_terminal(programs, modem):
    """st87ctl watch --count 2 with its stdout on a pseudo-terminal: everything it wrote, and its exit status."""
    master, slave = pty.openpty()
    env = dict(os.environ)
    for name in ("ST87_PORT", "ST87_BAUD", "ST87_LOG", "ST87_TRACE"):
        env.pop(name, None)
    process = subprocess.Popen(programs.wrapper + [programs.st87ctl, "--port", modem.link, "watch",
                                                   "--interval", "1", "--count", "2"],
                               stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    written = b""
    while True:
        ready, _, _ = select.select([master], [], [], RUN_TIMEOUT_S)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the program closed its end
            break
        if not chunk:
            break
        written += chunk
    os.close(master)
    return written.decode(errors="replace"), process.wait(timeout=RUN_TIMEOUT_S)


def test(programs):
    with fake_modem(programs) as modem:
        result = run(programs, programs.st87ctl, "--port", modem.link, "watch", "--interval", "1", "--count", "2")
        check(result.returncode == 0, "watch --count 2 exits 0", result)
        check(result.stdout.count(HEADING) == 2, "two blocks in a pipe", result)
        check("\x1b" not in result.stdout, "no escape sequence in a pipe", result)
        check("RSRP -95 dBm [####------]  RSRQ -10.5 dB" in result.stdout, "the signal with its bar", result)
        check("RRC idle, registration 1 (registered)" in result.stdout, "the RRC state and the registration",
              result)

        text, status = watch_in_a_terminal(programs, modem)
        check(status == 0, "watch in a terminal exits 0 (%r)" % text)
        check(text.count(HEADING) == 2, "two blocks in a terminal: %r" % text)
        check(text.startswith("\x1b[H\x1b[2J") and text.count("\x1b[H") == 2 and text.count("\x1b[J") == 2,
              "cleared once, then each block drawn from the top: %r" % text)
        check("AT+CEREG=5" not in modem.host_commands(), "watch leaves AT+CEREG's presentation alone")

    with fake_modem(programs, "--radio-unknown", "all") as modem:
        result = run(programs, programs.st87ctl, "--port", modem.link, "watch", "--interval", "1", "--count", "1")
        check(result.returncode == 0 and "signal    not known" in result.stdout and "RRC not known" in result.stdout,
              "watch without the radio commands says so and exits 0", result)

    with fake_modem(programs) as modem:
        result = run(programs, programs.st87ctl, "--port", modem.link, "watch", "--interval", "0")
        check(result.returncode == 2 and "--interval" in result.stderr, "--interval 0 is a usage error", result)


main(test)

"""st87ctl's errors and exit codes: no modem, busy port, silent modem, usage, help."""

import os
import re

from ctl_fixture import Terminal, check, fake_modem, main, run

COMMANDS = ["ports", "status", "ping", "at", "close-all", "config"]


def test_no_modem(programs):
    with fake_modem(programs) as modem:
        missing = os.path.join(modem.workdir, "ttyUSB-missing")
        for command in (["status"], ["ping", "127.0.0.1"], ["at", "AT"], ["close-all"],
                        ["config"]):
            result = run(programs, programs.st87ctl, "--port", missing, *command)
            check(result.returncode == 3, "%s, port missing: exit 3" % command[0], result)
            check(result.stderr == "st87ctl: %s: No such file or directory\n" % missing,
                  "%s: one line naming the path" % command[0], result)

        result = run(programs, programs.st87ctl, "status", env={"ST87_PORT": missing})
        check(result.returncode == 3 and missing in result.stderr, "ST87_PORT is used", result)
        result = run(programs, programs.st87ctl, "status", env={"ST87_PORT": modem.link})
        check(result.returncode == 0, "ST87_PORT names the fake modem: status works", result)
        result = run(programs, programs.st87ctl, "--port", modem.link, "status",
                     env={"ST87_PORT": missing})
        check(result.returncode == 0, "--port beats ST87_PORT", result)

        result = run(programs, programs.st87ctl, "--json", "--port", missing, "status")
        check(result.returncode == 3 and '"answers": false' in result.stdout,
              "status --json says the modem does not answer", result)


def test_busy(programs):
    with fake_modem(programs) as modem:
        holder = Terminal(programs, modem.link)
        try:
            holder.send("AT")
            holder.wait_for(lambda line: line == "OK", "the first st87ctl holds the port")
            result = run(programs, programs.st87ctl, "--port", modem.link, "status")
            check(result.returncode == 3, "port busy: exit 3", result)
            match = re.search(r"port busy \(pid (\d+), st87ctl\)", result.stderr)
            check(result.stderr.startswith("st87ctl: ") and match is not None,
                  "port busy: the error names the pid and program", result)
            check(int(match.group(1)) == holder.process.pid, "...the holder's pid", result)
            check(holder.finish() == 0, "the holder leaves cleanly")
        finally:
            holder.kill()


def test_silent_modem(programs):
    with fake_modem(programs, "--stall-after", "0") as modem:
        result = run(programs, programs.st87ctl, "--port", modem.link, "status")
        check(result.returncode == 3, "a modem that does not answer: exit 3", result)
        check(result.stderr.startswith("st87ctl: ") and "no modem answers" in result.stderr,
              "...and says so", result)


def test_options(programs):
    os.umask(0o022)  # a trace file's mode must not depend on the umask the tests run with
    with fake_modem(programs) as modem:
        trace = os.path.join(modem.workdir, "host.trace")
        result = run(programs, programs.st87ctl, "--port", modem.link, "--trace", trace,
                     "at", "AT")
        with open(trace) as f:
            lines = f.read().splitlines()
        # Each line: local date and time to the microsecond, the writer's pid, the direction, the text.
        stamped = [re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} \[(\d+)\] ([<>]) (.*)", line)
                   for line in lines]
        check(lines and all(stamped), "every trace line says when and which process: %r" % lines)
        check((">", "AT") in [(m.group(2), m.group(3)) for m in stamped], "--trace FILE records the AT traffic")
        pids = {m.group(1) for m in stamped}
        check(len(pids) == 1 and str(os.getpid()) not in pids, "the trace names st87ctl's pid: %r" % pids)
        mode = os.stat(trace).st_mode & 0o777
        check(mode == 0o600, "a new trace file is its owner's alone: mode %o" % mode)

        # A link in the trace's place (put there by someone else) is not followed.
        target = os.path.join(modem.workdir, "not-the-trace")
        link = os.path.join(modem.workdir, "trace-link")
        os.symlink(target, link)
        result = run(programs, programs.st87ctl, "--port", modem.link, "--trace", link, "at", "AT")
        check(result.returncode != 0 and not os.path.exists(target), "--trace does not follow a link", result)
        check(result.stderr == "st87ctl: ST87_TRACE=%s: a symbolic link (not followed)\n" % link,
              "...and says so in one line", result)

        result = run(programs, programs.st87ctl, "--port", modem.link, "--log", "debug",
                     "status")
        check(result.returncode == 0, "--log debug works", result)
        result = run(programs, programs.st87ctl, "--port", modem.link, "--baud", "115200",
                     "status")
        check(result.returncode == 0, "--baud 115200 works", result)

    for args, env, what in (
            (["--baud", "12345", "status"], {}, "--baud 12345"),
            (["status"], {"ST87_BAUD": "fast"}, "ST87_BAUD=fast"),
            (["--log", "loud", "status"], {}, "--log loud"),
            (["status"], {"ST87_LOG": "loud"}, "ST87_LOG=loud"),
            (["frobnicate"], {}, "an unknown command"),
            ([], {}, "no command"),
            (["--bogus", "status"], {}, "an unknown global option"),
            (["status", "--bogus"], {}, "an unknown status option"),
            (["ports", "extra"], {}, "an extra argument")):
        result = run(programs, programs.st87ctl, *args, env=env)
        check(result.returncode == 2 and result.stderr.startswith("st87ctl: "),
              "%s: usage error, exit 2" % what, result)
        check(result.stdout == "", "%s: nothing on stdout" % what, result)
    result = run(programs, programs.st87ctl, "status", env={"ST87_BAUD": "fast"})
    check("ST87_BAUD" in result.stderr, "a bad variable is named", result)


def test_help(programs):
    result = run(programs, programs.st87ctl, "--help")
    check(result.returncode == 0 and result.stdout.startswith("Usage: st87ctl"), "--help",
          result)
    for command in COMMANDS:
        check(command in result.stdout, "--help lists %s" % command, result)
    check("Exit status:" in result.stdout and "3  no modem" in result.stdout,
          "--help documents the exit codes", result)
    for command in COMMANDS:
        result = run(programs, programs.st87ctl, command, "--help")
        check(result.returncode == 0 and
              result.stdout.startswith("Usage: st87ctl " + command),
              "st87ctl %s --help" % command, result)
        check(run(programs, programs.st87ctl, "help", command).stdout == result.stdout,
              "st87ctl help %s" % command)

    result = run(programs, programs.st87ctl, "ports")
    check(result.returncode == 0, "ports exits 0 (whatever ports this host has)", result)


def test(programs):
    test_no_modem(programs)
    test_busy(programs)
    test_silent_modem(programs)
    test_options(programs)
    test_help(programs)


main(test)

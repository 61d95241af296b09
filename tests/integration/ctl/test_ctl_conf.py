"""st87ctl and the configuration file (ST87_CONF): its port and baud rate are used where the
environment and the command line leave them unset, and a bad line is a usage error naming the
file and line."""

import os

from ctl_fixture import check, fake_modem, main, run


def test(programs):
    with fake_modem(programs) as modem:
        conf = os.path.join(modem.workdir, "st87.conf")
        with open(conf, "w") as f:
            f.write("# the test modem\nport = %s\nbaud = 921600\n" % modem.link)
        env = {"ST87_CONF": conf, "ST87_PORT": "", "ST87_BAUD": "", "ST87_DAEMON": "off"}
        result = run(programs, programs.st87ctl, "status", env=env)
        check(result.returncode == 0, "the file's port is used: status answers", result)

        missing = os.path.join(modem.workdir, "ttyUSB-missing")
        result = run(programs, programs.st87ctl, "status", env=dict(env, ST87_PORT=missing))
        check(result.returncode == 3 and missing in result.stderr, "the environment beats the file", result)

        with open(conf, "w") as f:
            f.write("port = %s\n\nbaud = 12\n" % modem.link)
        result = run(programs, programs.st87ctl, "status", env=env)
        check(result.returncode == 2 and ("%s:3: ST87_BAUD=\"12\"" % conf) in result.stderr,
              "a bad rate in the file: usage error naming file and line", result)

        with open(conf, "w") as f:
            f.write("prot = %s\n" % modem.link)
        result = run(programs, programs.st87ctl, "status", env=env)
        check(result.returncode == 2 and ("%s:1: unknown key prot" % conf) in result.stderr,
              "an unknown key: usage error naming file and line", result)

        result = run(programs, programs.st87ctl, "status", env=dict(env, ST87_CONF=conf + ".missing"))
        check(result.returncode == 2 and "cannot read" in result.stderr, "a named file that is missing", result)

        # A fifo blocked st87ctl in open() until a writer came (for ever: the run timed out).
        fifo = os.path.join(modem.workdir, "st87.fifo")
        os.mkfifo(fifo, 0o600)
        result = run(programs, programs.st87ctl, "status", env=dict(env, ST87_CONF=fifo))
        check(result.returncode == 2 and ("%s: not read: expected a regular file" % fifo) in result.stderr,
              "a fifo is refused at once, not waited on", result)

        # A NUL hid the end of its line, and the next line was taken as the rest of it.
        with open(conf, "wb") as f:
            f.write(b"log = warn\nbaud = 9\x0000\nport = %s\n" % modem.link.encode())
        result = run(programs, programs.st87ctl, "status", env=env)
        check(result.returncode == 2 and result.stderr.startswith("st87ctl: %s:2: a NUL byte in the line\n" % conf),
              "a NUL byte: usage error naming file and line", result)


main(test)

"""st87ctl reads its settings with the shim's parser: a value it uses is checked as the shim checks
it (same message, exit 2), the command line beats the environment, which beats the file, and a bad
value of a setting st87ctl does not use (ST87_ROUTE, ST87_DNS, ...) does not stop it."""

import os

from ctl_fixture import check, fake_modem, main, run

# The shim's own words for a bad ST87_PORT (src/settings/config.c).
PORT_EXPECTED = 'expected "auto" or an absolute device path such as /dev/ttyUSB0'


def test_port_is_checked(programs):
    quiet = {"ST87_DAEMON": "off", "ST87_CONF": ""}
    result = run(programs, programs.st87ctl, "status", env=dict(quiet, ST87_PORT="relative/path"))
    check(result.returncode == 2 and
          result.stderr == 'st87ctl: ST87_PORT="relative/path": %s\n' % PORT_EXPECTED,
          "a relative ST87_PORT: one line in the shim's words, exit 2", result)
    check(result.stdout == "", "...and nothing on stdout", result)

    result = run(programs, programs.st87ctl, "--port", "ttyUSB0", "status", env=quiet)
    check(result.returncode == 2 and
          result.stderr.startswith("st87ctl: --port 'ttyUSB0': %s\n" % PORT_EXPECTED),
          "a relative --port: a usage error naming the option", result)

    # "auto" in any case finds the modem by its USB id, as in the shim; it is never opened as a path.
    lower = run(programs, programs.st87ctl, "status", env=dict(quiet, ST87_PORT="auto"))
    for spelling in ("AUTO", "Auto"):
        result = run(programs, programs.st87ctl, "status", env=dict(quiet, ST87_PORT=spelling))
        check(result.returncode == lower.returncode and result.stderr == lower.stderr and
              spelling not in result.stderr,
              "ST87_PORT=%s is auto" % spelling, result)
        result = run(programs, programs.st87ctl, "--port", spelling, "status", env=quiet)
        check(result.returncode == lower.returncode and result.stderr == lower.stderr,
              "--port %s is auto" % spelling, result)


def test_sources(programs):
    with fake_modem(programs) as modem:
        conf = os.path.join(modem.workdir, "st87.conf")
        env = {"ST87_CONF": conf, "ST87_DAEMON": "off"}
        missing = os.path.join(modem.workdir, "ttyUSB-missing")

        with open(conf, "w") as f:
            f.write("port = relative-tty\n")
        result = run(programs, programs.st87ctl, "status", env=env)
        check(result.returncode == 2 and
              result.stderr == 'st87ctl: %s:1: ST87_PORT="relative-tty": %s\n' % (conf, PORT_EXPECTED),
              "a relative port in the file: its line named, exit 2", result)
        result = run(programs, programs.st87ctl, "status", env=dict(env, ST87_PORT=modem.link))
        check(result.returncode == 0, "the environment's ST87_PORT wins over the file's bad one", result)

        with open(conf, "w") as f:
            f.write("port = %s\n" % modem.link)
        result = run(programs, programs.st87ctl, "status", env=env)
        check(result.returncode == 0, "the file's port reaches st87ctl", result)
        result = run(programs, programs.st87ctl, "status", env=dict(env, ST87_PORT=missing))
        check(result.returncode == 3 and result.stderr == "st87ctl: %s: No such file or directory\n" % missing,
              "the environment's ST87_PORT wins over the file's", result)
        result = run(programs, programs.st87ctl, "--port", modem.link, "status",
                     env=dict(env, ST87_PORT="relative/path"))
        check(result.returncode == 0, "--port wins, and the ST87_PORT it overrides is not looked at", result)
        result = run(programs, programs.st87ctl, "--baud", "115200", "status", env=dict(env, ST87_BAUD="fast"))
        check(result.returncode == 0, "--baud wins over a bad ST87_BAUD", result)

        # Settings of the shim alone: bad ones are the shim's business, not a reason to refuse a look.
        with open(conf, "w") as f:
            f.write("port = %s\nroute = 10.0.0.0/99\ndns = nowhere\n" % modem.link)
        result = run(programs, programs.st87ctl, "status", env=dict(env, ST87_ROUTE="bogus",
                                                                   ST87_CONNECT_TIMEOUT="soon"))
        check(result.returncode == 0 and result.stderr == "",
              "bad ST87_ROUTE, ST87_DNS and ST87_CONNECT_TIMEOUT do not stop status", result)


def test(programs):
    test_port_is_checked(programs)
    test_sources(programs)


main(test)

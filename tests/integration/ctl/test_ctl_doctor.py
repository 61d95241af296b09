"""st87ctl doctor: one line per check, with what to do when one fails, against the fake modem
with faults put in: the wrong baud rate, a socket left open, a name the modem does not know, a
refused TCP connection, no modem at all."""

import json
import os
import shutil
import socket

from ctl_fixture import check, fake_modem, main, run
from fakemodem_fixture import CID, PROFILE


def lines_by_check(stdout):
    return {line[6:18].strip(): line for line in stdout.splitlines()}


def test(programs):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    env = {"ST87_DAEMON": "off"}
    with fake_modem(programs, "--baud", "921600", "--strict-baud", "--dns",
                   "--dns-entry", "sensor.test=127.0.0.1") as modem:
        ctl = [programs.st87ctl, "--port", modem.link]
        # Everything in order, at the right rate.
        result = run(programs, *ctl, "--baud", "921600", "doctor", "--name", "sensor.test",
                     "--tcp", "127.0.0.1:%d" % port, env=env)
        checks = lines_by_check(result.stdout)
        check(result.returncode == 0, "a healthy modem: exit 0", result)
        for name in ("answers", "settings", "ip link", "sockets", "dns", "tcp"):
            check(checks.get(name, "").startswith("ok"), "%s: ok" % name, result)
        check("sensor.test is 127.0.0.1" in checks["dns"], "the name's address is shown", result)
        check("up on context %d" % CID in checks["ip link"], "the link's context is shown", result)
        check(checks.get("flow control", "").startswith("ok") and "RTS/CTS off, CTS not known" in
              checks["flow control"], "flow control: off, and a pty has no CTS", result)
        if PROFILE == "maker":
            check("mode 1, hold 10 s" in checks.get("sleep mode", ""), "the sleep mode and its hold", result)
        else:
            check("the firmware has no AT#SLEEPMODE" in checks.get("sleep mode", ""),
                  "no AT#SLEEPMODE is said", result)

        # Flow control asked for, on the command line, by the variable or in st87.conf, reaches libst87.
        conf = os.path.join(modem.workdir, "st87.conf")
        with open(conf, "w") as f:
            f.write("rtscts = 1\n")
        for args, variables in ((["--rtscts"], {}), ([], {"ST87_RTSCTS": "1"}), ([], {"ST87_CONF": conf})):
            result = run(programs, *ctl, "--baud", "921600", *args, "--log", "info", "doctor",
                         env=dict(env, **variables))
            checks = lines_by_check(result.stdout)
            check("RTS/CTS on, CTS not known" in checks.get("flow control", ""),
                  "doctor %s: flow control on" % (args or variables), result)
            check("RTS/CTS flow control on" in result.stderr, "libst87 opened the port with RTS/CTS", result)

        # The configured rate gets no answer: doctor finds the one that does.
        result = run(programs, *ctl, "--baud", "115200", "doctor", env=env)
        check(result.returncode == 1, "the wrong rate: exit 1", result)
        check("the modem answers at 921600" in result.stdout and "ST87_BAUD=921600" in result.stdout,
              "the wrong rate: the right one and how to set it", result)

        # A socket left open, a name no one knows, a refused connection.
        run(programs, *ctl, "--baud", "921600", "at", "AT#SOCKETCREATE=%d,0,UDP,0,1,1,1" % CID, env=env)
        listener.close()
        result = run(programs, *ctl, "--baud", "921600", "--json", "doctor", "--name", "nowhere.test",
                     "--tcp", "127.0.0.1:%d" % port, env=env)
        found = {c["check"]: c for c in json.loads(result.stdout)["checks"]}
        check(result.returncode == 1, "failures: exit 1", result)
        check(found["sockets"]["outcome"] == "warn" and "close-all" in found["sockets"]["fix"],
              "a socket left open: close-all suggested", result)
        check(found["dns"]["outcome"] == "FAIL" and "nowhere.test" in found["dns"]["found"],
              "an unknown name fails", result)
        check(found["tcp"]["outcome"] == "FAIL" and "refused" in found["tcp"]["found"],
              "a refused connection fails and says so", result)

    # No DNS server (2112, the factory state): doctor says so and gives the commands that set one.
    with fake_modem(programs, "--dns", "--dns-no-server") as no_server:
        result = run(programs, programs.st87ctl, "--port", no_server.link, "--json", "doctor", env=env)
        found = {c["check"]: c for c in json.loads(result.stdout)["checks"]}
        check(result.returncode == 1, "no DNS server: exit 1", result)
        server = found.get("dns server", {})
        check(server.get("outcome") == "FAIL" and "2112" in server.get("found", ""),
              "no DNS server: the check fails and names 2112", result)
        check("AT#IPPARAMS=" in server.get("fix", "") and "AT#RESET=1" in server.get("fix", ""),
              "no DNS server: the commands that set one", result)

    # --program: the check st87run makes before it runs a program, beside the modem's.
    with fake_modem(programs) as modem:
        ctl = [programs.st87ctl, "--port", modem.link]
        result = run(programs, *ctl, "doctor", "--program", "curl", env=env)
        checks = lines_by_check(result.stdout)
        check(result.returncode == 0 and checks.get("program", "").startswith("ok") and
              "the shim can reach its calls" in checks["program"], "--program curl: ok", result)
        busybox = shutil.which("busybox")
        check(busybox is not None, "busybox is not installed (scripts/setup.sh installs busybox-static)")
        result = run(programs, *ctl, "--json", "doctor", "--program", "busybox", env=env)
        found = {c["check"]: c for c in json.loads(result.stdout)["checks"]}
        program = found.get("program", {})
        check(result.returncode == 1, "--program busybox: exit 1", result)
        check(program.get("outcome") == "FAIL" and program.get("found", "").startswith(busybox + ": statically linked")
              and "--allow-unrouted" in program.get("fix", "") and "--socks-port" in program.get("fix", ""),
              "--program busybox: FAIL, why, the ways out", result)
        check(found["answers"]["outcome"] == "ok", "the modem's checks still run", result)
        result = run(programs, *ctl, "doctor", "--program", "no-such-program-here", env=env)
        check(result.returncode == 1 and "no-such-program-here: No such file" in lines_by_check(result.stdout)
              .get("program", ""), "--program not found: FAIL", result)

    missing = os.path.join(modem.workdir, "ttyUSB-missing")
    result = run(programs, programs.st87ctl, "--port", missing, "doctor", env=env)
    check(result.returncode == 3 and "No such file" in result.stdout, "no modem: exit 3, and why", result)


main(test)

"""st87ctl ping: ping(8)'s output and exit status; the note's limits checked before sending."""

import json

from ctl_fixture import check, fake_modem, main, run


def pings_sent(modem):
    return [c for c in modem.host_commands() if c.upper().startswith(("AT#IPPING", "AT#IPING"))]


def test(programs):
    with fake_modem(programs) as modem:
        ctl = [programs.st87ctl, "--port", modem.link]
        result = run(programs, *ctl, "ping", "127.0.0.1", "-c", "3")
        check(result.returncode == 0, "ping 127.0.0.1 -c 3 exits 0", result)
        check(result.stdout.startswith("PING 127.0.0.1: 32 data bytes\n"), "the PING header",
              result)
        check(result.stdout.count(" bytes from 127.0.0.1: seq=") == 3, "three replies", result)
        check("--- 127.0.0.1 ping statistics ---" in result.stdout, "the statistics header",
              result)
        check("3 packets transmitted, 3 received, 0% packet loss" in result.stdout,
              "3 packets transmitted, 3 received", result)
        check("rtt min/avg/max = " in result.stdout, "the rtt line", result)

        result = run(programs, *ctl, "ping", "-c", "2", "-s", "100", "-W", "5", "--json",
                     "127.0.0.1")
        check(result.returncode == 0, "ping --json exits 0", result)
        report = json.loads(result.stdout)
        check(report["transmitted"] == 2 and report["received"] == 2 and
              len(report["replies"]) == 2 and report["replies"][0]["bytes"] == 100,
              "ping --json: 2 replies of 100 bytes", result)

        # The fake modem never answers anything but loopback (and sends nothing out).
        result = run(programs, *ctl, "ping", "192.0.2.1", "-c", "2")
        check(result.returncode == 1, "no reply: exit 1", result)
        check(result.stdout.count("Request timeout for seq") == 2, "two timeouts", result)
        check("2 packets transmitted, 0 received, 100% packet loss" in result.stdout,
              "100% packet loss", result)

        before = len(pings_sent(modem))
        check(before == 3, "three AT#IPPING so far")
        for args, what in ((["-c", "21"], "count 21"), (["-c", "0"], "count 0"),
                           (["-s", "451"], "size 451"), (["-W", "121"], "timeout 121"),
                           (["-c", "x"], "count x")):
            result = run(programs, *ctl, "ping", "127.0.0.1", *args)
            check(result.returncode == 2 and result.stderr.startswith("st87ctl: "),
                  "%s: exit 2 with an error on stderr" % what, result)
            check(result.stdout == "", "%s: nothing on stdout" % what, result)
        check("outside 1..20" in run(programs, *ctl, "ping", "127.0.0.1", "-c", "21").stderr,
              "the error names the limit")
        check(len(pings_sent(modem)) == before, "no AT#IPPING sent for bad values")

        result = run(programs, *ctl, "ping", "localhost")
        check(result.returncode == 2 and "no resolver" in result.stderr,
              "a name instead of an address: exit 2, says the modem has no resolver", result)
        result = run(programs, *ctl, "ping")
        check(result.returncode == 2, "no HOST: exit 2", result)

    # The link is brought up first when it is down.
    with fake_modem(programs, "--link-down") as modem:
        result = run(programs, programs.st87ctl, "--port", modem.link, "ping", "127.0.0.1",
                     "-c", "1")
        check(result.returncode == 0 and "1 packets transmitted, 1 received" in result.stdout,
              "ping brings the link up, then pings", result)


main(test)

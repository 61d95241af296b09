"""st87ctl status: the link, its address, the settings; and it changes nothing."""

import json
import os

from ctl_fixture import check, fake_modem, main, run
from fakemodem_fixture import CID

# What status may send: the probe and read commands only, and AT+CEREG=5 for the cell with the
# presentation put back (0, the fake modem's default; test_ctl_radio.py checks it is put back).
READ_ONLY_COMMANDS = {"AT", "AT#IPCFG?", "AT+CGPADDR", "AT+CGPADDR=%d" % CID, "AT#IPPARAMS?", "AT#SLEEPMODE?",
                      "AT#SOCKETCREATE?", "AT+CGSN", "AT+CGMR", "AT+CESQ", "AT+CSQ", "AT+CEREG?", "AT+CEREG=5",
                      "AT+CEREG=0", "AT+CSCON?", "AT+CPSMS?", "AT+CEDRXS?"}
# The maker's firmware sleeps 10 s after the last command; the note's has no AT#SLEEPMODE.
MAKER = os.environ.get("ST87_FAKEMODEM_PROFILE") == "maker"


def test(programs):
    with fake_modem(programs) as modem:
        result = run(programs, programs.st87ctl, "--port", modem.link, "status")
        check(result.returncode == 0, "status exits 0", result)
        check("state: up" in result.stdout, "status shows the IP link up", result)
        check("127.0.0.1" in result.stdout, "status shows the address 127.0.0.1", result)
        check("auto IP:" in result.stdout, "status shows AT#IPPARAMS", result)
        check("in use: 0" in result.stdout, "status shows no socket in use", result)
        if MAKER:
            check("sleeps: yes" in result.stdout and "hold: 10 s" in result.stdout,
                  "status shows the maker's firmware sleeping after 10 s", result)
        else:
            check("sleeps: unknown" in result.stdout,
                  "status says unknown where the firmware has no AT#SLEEPMODE", result)

        result = run(programs, programs.st87ctl, "--port", modem.link, "status", "--json")
        check(result.returncode == 0, "status --json exits 0", result)
        report = json.loads(result.stdout)
        check(report["answers"] is True, "JSON: the modem answers", result)
        check(report["link"]["up"] is True and report["link"]["ipv4"] == "127.0.0.1",
              "JSON: link up with 127.0.0.1", result)
        check(report["sockets"]["in_use"] == 0, "JSON: no socket in use", result)
        check(report["sleep"] == ({"sleeps": True, "hold_s": 10} if MAKER else {"sleeps": None}),
              "JSON: sleep as the firmware tells, null when it cannot", result)

        # The global --json (before the command) works the same way.
        result = run(programs, programs.st87ctl, "--json", "--port", modem.link, "status")
        check(json.loads(result.stdout)["link"]["state"] == "up", "global --json", result)

        sent = set(modem.host_commands())
        check(sent <= READ_ONLY_COMMANDS,
              "status sent only read commands (sent: %s)" % sorted(sent))

    # A socket in use is listed.
    with fake_modem(programs) as modem:
        run(programs, programs.st87ctl, "--port", modem.link, "at",
            f"AT#SOCKETCREATE={CID},0,UDP,0,1,1,1")
        result = run(programs, programs.st87ctl, "--port", modem.link, "status", "--json")
        sockets = json.loads(result.stdout)["sockets"]
        check(sockets["in_use"] == 1 and sockets["list"][0]["type"] == "UDP",
              "status lists the UDP socket in use", result)

    # The sleep setting as the firmware answers it, whatever the profile.
    for switch, text, sleep in (("20000", "sleeps: yes", {"sleeps": True, "hold_s": 20}),
                                ("0", "sleeps: no", {"sleeps": False, "hold_s": 10})):
        with fake_modem(programs, "--sleep-after", switch) as modem:
            result = run(programs, programs.st87ctl, "--port", modem.link, "status")
            check(result.returncode == 0 and text in result.stdout,
                  "status shows '%s' for --sleep-after %s" % (text, switch), result)
            result = run(programs, programs.st87ctl, "--port", modem.link, "status", "--json")
            check(json.loads(result.stdout)["sleep"] == sleep,
                  "JSON: %s for --sleep-after %s" % (sleep, switch), result)

    # A link that is down is shown as down, and status does not bring it up.
    with fake_modem(programs, "--link-down") as modem:
        result = run(programs, programs.st87ctl, "--port", modem.link, "status")
        check(result.returncode == 0 and "state: down" in result.stdout,
              "status shows a link that is down", result)
        result = run(programs, programs.st87ctl, "--port", modem.link, "status")
        check("state: down" in result.stdout, "the link is still down after status", result)


main(test)

"""st87ctl status's radio section: signal, registration and cell, RRC state, identity, PSM/eDRX;
each field absent (not an error) where the firmware does not know its command; AT+CEREG's
presentation put back as it was."""

import json

from ctl_fixture import check, fake_modem, main, run

RADIO_ROWS = ("IMEI: 004999010640000", "RSRP: -95 dBm", "RSRQ: -10.5 dB", "RSSI: -73 dBm",
              "registration: registered, home network (1)", "cell: 01A2B3C4 in tracking area 1A2B, NB-S1",
              "RRC: idle", "PSM: off", "eDRX: off")


def status(programs, modem, *arguments):
    return run(programs, programs.st87ctl, "--port", modem.link, "status", *arguments)


def radio_json(programs, modem):
    result = status(programs, modem, "--json")
    check(result.returncode == 0, "status --json exits 0", result)
    return json.loads(result.stdout)["radio"]


def cereg_read(programs, modem):
    return run(programs, programs.st87ctl, "--port", modem.link, "at", "AT+CEREG?").stdout


def test(programs):
    with fake_modem(programs) as modem:
        result = status(programs, modem)
        check(result.returncode == 0, "status exits 0", result)
        for text in RADIO_ROWS:
            check(text in result.stdout, "status shows '%s'" % text, result)
        check("firmware: ST87MXX fake" in result.stdout, "status shows the firmware revision", result)
        radio = radio_json(programs, modem)
        check(radio["imei"] == "004999010640000" and radio["firmware"].startswith("ST87MXX fake"),
              "JSON: imei and firmware", radio)
        check((radio["rsrp_dbm"], radio["rsrq_db"], radio["rssi_dbm"]) == (-95, -10.5, -73),
              "JSON: rsrp_dbm, rsrq_db, rssi_dbm", radio)
        check(radio["registration"] == {"stat": 1, "state": "registered, home network", "tac": "1A2B",
                                        "cell_id": "01A2B3C4", "act": 9},
              "JSON: registration with the cell (AT+CEREG=5 for the read)", radio)
        check(radio["rrc"] == "idle" and radio["psm"]["on"] is False and radio["edrx"] == {"on": False},
              "JSON: rrc, psm, edrx", radio)
        check("errors" not in radio, "JSON: no errors", radio)
        check("+CEREG: 0,1" in cereg_read(programs, modem), "AT+CEREG's presentation is 0 again after status")
        sent = modem.host_commands()
        check(sent.count("AT+CEREG=5") == 2 and sent.count("AT+CEREG=0") == 2,
              "each status set AT+CEREG=5 once and put 0 back (sent: %s)" % sent)

    # +CEREG: and +CSCON: URCs and junk lines among the answers, output in fragments: the same radio.
    with fake_modem(programs, "--urc-noise", "--garbage", "--fragment", "--seed", "11") as modem:
        noisy = radio_json(programs, modem)
        check(noisy == radio, "JSON: the same radio from a noisy modem (%r)" % noisy)

    # A presentation the user set is put back; PSM asked for shows the timers, the network's too.
    with fake_modem(programs) as modem:
        run(programs, programs.st87ctl, "--port", modem.link, "at", "AT+CEREG=2")
        run(programs, programs.st87ctl, "--port", modem.link, "at", 'AT+CPSMS=1,,,"01000111","00100100"')
        run(programs, programs.st87ctl, "--port", modem.link, "at", 'AT+CEDRXS=1,5,"0101"')
        result = status(programs, modem)
        check("PSM: asked for: active time 4 min (00100100), periodic TAU 70 h (01000111)" in result.stdout,
              "status shows the PSM asked for, in time units", result)
        check("network gave: active time 4 min (00100100), periodic TAU 70 h (01000111)" in result.stdout,
              "status shows the timers the network gave (AT+CEREG=5)", result)
        check("eDRX: asked for: 0101 (NB-S1)" in result.stdout, "status shows the eDRX asked for", result)
        radio = radio_json(programs, modem)
        check(radio["psm"] == {"on": True, "periodic_tau": "01000111", "periodic_tau_s": 252000,
                               "active_time": "00100100", "active_time_s": 240},
              "JSON: psm", radio)
        check(radio["registration"]["active_time_s"] == 240 and radio["registration"]["periodic_tau_s"] == 252000,
              "JSON: the timers the network gave", radio)
        check(radio["edrx"] == {"on": True, "act_type": 5, "value": "0101"}, "JSON: edrx", radio)
        check("+CEREG: 2,1," in cereg_read(programs, modem), "AT+CEREG's presentation 2 put back")

    # Signal not known: said so, null in JSON.
    with fake_modem(programs, "--rsrp", "unknown", "--rsrq", "unknown", "--rssi", "unknown") as modem:
        result = status(programs, modem)
        for key in ("RSRP", "RSRQ", "RSSI"):
            check("%s: not known" % key in result.stdout, "status says %s is not known" % key, result)
        radio = radio_json(programs, modem)
        check((radio["rsrp_dbm"], radio["rsrq_db"], radio["rssi_dbm"]) == (None, None, None),
              "JSON: null for a signal not known", radio)

    # Firmware that knows some of the commands: the others' fields are absent, status still exits 0.
    with fake_modem(programs, "--radio-unknown", "cesq,cscon,cgmr") as modem:
        result = status(programs, modem)
        check(result.returncode == 0 and "RSSI: -73 dBm" in result.stdout, "status exits 0 with RSSI", result)
        for row in ("RSRP", "RSRQ", "RRC", "firmware", "error"):
            check(" %s:" % row not in result.stdout, "no %s row" % row, result)
        radio = radio_json(programs, modem)
        check(set(radio) == {"imei", "rssi_dbm", "registration", "psm", "edrx"},
              "JSON: only the known commands' keys (%s)" % sorted(radio))

    # Firmware that knows none of them: no radio field, no error, the rest of status as always.
    with fake_modem(programs, "--radio-unknown", "all") as modem:
        result = status(programs, modem)
        check(result.returncode == 0, "status exits 0 when no radio command is known", result)
        check("queries: none the firmware knows" in result.stdout and "state: up" in result.stdout,
              "status says no radio query is known and shows the link", result)
        check(radio_json(programs, modem) == {}, "JSON: an empty radio object")
        check("AT+CEREG=5" not in modem.host_commands(), "no presentation set where AT+CEREG is unknown")


main(test)

#!/usr/bin/env python3
"""Self-test of st87-fakemodem's radio commands (AT+CESQ, AT+CSQ, AT+CEREG,
AT+CSCON, AT+CGSN, AT+CGMR, AT+CPSMS, AT+CEDRXS) and their switches.

Usage: selftest_radio.py PATH-TO-st87-fakemodem [TEST-NAME...]

Each answer is checked against the syntax of 3GPP TS 27.007; the RRC state
follows the air model (selftest_network.py tests its timing).
"""

import re
import sys
import time

import selftest
from selftest import Modem, UdpEcho, check, eq, expect_bad_args, stopped_cleanly

TESTS = []
PATIENCE = 60.0
RADIO = ("AT+CESQ", "AT+CSQ", "AT+CEREG?", "AT+CSCON?", "AT+CGSN", "AT+CGMR", "AT+CPSMS?",
         "AT+CEDRXS?")


def test(fn):
    TESTS.append(fn)
    return fn


def answer(m, command):
    """The information lines of `command`: selftest's Modem also files +CEREG:/+CSCON: lines as URCs."""
    lines = m.ok(command).lines
    m.unsolicited = [line for line in m.unsolicited if line not in lines]
    return lines


def note_modem(*switches):
    """The note profile whatever the environment says, error codes on."""
    m = Modem("--profile", "note", *switches)
    m.ok("AT+CMEE=1")
    return m


@test
def signal_defaults_and_switches():
    with stopped_cleanly(note_modem()) as m:
        # 27.007: <rxlev>,<ber>,<rscp>,<ecno>,<rsrq>,<rsrp>; an NB-IoT modem has no GSM/UMTS values.
        eq(m.ok("AT+CESQ").lines, ["+CESQ: 99,99,255,255,19,46"], "-10.5 dB, -95 dBm")
        eq(m.ok("AT+CSQ").lines, ["+CSQ: 20,99"], "-73 dBm")
        check(m.ok("AT+CESQ=?").one("+CESQ: (").count("(") == 6, "test form: six ranges")
        m.err("AT+CESQ?", 504)
    for switches, cesq, csq in ((("--rsrp", "-112", "--rsrq", "-19.5", "--rssi", "unknown"),
                                 "+CESQ: 99,99,255,255,1,29", "+CSQ: 99,99"),
                                (("--rsrp", "unknown", "--rsrq", "unknown", "--rssi", "-51"),
                                 "+CESQ: 99,99,255,255,255,255", "+CSQ: 31,99"),
                                (("--rsrp", "-44", "--rsrq", "-3", "--rssi", "-113"),
                                 "+CESQ: 99,99,255,255,34,97", "+CSQ: 0,99")):
        with stopped_cleanly(note_modem(*switches)) as m:
            eq(m.ok("AT+CESQ").lines, [cesq], " ".join(switches))
            eq(m.ok("AT+CSQ").lines, [csq], " ".join(switches))


@test
def registration_modes():
    with stopped_cleanly(note_modem()) as m:
        eq(answer(m, "AT+CEREG?"), ["+CEREG: 0,1"], "n 0, registered home")
        m.ok("AT+CEREG=2")
        eq(answer(m, "AT+CEREG?"), ['+CEREG: 2,1,"1A2B","01A2B3C4",9'], "cell fields, NB-S1")
        m.ok("AT+CEREG=5")
        eq(answer(m, "AT+CEREG?"), ['+CEREG: 5,1,"1A2B","01A2B3C4",9'], "no PSM: no timers")
        m.ok('AT+CPSMS=1,,,"01000111","00100100"')
        eq(answer(m, "AT+CEREG?"), ['+CEREG: 5,1,"1A2B","01A2B3C4",9,,,"00100100","01000111"'],
           "PSM asked for: the assigned Active-Time and Periodic-TAU")
        m.ok("AT+CEREG=1")
        eq(answer(m, "AT+CEREG?"), ["+CEREG: 1,1"])
        m.ok("AT+CEREG=")
        eq(answer(m, "AT+CEREG?"), ["+CEREG: 0,1"], "an omitted <n> is 0")
        m.err("AT+CEREG=6", 50)
        eq(m.ok("AT+CEREG=?").lines, ["+CEREG: (0-5)"])
    with stopped_cleanly(note_modem("--link-down")) as m:
        m.ok("AT+CEREG=2")
        eq(answer(m, "AT+CEREG?"), ["+CEREG: 2,2"], "searching: no cell")


@test
def identity():
    with stopped_cleanly(note_modem()) as m:
        imei = m.ok("AT+CGSN").lines
        check(len(imei) == 1 and re.fullmatch(r"\d{15}", imei[0]), "IMEI alone: %r" % imei)
        eq(m.ok("AT+CGSN=1").lines, ['+CGSN: "%s"' % imei[0]])
        eq(m.ok("AT+CGSN=0").lines, imei)
        revision = m.ok("AT+CGMR").lines
        check(len(revision) == 1 and "note" in revision[0] and not revision[0].startswith("+"),
              "the revision alone, naming the profile: %r" % revision)


@test
def power_saving_requests():
    with stopped_cleanly(note_modem()) as m:
        eq(m.ok("AT+CPSMS?").lines, ['+CPSMS: 0,,,"",""'], "off, nothing asked")
        m.ok('AT+CPSMS=1,,,"01000111","00100100"')
        eq(m.ok("AT+CPSMS?").lines, ['+CPSMS: 1,,,"01000111","00100100"'])
        m.err('AT+CPSMS=1,,,"0100011","00100100"', 50)
        m.ok("AT+CPSMS=2")
        eq(m.ok("AT+CPSMS?").lines, ['+CPSMS: 0,,,"",""'], "mode 2 forgets the values")
        eq(m.ok("AT+CEDRXS?").lines, [], "no eDRX asked: no line")
        m.ok('AT+CEDRXS=1,5,"0101"')
        eq(m.ok("AT+CEDRXS?").lines, ['+CEDRXS: 5,"0101"'])
        m.err('AT+CEDRXS=1,4,"0101"', 50)
        m.ok("AT+CEDRXS=0")
        eq(m.ok("AT+CEDRXS?").lines, [])


@test
def unknown_commands():
    with stopped_cleanly(note_modem("--radio-unknown", "cesq,cgmr", "--radio-unknown", "cpsms")) as m:
        for command in ("AT+CESQ", "AT+CGMR", "AT+CPSMS?"):
            m.err(command, 504)
        for command in ("AT+CSQ", "AT+CEREG?", "AT+CSCON?", "AT+CGSN", "AT+CEDRXS?"):
            m.ok(command)
    with stopped_cleanly(note_modem("--radio-unknown", "all")) as m:
        for command in RADIO:
            m.err(command, 504)
        m.ok("AT+CMEE=0")
        eq(m.cmd("AT+CSQ").final, "ERROR", "a bare ERROR without error codes")
    for bad in ("csq,", "signal", ""):
        expect_bad_args(["--radio-unknown", bad], "--radio-unknown")
    for switch, bad in (("--rsrp", "-139.5"), ("--rsrp", "-141"), ("--rsrp", "-43"),
                        ("--rsrq", "-20"), ("--rsrq", "-2.5"), ("--rsrq", "-10.25"),
                        ("--rssi", "-72"), ("--rssi", "-115"), ("--rssi", "strong")):
        expect_bad_args([switch, bad], switch)


@test
def rrc_state_follows_the_radio():
    with stopped_cleanly(note_modem()) as m:
        eq(answer(m, "AT+CSCON?"), ["+CSCON: 0,0"], "no air model: idle")
        eq(m.ok("AT+CSCON=?").lines, ["+CSCON: (0,1)"])
    echo = UdpEcho()
    with stopped_cleanly(note_modem("--network", "nbiot", "--network-scale", "10"), echo) as m:
        m.ok("AT+CSCON=1")
        eq(answer(m, "AT+CSCON?"), ["+CSCON: 1,0"], "the radio starts idle")
        m.ok("AT#SOCKETCREATE=5,0,UDP,0,1,1,1")
        m.ok("AT#IPSENDUDP=5,0,127.0.0.1,%d,0,0,,ping" % echo.port)
        m.wait_urc("+CSCON: 1", timeout=PATIENCE)  # asked for with AT+CSCON=1
        eq(answer(m, "AT+CSCON?"), ["+CSCON: 1,1"], "connected while data flows")
        m.wait_urc("#IPRECV: 5,0", timeout=PATIENCE)
        m.wait_urc("+CSCON: 0", timeout=PATIENCE)  # 1 s after the last byte (10 s scaled)
        eq(answer(m, "AT+CSCON?"), ["+CSCON: 1,0"], "idle after the idle time")
        m.ok("AT+CSCON=0")
        m.err("AT+CSCON=2", 50)


@test
def reboot_resets_presentation():
    with stopped_cleanly(note_modem("--reboot-after", "3")) as m:
        m.ok("AT+CEREG=5")
        m.ok("AT+CSCON=1")
        m.write(b"AT\r\n")  # the fourth command: the modem reboots instead
        m.wait_urc("#IPCFG:")
        m.ok("AT+CMEE=1")
        eq(answer(m, "AT+CEREG?"), ["+CEREG: 0,1"])
        eq(answer(m, "AT+CSCON?"), ["+CSCON: 0,0"])


def main():
    selftest.TESTS[:] = TESTS
    return selftest.main()


if __name__ == "__main__":
    sys.exit(main())

"""st87ctl at: one command and its result; the interactive terminal with URCs."""

from ctl_fixture import Terminal, check, fake_modem, main, run
from fakemodem_fixture import CID, udp_echo_server


def test_one_shot(programs):
    # A fresh fake modem has AT+CMEE off: --no-cmee then shows the bare ERROR.
    with fake_modem(programs) as modem:
        ctl = [programs.st87ctl, "--port", modem.link]
        result = run(programs, *ctl, "at", "--no-cmee", f"AT#SOCKETCLOSE={CID},2")
        check(result.returncode == 1 and "ERROR" in result.stdout,
              "--no-cmee: a bare ERROR, exit 1", result)

        result = run(programs, *ctl, "at", "AT")
        check(result.returncode == 0 and result.stdout == "OK\n", "at AT prints OK, exit 0",
              result)

        result = run(programs, *ctl, "at", f"AT#SOCKETCLOSE={CID},2")
        check(result.returncode == 1, "at AT#SOCKETCLOSE=<cid>,2 exits 1", result)
        check("+CME ERROR: 2104 (tcpip invalid parameter : socket id)" in result.stdout,
              "the CME code with the note's text", result)

        result = run(programs, *ctl, "at", "AT#IPCFG?")
        check(result.returncode == 0 and
              result.stdout.splitlines() == ['#IPCFG: %d,1,"127.0.0.1","::1"' % CID, "OK"],
              "the information lines, then OK", result)

        result = run(programs, *ctl, "at", "AT", "AT")
        check(result.returncode == 2, "two commands: usage error", result)
        result = run(programs, *ctl, "at", "")
        check(result.returncode == 2, "an empty command: usage error", result)


def test_terminal(programs):
    terminal = None
    try:
        with udp_echo_server() as echo_port, fake_modem(programs) as modem:
            terminal = Terminal(programs, modem.link)
            terminal.send("AT")
            terminal.wait_for(lambda line: line == "OK", "the terminal answers AT with OK")
            terminal.send(f"AT#SOCKETCREATE={CID},0,UDP,0,1,1,1")
            terminal.wait_for(lambda line: line.startswith("#SOCKETCREATE: 0"),
                              "a UDP socket is created")
            terminal.wait_for(lambda line: line == "OK", "...and OK")
            # The echo comes back as #IPRECV: during the send (a reply line) or
            # after it (an event). Either way the terminal must show it.
            terminal.send("AT#IPSENDUDP=%d,0,127.0.0.1,%d,0,0,5,hello" % (CID, echo_port))
            terminal.wait_for(lambda line: ("#IPRECV: %d,0" % CID) in line or
                              line.startswith("[event] socket 0: data waiting"),
                              "the terminal shows the #IPRECV of the echo")
            terminal.send(f"AT#IPREAD={CID},0")
            terminal.wait_for(lambda line: line == "hello", "AT#IPREAD shows the data")
            terminal.send(f"AT#SOCKETCLOSE={CID},0")
            terminal.send("exit")
            status = terminal.finish()
            check(status == 0, "exit leaves with status 0 (transcript: %r)" % terminal.transcript)
            check(not [line for line in terminal.transcript if "ERROR" in line],
                  "no command failed")
            modem.stop()
            check(modem.stats()["open_sockets"] == 0, "the socket was closed from the terminal")

        # End of input leaves too, and URCs that arrive while idle are shown.
        with udp_echo_server() as echo_port, fake_modem(programs) as modem:
            terminal = Terminal(programs, modem.link)
            terminal.send(f"AT#SOCKETCREATE={CID},0,UDP,0,1,1,1")
            terminal.wait_for(lambda line: line == "OK", "socket created")
            terminal.send("AT#IPSENDUDP=%d,0,127.0.0.1,%d,0,0,3,abc" % (CID, echo_port))
            terminal.wait_for(lambda line: "IPRECV" in line or "data waiting" in line,
                              "the echo is announced")
            status = terminal.finish()
            check(status == 0, "EOF leaves with status 0")
    finally:
        if terminal is not None:
            terminal.kill()


def test(programs):
    test_one_shot(programs)
    test_terminal(programs)


main(test)

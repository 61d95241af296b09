"""st87-udp-echo sends a datagram to a local UDP echo server and prints what comes back."""

from ctl_fixture import FakeModem, UdpEchoServer, check, main, run


def test(programs):
    echo = UdpEchoServer()
    try:
        with FakeModem(programs) as modem:
            result = run(programs, programs.udp_echo, "--port", modem.link, "127.0.0.1",
                         str(echo.port), "ping over NB-IoT")
            check(result.returncode == 0, "st87-udp-echo exits 0", result)
            check(result.stdout == "16 bytes back: ping over NB-IoT\n",
                  "the datagram came back", result)
            check(echo.received == [b"ping over NB-IoT"], "the server got exactly one datagram")

            stats = modem.stop()
            check(stats["open_sockets"] == 0, "the modem socket was closed")
    finally:
        echo.stop()


main(test)

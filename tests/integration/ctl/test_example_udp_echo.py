"""st87-udp-echo sends a datagram to a local UDP echo server and prints what comes back."""

from ctl_fixture import check, fake_modem, main, run
from fakemodem_fixture import udp_echo_server


def test(programs):
    received = []
    with udp_echo_server(received=received) as echo_port, fake_modem(programs) as modem:
        result = run(programs, programs.udp_echo, "--port", modem.link, "127.0.0.1",
                     str(echo_port), "ping over NB-IoT")
        check(result.returncode == 0, "st87-udp-echo exits 0", result)
        check(result.stdout == "16 bytes back: ping over NB-IoT\n",
              "the datagram came back", result)
        check(received == [b"ping over NB-IoT"], "the server got exactly one datagram")

        modem.stop()
        stats = modem.stats()
        check(stats["open_sockets"] == 0, "the modem socket was closed")


main(test)

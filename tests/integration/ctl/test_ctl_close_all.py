"""st87ctl close-all: closes the sockets an earlier process left open on the modem."""

from ctl_fixture import check, fake_modem, main, run
from fakemodem_fixture import CID


def test(programs):
    with fake_modem(programs) as modem:
        ctl = [programs.st87ctl, "--port", modem.link]
        result = run(programs, *ctl, "close-all")
        check(result.returncode == 0 and result.stdout == "no modem socket is open\n",
              "nothing to close", result)

        # Two sockets left behind, as a crashed program would leave them.
        for _ in range(2):
            result = run(programs, *ctl, "at", f"AT#SOCKETCREATE={CID},0,UDP,0,1,1,1")
            check(result.returncode == 0, "a UDP socket is left open", result)

        result = run(programs, *ctl, "close-all")
        check(result.returncode == 0, "close-all exits 0", result)
        check(result.stdout.splitlines() == ["closed socket 0 (UDP)", "closed socket 1 (UDP)",
                                             "2 sockets closed"],
              "close-all says what it closed", result)

        result = run(programs, *ctl, "close-all")
        check(result.stdout == "no modem socket is open\n", "nothing left to close", result)

        modem.stop()
        check(modem.stats()["open_sockets"] == 0, "the fake modem has no socket open")


main(test)

"""st87ctl config: AT#IPPARAMS read, changed field by field, and the restart notice."""

from ctl_fixture import check, fake_modem, main, run


def ipparams_set(modem):
    return [c for c in modem.host_commands() if c.upper().startswith("AT#IPPARAMS=")]


def test(programs):
    with fake_modem(programs) as modem:
        ctl = [programs.st87ctl, "--port", modem.link]
        result = run(programs, *ctl, "config")
        check(result.returncode == 0 and "auto IP on, preferred IPv4" in result.stdout,
              "config alone shows the settings", result)
        check(not ipparams_set(modem), "config alone changes nothing")

        result = run(programs, *ctl, "config", "--auto-ip", "off", "--prefer", "ipv6")
        check(result.returncode == 0, "config --auto-ip off --prefer ipv6 exits 0", result)
        check("now: auto IP off, preferred IPv6, periodicity 65535 s" in result.stdout,
              "the new settings are shown", result)
        check("after it restarts" in result.stdout and "AT#RESET=1" in result.stdout,
              "the restart notice (AT#RESET=1 saves them)", result)
        check(ipparams_set(modem) == ["AT#IPPARAMS=0,1,65535,60"],
              "only the given fields changed")

        result = run(programs, *ctl, "config", "--periodicity", "600", "--auto-ip-timeout", "30")
        check(result.returncode == 0 and
              "now: auto IP off, preferred IPv6, periodicity 600 s, auto-IP timeout 30 s"
              in result.stdout, "the timers change, the rest stays", result)

        for args in (["--auto-ip", "maybe"], ["--prefer", "ipv5"], ["--periodicity", "-1"],
                     ["--auto-ip-timeout", "70000"], ["extra"]):
            result = run(programs, *ctl, "config", *args)
            check(result.returncode == 2 and result.stderr.startswith("st87ctl: "),
                  "config %s: usage error" % " ".join(args), result)
        check(len(ipparams_set(modem)) == 2, "bad values send nothing")

        # The maker's nine fields (NB-sent counting, DNS servers): a change of one of the first
        # four writes the others back as they were, so the DNS servers stay.
        further = '1,"9.9.9.9","149.112.112.112","2620:fe::fe","2620:fe::9"'
        result = run(programs, *ctl, "at", "AT#IPPARAMS=1,0,65535,60," + further)
        check(result.returncode == 0, "nine fields written", result)
        result = run(programs, *ctl, "config", "--periodicity", "600")
        check(result.returncode == 0 and "further fields %s (kept)" % further in result.stdout,
              "config shows the further fields", result)
        check(ipparams_set(modem)[-1] == "AT#IPPARAMS=1,0,600,60," + further,
              "the further fields written back: %r" % ipparams_set(modem)[-1])
        result = run(programs, *ctl, "at", "AT#IPPARAMS?")
        check("#IPPARAMS: 1,0,600,60," + further in result.stdout, "the DNS servers stay", result)

        # Six fields, as another of the maker's drivers writes them.
        run(programs, *ctl, "at", 'AT#IPPARAMS=1,0,600,60,0,"9.9.9.9"')
        result = run(programs, *ctl, "config", "--auto-ip", "off")
        check(ipparams_set(modem)[-1] == 'AT#IPPARAMS=0,0,600,60,0,"9.9.9.9"',
              "six fields written back: %r" % ipparams_set(modem)[-1])


main(test)

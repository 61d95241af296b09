#!/usr/bin/env python3
"""st87run fails closed: a program the shim cannot reach (static, Go, no libc, a #! script whose
interpreter is one) is refused with exit status 125 and one line, before it runs and before the
modem hears anything; --allow-unrouted runs it anyway; a program linking liburing gets a warning;
--isolate leaves the program only loopback and the routed path.

The servers listen on 127.0.0.1 only. Programs built by a case (Go, gcc) are built in its workdir.

Usage: test_unrouted.py CASE   (meson runs each case as its own test)
"""
import ctypes
import os
import shutil
import subprocess

from fakemodem_fixture import assert_no_modem_socket_left, check, workdir
from harness import Paths, build_go_program, fake_modem, http_server, preload_value, program, random_file, run, run_case, sha256_file, st87d

HERE = os.path.dirname(os.path.abspath(__file__))
REFUSAL_END = ("; its traffic would not go over the modem (--allow-unrouted runs it anyway; a SOCKS5 client can use "
               "st87d --socks-port)\n")


def st87run_env():
    """The test's environment without ST87_* settings: st87run sets them (and adds the shim to LD_PRELOAD)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ST87_") or k.startswith("ST87_TEST")}
    env["LD_PRELOAD"] = preload_value()
    return env


def st87run(modem, *command, options=()):
    return run([Paths.st87run, "--port", modem.link, "--route", "127.0.0.1/32", *options, "--", *command],
               st87run_env())


def check_refused(result, program_path, reason, modem):
    """Exit 125, one line naming @program_path and @reason, the way out; the modem heard nothing."""
    stderr = result.stderr.decode(errors="replace")
    check(result.returncode == 125, "refused: exit 125", result)
    check(stderr.startswith("st87run: %s: " % program_path) and reason in stderr and stderr.endswith(REFUSAL_END)
          and stderr.count("\n") == 1, "one line naming %s and '%s'" % (program_path, reason), result)
    check(modem.host_commands() == [], "the modem heard nothing: %r" % modem.host_commands())


def gcc(tmp, name, source, *flags):
    path = os.path.join(tmp, name)
    with open(path + ".c", "w") as f:
        f.write(source)
    built = subprocess.run(["gcc", "-o", path, path + ".c", *flags], capture_output=True)
    check(built.returncode == 0, "gcc %s" % name, built)
    return path


def script(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)
    return path


def case_static_busybox_refused():
    """busybox wget (Debian's busybox-static): refused before it runs; --allow-unrouted fetches unrouted."""
    busybox = program("busybox")
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        digest = random_file(os.path.join(tmp, "f.bin"), 64 * 1024)
        out = os.path.join(tmp, "got.bin")
        url = "http://127.0.0.1:%d/f.bin" % server.server_port
        result = st87run(modem, "busybox", "wget", "-q", "-O", out, url)
        check_refused(result, busybox, "statically linked (no PT_INTERP)", modem)
        check(not os.path.exists(out), "busybox did not run")
        # The way out: it runs, and its traffic does not go over the modem (what the refusal prevents).
        result = st87run(modem, "busybox", "wget", "-q", "-O", out, url, options=["--allow-unrouted"])
        check(result.returncode == 0 and sha256_file(out) == digest, "--allow-unrouted runs busybox wget", result)
        check(modem.host_commands() == [], "busybox's fetch went around the modem: %r" % modem.host_commands())
        assert_no_modem_socket_left(modem)


def case_go_program_refused():
    """A Go net/http GET (CGO_ENABLED=0): refused as a Go program; --allow-unrouted runs it, unrouted, and
    under --isolate too it reaches nothing."""
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        go_program = build_go_program(tmp)
        digest = random_file(os.path.join(tmp, "f.bin"), 64 * 1024)
        out = os.path.join(tmp, "got.bin")
        url = "http://127.0.0.1:%d/f.bin" % server.server_port
        result = st87run(modem, go_program, url, out)
        check_refused(result, go_program, "a Go program (the Go build-id note)", modem)
        check(not os.path.exists(out), "the Go program did not run")
        result = st87run(modem, go_program, url, out, options=["--allow-unrouted"])
        check(result.returncode == 0 and sha256_file(out) == digest, "--allow-unrouted runs the Go program", result)
        check(modem.host_commands() == [], "the Go program's fetch went around the modem")
        # Under --isolate the same run has no way out: it fails at once, saying so.
        os.unlink(out)
        result = st87run(modem, go_program, url, out, options=["--allow-unrouted", "--isolate"])
        check(result.returncode == 1 and b"connection refused" in result.stderr and not os.path.exists(out),
              "the Go program under --isolate fails with its error", result)
        check(modem.host_commands() == [], "nor did it reach the modem")
        assert_no_modem_socket_left(modem)


def case_static_c_program_and_no_libc_refused():
    """A C program built with gcc -static, and a dynamic one that links no libc: both refused."""
    with workdir() as tmp, fake_modem(tmp) as modem:
        static = gcc(tmp, "static", "int main(void) { return 0; }\n", "-static")
        check_refused(st87run(modem, static), static, "statically linked", modem)
        # Dynamic (PT_INTERP, DT_NEEDED) but without libc: its own _start, one library of its own.
        library = gcc(tmp, "libnothing.so", "int nothing(void) { return 0; }\n", "-shared", "-fPIC", "-nostdlib")
        no_libc = gcc(tmp, "no-libc", "int nothing(void);\nvoid _start(void) { nothing(); __builtin_trap(); }\n",
                      "-nostdlib", library, "-Wl,-rpath," + tmp)
        check_refused(st87run(modem, no_libc), no_libc, "links no libc (none among its DT_NEEDED)", modem)


def case_scripts_follow_their_interpreter():
    """#!/bin/sh runs and routes curl; a script whose interpreter is static is refused (directly or by env)."""
    busybox = program("busybox")
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        for line, interpreter in (("#!%s sh\n" % busybox, busybox), ("#!/usr/bin/env -S busybox sh -e\n", busybox)):
            path = script(tmp, "static-interpreter.sh", line + "echo ran\n")
            result = st87run(modem, path)
            check_refused(result, path, "its interpreter %s (#!): statically linked" % interpreter, modem)
            check(b"ran" not in result.stdout, "the script did not run")
        digest = random_file(os.path.join(tmp, "f.bin"), 64 * 1024)
        out = os.path.join(tmp, "got.bin")
        path = script(tmp, "fetch.sh", "#!/bin/sh\nexec curl -s -o \"$1\" \"$2\"\n")
        result = st87run(modem, path, out, "http://127.0.0.1:%d/f.bin" % server.server_port)
        check(result.returncode == 0 and result.stderr == b"", "a #!/bin/sh script runs, no line", result)
        check(sha256_file(out) == digest, "the script's curl fetched the file byte-exact")
        check("AT#IPREAD" in modem.trace(), "the script's curl went over the modem")
        assert_no_modem_socket_left(modem)


def case_liburing_warned():
    """A program that links liburing runs, routed, after a one-line warning."""
    with workdir() as tmp, fake_modem(tmp) as modem:
        library = gcc(tmp, "liburing.so.2", "int io_uring_stand_in(void) { return 0; }\n", "-shared", "-fPIC",
                      "-Wl,-soname,liburing.so.2")
        uring = gcc(tmp, "uses-uring", "int io_uring_stand_in(void);\nint main(void) { return io_uring_stand_in(); }\n",
                    library, "-Wl,-rpath," + tmp)
        result = st87run(modem, uring)
        check(result.returncode == 0, "it runs", result)
        check(result.stderr.decode() == "st87run: warning: %s: links liburing: its io_uring socket operations "
              "bypass the shim\n" % uring, "one warning line", result)


def case_isolate_routes_and_leaves_only_loopback():
    """--isolate: curl over the modem byte-exact, only lo in the namespace; an unrouted fetch reaches nothing."""
    busybox = program("busybox")
    with workdir() as tmp, http_server(tmp) as server, fake_modem(tmp) as modem:
        digest = random_file(os.path.join(tmp, "f.bin"), 100 * 1024)
        out = os.path.join(tmp, "got.bin")
        devices = os.path.join(tmp, "net-dev")
        url = "http://127.0.0.1:%d/f.bin" % server.server_port
        fetch = script(tmp, "fetch.sh", "#!/bin/sh\ncat /proc/net/dev > \"$1\" && exec curl -s -o \"$2\" \"$3\"\n")
        result = st87run(modem, fetch, devices, out, url, options=["--isolate"])
        check(result.returncode == 0, "curl under --isolate", result)
        check(sha256_file(out) == digest, "curl under --isolate fetched the file byte-exact")
        check("AT#IPREAD" in modem.trace(), "curl under --isolate went over the modem")
        with open(devices) as f:
            interfaces = [line.split(":")[0].strip() for line in f.read().splitlines()[2:]]
        check(interfaces == ["lo"], "only lo in the namespace: %r" % interfaces)
        commands_before = modem.host_commands()
        # What the shim does not route finds no server: the host's loopback is not the namespace's.
        os.unlink(out)
        result = st87run(modem, busybox, "wget", "-q", "-O", out, url, options=["--isolate", "--allow-unrouted"])
        check(result.returncode != 0 and not os.path.exists(out), "an unrouted fetch under --isolate fails", result)
        check(modem.host_commands() == commands_before, "nor did it reach the modem")
        # Through st87d: its socket is bound to a path, which the namespace reaches.
        with st87d(tmp, modem) as daemon:
            result = st87run(modem, fetch, devices, out, url, options=["--isolate", "--daemon", daemon.socket])
            check(result.returncode == 0 and sha256_file(out) == digest, "curl under --isolate through st87d", result)
            check("(curl): connected over modem socket" in daemon.log(), "st87d carried curl's connection: %s" % daemon.log())
        assert_no_modem_socket_left(modem)


def case_isolate_as_another_user():
    """--isolate for a user who is not root: a user namespace of its own, the same uid seen, only lo."""
    check(os.geteuid() == 0, "this case switches to nobody, so it runs as root (as the suites do)")
    nobody = 65534
    env = dict(st87run_env(), ST87_PORT="/dev/null/no-modem")
    result = run(["setpriv", "--reuid=%d" % nobody, "--regid=%d" % nobody, "--clear-groups", Paths.st87run,
                  "--isolate", "--", "sh", "-c", "id -u; tail -n +3 /proc/net/dev"], env)
    check(result.returncode == 0, "st87run --isolate as nobody", result)
    lines = result.stdout.decode().splitlines()
    check(lines[0] == str(nobody), "the program runs as nobody still: %r" % lines[0])
    check([line.split(":")[0].strip() for line in lines[1:]] == ["lo"], "only lo: %r" % lines[1:])


CLONE_NEWUSER = 0x10000000


def run_where_no_user_namespace_is_allowed(command, env, stderr_path):
    """@command as nobody in a user namespace (uids and gids 0..65535 mapped as outside) whose
    max_user_namespaces is 0: no namespace of its own can be made there. Returns its exit status."""
    unshared_r, unshared_w = os.pipe()
    mapped_r, mapped_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(CLONE_NEWUSER) != 0:
                os._exit(90)
            os.write(unshared_w, b"u")
            os.read(mapped_r, 1)
            with open("/proc/sys/user/max_user_namespaces", "w") as f:
                f.write("0")
            error_fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT, 0o644)
            os.dup2(error_fd, 2)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            os.execve(command[0], command, env)
        finally:
            os._exit(91)
    os.read(unshared_r, 1)
    # Written from outside, by root: a mapping of many ids needs CAP_SETUID in the parent namespace.
    for name in ("uid_map", "gid_map"):
        with open("/proc/%d/%s" % (pid, name), "w") as f:
            f.write("0 0 65536\n")
    os.write(mapped_w, b"m")
    for fd in (unshared_r, unshared_w, mapped_r, mapped_w):
        os.close(fd)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def case_isolate_refused_where_no_namespace_can_be_made():
    """--isolate where the kernel gives this user no user namespace: one line, exit 125, the command not run."""
    check(os.geteuid() == 0, "this case maps users into a namespace, so it runs as root (as the suites do)")
    with workdir() as tmp:
        marker = os.path.join(tmp, "ran")
        os.chmod(tmp, 0o777)
        errors = os.path.join(tmp, "stderr")
        status = run_where_no_user_namespace_is_allowed(
            [Paths.st87run, "--isolate", "--", "touch", marker], dict(st87run_env(), ST87_PORT="/dev/null/no-modem"),
            errors)
        with open(errors) as f:
            stderr = f.read()
        check(status == 125, "exit 125, not %d: %r" % (status, stderr))
        check(stderr == "st87run: --isolate: cannot make a network namespace: not root, and the kernel refuses this "
              "user a user namespace (No space left on device; see /proc/sys/user/max_user_namespaces)\n",
              "one line saying why: %r" % stderr)
        check(not os.path.exists(marker), "the command did not run")


def case_loader_would_skip_the_shim_refused():
    """A set-user-ID program run by another user (the loader ignores LD_PRELOAD's paths), and a missing shim."""
    check(os.geteuid() == 0, "this case switches to nobody, so it runs as root (as the suites do)")
    nobody = 65534
    env = dict(st87run_env(), ST87_PORT="/dev/null/no-modem")
    with workdir() as tmp:
        os.chmod(tmp, 0o755)
        setuid_true = os.path.join(tmp, "setuid-true")
        shutil.copy(program("true"), setuid_true)
        os.chmod(setuid_true, 0o4755)
        as_nobody = ["setpriv", "--reuid=%d" % nobody, "--regid=%d" % nobody, "--clear-groups", Paths.st87run, "--"]
        result = run(as_nobody + [setuid_true], env)
        check(result.returncode == 125 and result.stderr.decode() == "st87run: %s: set-user-ID: the loader ignores "
              "LD_PRELOAD's paths for it (secure mode)%s" % (setuid_true, REFUSAL_END), "set-user-ID refused", result)
        result = run([Paths.st87run, "--", setuid_true], env)
        check(result.returncode == 0 and result.stderr == b"", "its owner runs it, preloaded", result)
        # Set-group-ID to a group nobody is a supplementary member of: the kernel still runs it securely (its
        # effective gid is not the real one), so it is refused; without group-execute the bit does nothing.
        staff = 50
        setgid_true = os.path.join(tmp, "setgid-true")
        shutil.copy(program("true"), setgid_true)
        os.chown(setgid_true, 0, staff)
        os.chmod(setgid_true, 0o2755)
        in_staff = ["setpriv", "--reuid=%d" % nobody, "--regid=%d" % nobody, "--groups=%d" % staff, Paths.st87run,
                    "--"]
        result = run(in_staff + [setgid_true], env)
        check(result.returncode == 125 and result.stderr.decode() == "st87run: %s: set-group-ID: the loader ignores "
              "LD_PRELOAD's paths for it (secure mode)%s" % (setgid_true, REFUSAL_END),
              "set-group-ID to a supplementary group refused", result)
        os.chmod(setgid_true, 0o2745)
        result = run(as_nobody + [setgid_true], env)
        check(result.returncode == 0 and result.stderr == b"", "set-group-ID without group-execute: runs", result)
        result = run([Paths.st87run, "--", "true"], dict(env, ST87_SHIM_LIBRARY=os.path.join(tmp, "missing.so")))
        check(result.returncode == 125 and b"missing.so: No such file or directory; nothing would be routed"
              in result.stderr, "a missing shim: refused", result)


CASES = {name[len("case_"):]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    run_case(CASES, "test_unrouted.py")

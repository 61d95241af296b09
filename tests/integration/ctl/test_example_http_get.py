"""st87-http-get fetches a 100 KiB random file from a local http.server, byte-exact."""

import functools
import hashlib
import http.server
import os
import shutil
import tempfile
import threading

from ctl_fixture import check, fake_modem, main, run

FILE_SIZE = 100 * 1024


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass  # the test's output is the checks, not the access log


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test(programs):
    site = tempfile.mkdtemp(prefix="st87-http-site-")
    server = None
    try:
        with open(os.path.join(site, "random.bin"), "wb") as f:
            f.write(os.urandom(FILE_SIZE))
        handler = functools.partial(QuietHandler, directory=site)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = str(server.server_address[1])

        with fake_modem(programs) as modem:
            output = os.path.join(modem.workdir, "downloaded.bin")
            result = run(programs, programs.http_get, "--port", modem.link, "-o", output,
                         "127.0.0.1", port, "/random.bin")
            check(result.returncode == 0, "st87-http-get exits 0", result)
            check(os.path.getsize(output) == FILE_SIZE, "100 KiB written to -o FILE", result)
            check(sha256_of(output) == sha256_of(os.path.join(site, "random.bin")),
                  "the file is byte-exact (sha256)", result)

            # Without -o the body goes to stdout.
            with open(os.path.join(site, "hello.txt"), "w") as f:
                f.write("hello through the modem\n")
            result = run(programs, programs.http_get, "--port", modem.link, "127.0.0.1", port,
                         "/hello.txt")
            check(result.returncode == 0 and result.stdout == "hello through the modem\n",
                  "the body on stdout", result)

            result = run(programs, programs.http_get, "--port", modem.link, "127.0.0.1", port,
                         "/missing")
            check(result.returncode == 1 and "404" in result.stderr,
                  "a 404 exits 1 and says so", result)

            modem.stop()
            stats = modem.stats()
            check(stats["open_sockets"] == 0, "every modem socket was closed")
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        shutil.rmtree(site, ignore_errors=True)


main(test)

#!/usr/bin/env python3
"""http_fixture.py DIR PORTFILE: a loopback HTTP server for the fetch tests.

Serves the files of DIR on 127.0.0.1 (a free port, written to PORTFILE). Paths under /truncated/
announce the full Content-Length but send only half the body and close, to imitate a dropped
connection. Stops by itself after 60 seconds.
"""
import http.server
import os
import sys
import threading


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/truncated/"):
            path = os.path.join(self.directory, self.path[len("/truncated/"):])
            try:
                data = open(path, "rb").read()
            except OSError:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()


def main():
    directory, portfile = sys.argv[1], sys.argv[2]
    handler = lambda *a, **k: Handler(*a, directory=directory, **k)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    threading.Timer(60, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""An HTTP/1.1 server for the tests of ./blobs-bench.

It keeps blobs in memory and answers the blob API well, or badly on
purpose, as MODE says:

  good       every answer right, kept alive
  closeok    every answer right, then "Connection: close" and a close
  dropidle   every answer right, then a close with no word of warning
  status     every answer a 500
  body       GETs of blobs come back with one byte changed
  mixed      request n: n % 6 == 0 a 500, 1 no length, 2 a close half-way
             through the head, 3 no answer at all, 4 a body where none
             belongs, 5 right (meant for --baseline)
  stall      read requests, never answer
  pause      right, but request number PAUSE_AT (default 100) holds every
             connection for PAUSE seconds (default 1)

Usage: bad_server.py PORT MODE. It listens on 127.0.0.1 only and runs
until it is killed. Standard library only.
"""

import json
import os
import socket
import socketserver
import sys
import threading
import time

MAX_HEAD = 64 * 1024

blobs = {}
counter_lock = threading.Lock()
counter = [0]
pause_lock = threading.Lock()


def next_request_number():
    with counter_lock:
        number = counter[0]
        counter[0] += 1
        return number


def read_request(sock, buf):
    """Return ((method, path, headers, body), rest), or (None, b"") at EOF."""
    while b"\r\n\r\n" not in buf:
        if len(buf) > MAX_HEAD:
            return None, b""
        data = sock.recv(65536)
        if not data:
            return None, b""
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            return None, b""
        rest += data
    return (method, target, headers, rest[:length]), rest[length:]


def response(status, body=b"", fields=""):
    reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed",
              409: "Conflict", 500: "Internal Server Error"}.get(status, "X")
    head = "HTTP/1.1 %d %s\r\nContent-Length: %d\r\n%s\r\n" % (
        status, reason, len(body), fields)
    return head.encode("latin-1") + body


def serve_api(method, path):
    """The blob API, right, in memory: (status, body)."""
    parts = path.split("?")[0].split("/")
    if path == "/" and method == "GET":
        return 200, b""
    if len(parts) == 4 and parts[1] == "blobs" and parts[3] == "":
        if method != "GET":
            return 405, b""
        prefix = "/blobs/%s/" % parts[2]
        ids = sorted(k[len(prefix):] for k in blobs if k.startswith(prefix))
        return 200, json.dumps(ids).encode()
    if len(parts) == 4 and parts[1] == "blobs":
        return None, None
    return 404, b"Not Found"


def serve_blob(method, path, body):
    if method == "PUT":
        if path in blobs:
            return 409, b"Blob already exists"
        blobs[path] = body
        return 200, b""
    if path not in blobs:
        return 404, b"Not Found"
    if method == "GET":
        return 200, blobs[path]
    if method == "POST":
        return 200, b""
    if method == "DELETE":
        del blobs[path]
        return 200, b""
    return 405, b""


def right_answer(method, path, body):
    status, out = serve_api(method, path)
    if status is None:
        status, out = serve_blob(method, path, body)
    return status, out


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        mode = self.server.mode
        sock = self.request
        buf = b""
        while True:
            request, buf = read_request(sock, buf)
            if request is None:
                return
            method, path, _, body = request
            number = next_request_number()

            if mode == "stall" or (mode == "mixed" and number % 6 == 3):
                while sock.recv(65536):
                    pass
                return
            if mode == "mixed" and number % 6 == 2:
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Len")
                return
            if mode == "status" or (mode == "mixed" and number % 6 == 0):
                sock.sendall(response(500, b"broken on purpose"))
                continue
            if mode == "mixed" and number % 6 == 1:
                sock.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
                return
            if mode == "mixed" and number % 6 == 4:
                sock.sendall(response(200, b"unexpected"))
                continue

            status, out = right_answer(method, path, body)
            if mode == "body" and method == "GET" and len(out) > 100:
                out = out[:100] + bytes([out[100] ^ 1]) + out[101:]
            if mode == "pause" and number == self.server.pause_at:
                with pause_lock:
                    time.sleep(self.server.pause)
            elif mode == "pause":
                with pause_lock:
                    pass

            if mode == "closeok":
                sock.sendall(response(status, out, "Connection: close\r\n"))
                return
            sock.sendall(response(status, out))
            if mode == "dropidle":
                return


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 1024


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    port, mode = int(sys.argv[1]), sys.argv[2]
    modes = ("good", "closeok", "dropidle", "status", "body", "mixed",
             "stall", "pause")
    if mode not in modes:
        sys.exit("unknown mode %r; one of %s" % (mode, ", ".join(modes)))
    server = Server(("127.0.0.1", port), Handler)
    server.mode = mode
    server.pause_at = int(os.environ.get("PAUSE_AT", "100"))
    server.pause = float(os.environ.get("PAUSE", "1"))
    server.serve_forever()


if __name__ == "__main__":
    main()

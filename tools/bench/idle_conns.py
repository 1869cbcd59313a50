#!/usr/bin/env python3
"""Open N keep-alive connections to 127.0.0.1:PORT, make one request on
each, then hold them all idle until stdin closes.

    idle_conns.py PORT N

Prints "ready N" once every connection has had its answer, so the caller
can measure the server with N idle connections open.
"""
import socket
import sys


def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    request = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
    conns = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(request)
        conns.append(sock)
    for sock in conns:
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                sys.exit("connection closed before its answer")
            answer += chunk
        if not answer.startswith(b"HTTP/1.1 200"):
            sys.exit("unexpected answer: %r" % answer[:40])
    print("ready", len(conns), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()

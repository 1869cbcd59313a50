#!/usr/bin/env python3
"""Send raw bytes to a server and print what comes back, byte for byte.

    rawhttp.py PORT [--pause-after-head] [--wait S] [--shut] < request

Reads the request bytes from stdin (with --pause-after-head, it sends the
head, waits to read a response line, then sends the rest). Prints all the
bytes received until the server closes or nothing arrives for --wait
seconds (default 2), and then on stderr one line: "closed" if the server
closed the connection, "open" if it was still open, "reset" on a reset.
Talks to 127.0.0.1 only.
"""
import socket
import sys


def main():
    args = sys.argv[1:]
    port = int(args[0])
    wait = 2.0
    if "--wait" in args:
        wait = float(args[args.index("--wait") + 1])
    data = sys.stdin.buffer.read()

    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.settimeout(wait)
    received = bytearray()

    if "--pause-after-head" in args:
        head_end = data.index(b"\r\n\r\n") + 4
        sock.sendall(data[:head_end])
        try:
            chunk = sock.recv(65536)
            received += chunk
        except socket.timeout:
            pass
        data = data[head_end:]
        if b" 100 " not in bytes(received[:16]):
            data = b""
    if data:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
    if "--shut" in args:
        sock.shutdown(socket.SHUT_WR)

    state = "open"
    while True:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            state = "reset"
            break
        if not chunk:
            state = "closed"
            break
        received += chunk
    sys.stdout.buffer.write(bytes(received))
    sys.stdout.flush()
    print(state, file=sys.stderr)


if __name__ == "__main__":
    main()

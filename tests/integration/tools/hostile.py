#!/usr/bin/python3
"""Hostile and overloading clients for the blob server's tests.

    hostile.py COMMAND PORT [options]

Every command talks to 127.0.0.1 only, bounds its own running time, and
prints its findings as `key=value` words on one line (or one line per
phase), so a shell test can read them back (`word KEY FILE` in hostile-lib.sh).

  slowloris   connections that trickle a request head one byte at a time
              and never finish it; when did the server close each one?
  timed       plain requests, one after another, with their latency
  idlerace    a second request on a keep-alive connection sent right as
              its idle timeout expires: answered, clean close or reset?
  overload    more connections than the server has descriptors for
  hold        idle keep-alive connections, held open for a while
  slowread    download a blob, reading at a bounded rate
  slowbody    upload a body one byte at a time, then stall
  pipeline    pipeline requests without ever reading the answers
  puts        many PUTs at once from many connections to several ports
  requests    requests with any bytes in their targets, one per line
  termrace    requests that arrive on idle connections with a SIGTERM
  pieces      one request in two writes, cut where the test says

Standard library only; run it with /usr/bin/python3.
"""

import argparse
import codecs
import http.client
import os
import selectors
import signal
import socket
import statistics
import sys
import threading
import time

HOST = "127.0.0.1"
REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
# A head that never ends: one more header byte per tick, forever.
ENDLESS_HEAD = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "


def say(**words):
    print(" ".join("%s=%s" % item for item in words.items()), flush=True)


def connect_nonblocking():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        sock.connect((HOST, ARGS.port))
    except BlockingIOError:
        pass
    return sock


def classify(data):
    """What the first bytes of an answer say: its status, or eof."""
    if not data:
        return "eof"
    if data.startswith(b"HTTP/1.1 ") and len(data) >= 12:
        return data[9:12].decode("ascii", "replace")
    return "garbage"


def read_answer(sock, timeout, head_only=False):
    """Read one whole response (head and Content-Length body, no body
    after a HEAD); return (status, body, how) where how is complete, eof,
    reset or timeout."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return classify(data), b"", "eof"
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length" and not head_only:
                length = int(value.strip())
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return classify(data), body, "eof"
            body += chunk
        return classify(data), body, "complete"
    except ConnectionResetError:
        return classify(data), b"", "reset"
    except socket.timeout:
        return classify(data), b"", "timeout"


# ---- slowloris ---------------------------------------------------------

def cmd_slowloris():
    """--conns connections send ENDLESS_HEAD one byte per --interval,
    starting after --delay. Report how long each lived (from connect to
    the server's answer or close, whichever came first), how many ended,
    and how many of those got a 408 first."""
    sel = selectors.DefaultSelector()
    start = time.monotonic()
    conns = {}
    for _ in range(ARGS.conns):
        sock = connect_nonblocking()
        conns[sock] = {"sent": 0, "born": time.monotonic(), "end": None,
                       "how": None}
        sel.register(sock, selectors.EVENT_READ)

    next_tick = start + ARGS.delay
    deadline = start + ARGS.limit
    while time.monotonic() < deadline:
        alive = [s for s, c in conns.items() if c["end"] is None]
        if not alive:
            break
        now = time.monotonic()
        if now >= next_tick:
            for sock in alive:
                state = conns[sock]
                piece = (ENDLESS_HEAD[state["sent"]:state["sent"] + 1]
                         if state["sent"] < len(ENDLESS_HEAD) else b"a")
                try:
                    sock.send(piece)
                    state["sent"] += 1
                except (BrokenPipeError, ConnectionResetError):
                    state["end"], state["how"] = time.monotonic(), "reset"
                    sel.unregister(sock)
                except BlockingIOError:
                    pass
            next_tick += ARGS.interval
        timeout = max(0.0, min(next_tick, deadline) - time.monotonic())
        for key, _ in sel.select(timeout):
            sock = key.fileobj
            state = conns[sock]
            try:
                data = sock.recv(65536)
                how = "answered" if data else "closed"
            except ConnectionResetError:
                how = "reset"
            except BlockingIOError:
                continue
            if how == "answered":
                state["answer"] = classify(data)
            state["end"], state["how"] = time.monotonic(), how
            sel.unregister(sock)

    lives = [c["end"] - c["born"] for c in conns.values()
             if c["end"] is not None]
    hows = [c["how"] for c in conns.values()]
    answers = [c.get("answer") for c in conns.values() if c.get("answer")]
    say(conns=len(conns),
        ended=len(lives),
        reset=hows.count("reset"),
        answered=len(answers),
        s408=answers.count("408"),
        still_open=hows.count(None),
        min_life=("%.3f" % min(lives)) if lives else "-",
        max_life=("%.3f" % max(lives)) if lives else "-",
        bytes_sent_max=max(c["sent"] for c in conns.values()))
    for sock in conns:
        sock.close()


# ---- timed -------------------------------------------------------------

def cmd_timed():
    """--count GETs of --path, --interval apart, each on a fresh
    connection (or all on one with --keepalive); report latencies."""
    latencies = []
    failed = 0
    sock = None
    request = ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % ARGS.path).encode()
    for _ in range(ARGS.count):
        began = time.monotonic()
        try:
            if sock is None or not ARGS.keepalive:
                if sock is not None:
                    sock.close()
                sock = socket.create_connection((HOST, ARGS.port),
                                                timeout=ARGS.timeout)
            sock.sendall(request)
            status, _, how = read_answer(sock, ARGS.timeout)
            if status != "200" or how != "complete":
                failed += 1
                sock.close()
                sock = None
            else:
                latencies.append(time.monotonic() - began)
        except OSError:
            failed += 1
            sock = None
        time.sleep(ARGS.interval)
    if sock is not None:
        sock.close()
    say(ok=len(latencies), failed=failed,
        max_ms=("%.1f" % (1000 * max(latencies))) if latencies else "-",
        median_ms=("%.1f" % (1000 * statistics.median(latencies)))
        if latencies else "-")


# ---- idlerace ----------------------------------------------------------

def cmd_idlerace():
    """Rounds of --conns keep-alive connections: one request each, then a
    second one sent --idle seconds after the first answer, give or take
    up to --spread-ms. The second must be answered or meet a clean close
    (end of file before any byte of an answer), never a reset."""
    counts = {"answered": 0, "clean": 0, "reset": 0, "other": 0}
    for _ in range(ARGS.rounds):
        socks = [socket.create_connection((HOST, ARGS.port), timeout=5)
                 for _ in range(ARGS.conns)]
        answered_at = []
        for sock in socks:
            sock.sendall(REQUEST)
        for sock in socks:
            status, _, how = read_answer(sock, 5)
            if status != "200" or how != "complete":
                counts["other"] += 1
            answered_at.append(time.monotonic())

        spread = ARGS.spread_ms / 1000.0
        plan = []
        for i, sock in enumerate(socks):
            # Offsets sweep evenly across [-spread, +spread].
            step = (i % 21) / 10.0 - 1.0
            plan.append((answered_at[i] + ARGS.idle + step * spread, sock))
        plan.sort(key=lambda item: item[0])
        for when, sock in plan:
            wait = when - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                sock.send(REQUEST)
            except OSError:
                pass

        for sock in socks:
            status, _, how = read_answer(sock, 3)
            if how == "complete" and status == "200":
                counts["answered"] += 1
            elif how == "eof" and status == "eof":
                counts["clean"] += 1
            elif how == "reset" and status == "eof":
                counts["reset"] += 1
            else:
                counts["other"] += 1
            sock.close()
    say(**counts)


# ---- overload ----------------------------------------------------------

def cmd_overload():
    """Open --conns connections at once, each sending one GET. After
    --settle seconds, report phase=held: how many were answered (200),
    shed (503), left waiting (silent) or reset. With --put, one answered
    connection then uploads a small blob (put=STATUS). Wait for the file
    --release (at most --max-wait s), close the answered connections, and
    report phase=released: how many waiting ones were served in the end."""
    socks = [connect_nonblocking() for _ in range(ARGS.conns)]
    time.sleep(0.2)
    for sock in socks:
        try:
            sock.send(REQUEST)
        except OSError:
            pass

    state = {sock: "silent" for sock in socks}
    pending = {sock: b"" for sock in socks}
    settle_end = time.monotonic() + ARGS.settle
    sel = selectors.DefaultSelector()
    for sock in socks:
        sel.register(sock, selectors.EVENT_READ)

    def poll(until):
        while time.monotonic() < until:
            for key, _ in sel.select(max(0.0, until - time.monotonic())):
                sock = key.fileobj
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    data = None
                except BlockingIOError:
                    continue
                if data is None:
                    # A reset after a whole answer (a shed 503 closed
                    # with our request unread) still leaves the answer.
                    if state[sock] == "silent":
                        state[sock] = "reset"
                elif not data:
                    if state[sock] == "silent":
                        state[sock] = "eof"
                else:
                    pending[sock] += data
                    if b"\r\n\r\n" in pending[sock]:
                        state[sock] = classify(pending[sock])
                if data is None or not data:
                    sel.unregister(sock)
            if all(s != "silent" for s in state.values()):
                break

    poll(settle_end)
    values = list(state.values())
    words = {"phase": "held", "answered": values.count("200"),
             "shed": values.count("503"), "silent": values.count("silent"),
             "reset": values.count("reset"), "eof": values.count("eof")}

    answered = [s for s in socks if state[s] == "200"]
    if ARGS.put and answered:
        sock = answered[0]
        sel.unregister(sock)
        sock.setblocking(True)
        sock.sendall(b"PUT /blobs/overload/held HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: 5\r\n\r\nhello")
        status, _, _ = read_answer(sock, 5)
        words["put"] = status
    say(**words)

    give_up = time.monotonic() + ARGS.max_wait
    while time.monotonic() < give_up and not os.path.exists(ARGS.release):
        time.sleep(0.05)
    for sock in answered:
        sock.close()
        del state[sock]
    poll(time.monotonic() + ARGS.settle)
    values = list(state.values())
    say(phase="released", answered=values.count("200"),
        shed=values.count("503"), silent=values.count("silent"),
        reset=values.count("reset"), eof=values.count("eof"))
    for sock in state:
        sock.close()


# ---- hold --------------------------------------------------------------

def cmd_hold():
    """Open --conns keep-alive connections, one request each, then hold
    them idle until --release appears (at most --max-wait s). Report how
    many were answered and, at the end, how many the server kept open."""
    socks = []
    refused = 0
    for _ in range(ARGS.conns):
        try:
            socks.append(socket.create_connection((HOST, ARGS.port),
                                                  timeout=5))
        except OSError:
            refused += 1
    answered = 0
    for sock in socks:
        sock.sendall(REQUEST)
    for sock in socks:
        status, _, how = read_answer(sock, 5)
        answered += status == "200" and how == "complete"
    say(phase="held", conns=len(socks), answered=answered, refused=refused)

    give_up = time.monotonic() + ARGS.max_wait
    while time.monotonic() < give_up and not os.path.exists(ARGS.release):
        time.sleep(0.05)

    still_open = 0
    for sock in socks:
        sock.setblocking(False)
        try:
            # End of file: the server closed it. Bytes: something unasked.
            if sock.recv(1) != b"":
                still_open += 1
        except BlockingIOError:
            still_open += 1
        except OSError:
            pass
        sock.close()
    say(phase="released", still_open=still_open)


# ---- slowread ----------------------------------------------------------

def tcp_state(sock):
    """The kernel's TCP state of a socket (1 is ESTABLISHED)."""
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]


def stall_until_closed(sock, give_up):
    """Read nothing; wait until the server's FIN or reset reaches us (the
    socket leaves ESTABLISHED) or give_up passes. A FIN queued behind
    bytes that our full window refuses never arrives: then "timeout"."""
    while time.monotonic() < give_up:
        if tcp_state(sock) != 1:
            return "closed"
        time.sleep(0.05)
    return "timeout"


def cmd_slowread():
    """GET --path with a small receive buffer, reading at most --rate
    bytes a second; write the body to --out. With --stall, read nothing
    after the head and just wait for the server to give up."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, ARGS.rcvbuf)
    sock.settimeout(ARGS.timeout)
    sock.connect((HOST, ARGS.port))
    sock.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % ARGS.path).encode())
    began = time.monotonic()

    data = b""
    how = "complete"
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if ARGS.stall:
            how = stall_until_closed(sock, began + ARGS.timeout)
            length = len(body)
        slice_bytes = max(1, ARGS.rate // 20)
        while len(body) < length:
            chunk = sock.recv(min(slice_bytes, length - len(body)))
            if not chunk:
                how = "eof"
                break
            body += chunk
            expected_time = began + len(body) / ARGS.rate
            if expected_time > time.monotonic():
                time.sleep(expected_time - time.monotonic())
    except ConnectionResetError:
        how = "reset"
    except socket.timeout:
        how = "timeout"
    with open(ARGS.out, "wb") as out:
        out.write(body)
    say(status=classify(data), bytes=len(body), how=how,
        seconds="%.3f" % (time.monotonic() - began))


# ---- slowbody ----------------------------------------------------------

def cmd_slowbody():
    """PUT --path promising --length bytes; send --send of them, one per
    --interval, then stall. Report whether the server answered or closed,
    and how long after the last byte it did."""
    sock = socket.create_connection((HOST, ARGS.port), timeout=5)
    sock.sendall(("PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                  % (ARGS.path, ARGS.length)).encode())
    closed_early = False
    last = time.monotonic()
    for _ in range(ARGS.send):
        time.sleep(ARGS.interval)
        try:
            sock.send(b"x")
            last = time.monotonic()
        except OSError:
            closed_early = True
            break
    status, _, how = read_answer(sock, ARGS.wait)
    say(early=int(closed_early), status=status, how=how,
        after_last="%.3f" % (time.monotonic() - last))


# ---- pipeline ----------------------------------------------------------

def cmd_pipeline():
    """Send --requests pipelined GETs and never read an answer; keep
    sending for at most --seconds. Report how many bytes went out and how
    the server ended it."""
    sock = socket.create_connection((HOST, ARGS.port), timeout=5)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    payload = REQUEST * ARGS.requests
    sent = 0
    how = "open"
    began = time.monotonic()
    end = began + ARGS.seconds
    while time.monotonic() < end:
        if sent < len(payload):
            try:
                sent += sock.send(payload[sent:sent + 65536])
                continue
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                how = "reset"
                break
        time.sleep(0.05)
        try:
            # Peek only: the answers must pile up unread.
            sock.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            pass
        except ConnectionResetError:
            how = "reset"
            break
    say(sent=sent, requests_sent=sent // len(REQUEST), how=how,
        seconds="%.3f" % (time.monotonic() - began))
    sock.close()


# ---- puts --------------------------------------------------------------

def cmd_puts():
    """--count PUTs of --size bytes to /blobs/USER/PREFIXn, spread over
    the --ports round robin, --concurrency at a time, each on its own
    connection. With --chunked the bodies are sent chunked, in two
    chunks, and with --pause-in-body --pause seconds apart. Report the
    count of each status."""
    ports = [int(p) for p in ARGS.ports.split(",")]
    body = os.urandom(ARGS.size)
    lock = threading.Lock()
    statuses = {}
    next_index = [0]
    barrier = threading.Barrier(ARGS.concurrency)

    def one(index):
        port = ports[index % len(ports)]
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        path = "/blobs/%s/%s%d" % (ARGS.user, ARGS.prefix, index)
        try:
            if ARGS.chunked:
                conn.putrequest("PUT", path)
                conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders()
                half = len(body) // 2
                conn.send(b"%x\r\n%s\r\n" % (half, body[:half]))
                # Still in flight meanwhile, holding what it reserved.
                time.sleep(ARGS.pause if ARGS.pause_in_body else 0)
                conn.send(b"%x\r\n%s\r\n0\r\n\r\n"
                          % (len(body) - half, body[half:]))
            else:
                conn.request("PUT", path, body=body)
            status = str(conn.getresponse().status)
        except (OSError, http.client.HTTPException) as e:
            status = type(e).__name__
        conn.close()
        return status

    def worker():
        try:
            barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= ARGS.count:
                return
            status = one(index)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker)
               for _ in range(ARGS.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    words = {"s%s" % k: v for k, v in sorted(statuses.items())}
    say(total=sum(statuses.values()), **words)


# ---- requests ----------------------------------------------------------

def cmd_requests():
    """Read lines "METHOD TARGET" from --input (Python escapes such as
    \\x00 or \\xc3 allowed in TARGET, so any byte can be sent) and send
    each as a request on a connection of its own, with a small body for
    PUT and POST. Print one line per request: STATUS METHOD TARGET, the
    target as written in the file."""
    bodies = {"PUT": b"x", "POST": b'["PENDING"]'}
    with open(ARGS.input, "rb") as lines:
        for line in lines:
            line = line.rstrip(b"\n")
            if not line or line.startswith(b"#"):
                continue
            method, _, written = line.partition(b" ")
            target = codecs.escape_decode(written)[0]
            body = bodies.get(method.decode(), b"")
            request = (method + b" " + target + b" HTTP/1.1\r\nHost: x\r\n"
                       + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            try:
                sock = socket.create_connection((HOST, ARGS.port),
                                                timeout=ARGS.timeout)
                sock.sendall(request)
                status, _, _ = read_answer(sock, ARGS.timeout,
                                           method == b"HEAD")
                sock.close()
            except OSError:
                status = "error"
            print(status, method.decode(),
                  written.decode("ascii", "replace"), flush=True)


# ---- pieces ------------------------------------------------------------

def cmd_pieces():
    """Send stdin as raw bytes in two writes, cut at --split, --pause
    seconds apart (the server reads and parses the first piece alone).
    Report the status of the answer."""
    data = sys.stdin.buffer.read()
    sock = socket.create_connection((HOST, ARGS.port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.sendall(data[:ARGS.split])
        time.sleep(ARGS.pause)
        sock.sendall(data[ARGS.split:])
    except OSError:
        pass
    status, _, how = read_answer(sock, ARGS.timeout)
    say(status=status, how=how)
    sock.close()


# ---- termrace ----------------------------------------------------------

def cmd_termrace():
    """Requests that reach idle keep-alive connections together with a
    SIGTERM: the server (--pid) is stopped, sent SIGTERM, each of --conns
    idle connections gets a request, and the server is continued, so it
    finds the signal and the requests in one turn of its loop. Each
    request must be answered or meet a clean close, never a reset."""
    socks = [socket.create_connection((HOST, ARGS.port), timeout=5)
             for _ in range(ARGS.conns)]
    for sock in socks:
        sock.sendall(REQUEST)
    for sock in socks:
        read_answer(sock, 5)

    os.kill(ARGS.pid, signal.SIGSTOP)
    try:
        time.sleep(0.2)
        os.kill(ARGS.pid, signal.SIGTERM)
        for sock in socks:
            sock.sendall(REQUEST)
        time.sleep(0.2)
    finally:
        os.kill(ARGS.pid, signal.SIGCONT)

    counts = {"answered": 0, "clean": 0, "reset": 0, "other": 0}
    for sock in socks:
        status, _, how = read_answer(sock, 5)
        if status == "200" and how == "complete":
            counts["answered"] += 1
        elif status == "eof" and how == "eof":
            counts["clean"] += 1
        elif how == "reset":
            counts["reset"] += 1
        else:
            counts["other"] += 1
        sock.close()
    say(**counts)


COMMANDS = {
    "slowloris": cmd_slowloris, "timed": cmd_timed,
    "idlerace": cmd_idlerace, "overload": cmd_overload, "hold": cmd_hold,
    "slowread": cmd_slowread, "slowbody": cmd_slowbody,
    "pipeline": cmd_pipeline, "puts": cmd_puts,
    "requests": cmd_requests, "termrace": cmd_termrace,
    "pieces": cmd_pieces,
}


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("command", choices=sorted(COMMANDS))
    p.add_argument("port", type=int)
    p.add_argument("--conns", type=int, default=10)
    p.add_argument("--interval", type=float, default=0.1)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--limit", type=float, default=10.0)
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--path", default="/")
    p.add_argument("--keepalive", action="store_true")
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--idle", type=float, default=1.0)
    p.add_argument("--spread-ms", type=float, default=10.0)
    p.add_argument("--settle", type=float, default=1.0)
    p.add_argument("--release", default="/nonexistent")
    p.add_argument("--max-wait", type=float, default=10.0)
    p.add_argument("--put", action="store_true")
    p.add_argument("--rate", type=int, default=1 << 20)
    p.add_argument("--rcvbuf", type=int, default=16384)
    p.add_argument("--out", default=os.devnull)
    p.add_argument("--stall", action="store_true")
    p.add_argument("--length", type=int, default=100)
    p.add_argument("--send", type=int, default=10)
    p.add_argument("--wait", type=float, default=5.0)
    p.add_argument("--requests", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--ports", default="")
    p.add_argument("--user", default="u")
    p.add_argument("--prefix", default="b")
    p.add_argument("--size", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--chunked", action="store_true")
    p.add_argument("--pause-in-body", action="store_true")
    p.add_argument("--input", default="/dev/stdin")
    p.add_argument("--pid", type=int, default=0)
    p.add_argument("--split", type=int, default=0)
    p.add_argument("--pause", type=float, default=0.3)
    ARGS = p.parse_args()
    if ARGS.command == "puts" and not ARGS.ports:
        ARGS.ports = str(ARGS.port)
    COMMANDS[ARGS.command]()


ARGS = None

if __name__ == "__main__":
    main()

"""Helpers for the fault, hostile-client, shutdown and scale tests.

- FaultServer: a fake memcached (Python sockets, one selector thread) whose answers are scripted: it can stay
  silent, answer garbage, or close in the middle of a reply. It counts connections and requests.
- DelayProxy: a TCP forwarder in front of a real memcached that holds every request for `delay` seconds, so
  requests stay in flight long enough to be observed (shutdown drain).
- TimedClient: a blocking memcache-text client that reads exactly one reply per request and measures each
  request's wall time (every read is bounded by a socket timeout).
- small things: VmRSS of a process, RSS sampler thread, HTTP GET, `stats` / `stats servers` parsing.
"""

import http.client
import queue
import re
import selectors
import socket
import threading
import time

from mcrelay_testlib import Conn, parse_stats, wait_for

ADMIN_RE = re.compile(r"admin listener on (\S+):(\d+)")

SILENT = object()   # FaultServer action: never answer this request
CLOSE = object()    # FaultServer action: close the connection now (without answering)


class Request:
    """One request as a FaultServer parsed it."""

    def __init__(self, conn_no, line):
        self.conn_no = conn_no
        self.line = line
        parts = line.split()
        self.cmd = parts[0] if parts else b""
        self.keys = parts[1:] if self.cmd in (b"get", b"gets") else parts[1:2]
        self.key = self.keys[0] if self.keys else b""
        self.time = time.monotonic()


class FaultServer:
    """A fake memcached on 127.0.0.1:<free port>.

    `behaviour(request) -> action` decides each answer: bytes (sent as is), SILENT (nothing), CLOSE (close the
    connection), or a tuple (bytes, CLOSE) (send, then close). Storage commands' data blocks are skipped, so
    the behaviour sees one call per request. Runs one selector thread; stop() ends it."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(128)
        self.lsock.setblocking(False)
        self.port = self.lsock.getsockname()[1]
        self.accepted = 0          # connections accepted
        self.peer_closed = 0       # connections the peer (mcrelay) closed or reset
        self.requests = []         # every Request, in arrival order
        self.lock = threading.Lock()
        self._sel = selectors.DefaultSelector()
        self._sel.register(self.lsock, selectors.EVENT_READ, None)
        self._stop = False
        self._conns = {}
        self._thread = threading.Thread(target=self._run, name=f"FaultServer:{self.port}", daemon=True)
        self._thread.start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def requests_for(self, cmd=None):
        with self.lock:
            return [r for r in self.requests if cmd is None or r.cmd == cmd]

    def _run(self):
        while not self._stop:
            for key, _ in self._sel.select(timeout=0.05):
                if key.data is None:
                    self._accept()
                else:
                    self._read(key.fileobj, key.data)

    def _accept(self):
        try:
            sock, _ = self.lsock.accept()
        except (BlockingIOError, InterruptedError):
            return
        sock.setblocking(False)
        with self.lock:
            self.accepted += 1
            state = {"no": self.accepted, "buf": bytearray(), "skip": 0}
        self._conns[sock] = state
        self._sel.register(sock, selectors.EVENT_READ, state)

    def _close(self, sock, by_peer):
        if sock in self._conns:
            del self._conns[sock]
            self._sel.unregister(sock)
            sock.close()
            if by_peer:
                with self.lock:
                    self.peer_closed += 1

    def _read(self, sock, state):
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(sock, by_peer=True)
            return
        buf = state["buf"]
        buf += data
        while True:
            if state["skip"]:
                n = min(state["skip"], len(buf))
                del buf[:n]
                state["skip"] -= n
                if state["skip"]:
                    return
            eol = buf.find(b"\n")
            if eol < 0:
                return
            line = bytes(buf[:eol]).rstrip(b"\r")
            del buf[:eol + 1]
            req = Request(state["no"], line)
            if req.cmd in (b"set", b"add", b"replace", b"append", b"prepend", b"cas"):
                parts = line.split()
                try:
                    state["skip"] = int(parts[4]) + 2
                except (IndexError, ValueError):
                    pass
            with self.lock:
                self.requests.append(req)
            action = self.behaviour(req)
            close = False
            if isinstance(action, tuple):
                action, close = action[0], action[1] is CLOSE
            if action is CLOSE:
                action, close = None, True
            if isinstance(action, (bytes, bytearray)) and action:
                try:
                    sock.setblocking(True)
                    sock.sendall(action)
                    sock.setblocking(False)
                except OSError:
                    self._close(sock, by_peer=True)
                    return
            if close:
                self._close(sock, by_peer=False)
                return

    def stop(self):
        self._stop = True
        self._thread.join(timeout=5)
        for sock in list(self._conns):
            self._close(sock, by_peer=False)
        self._sel.close()
        self.lsock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def healthy_answer(req):
    """What an empty memcached would answer (used to let a FaultServer recover)."""
    if req.cmd in (b"get", b"gets"):
        return b"END\r\n"
    if req.cmd in (b"set", b"add", b"replace", b"append", b"prepend", b"cas"):
        return b"STORED\r\n"
    if req.cmd == b"version":
        return b"VERSION 1.6.0-fault\r\n"
    if req.cmd == b"delete":
        return b"NOT_FOUND\r\n"
    return b"ERROR\r\n"


class DelayProxy:
    """127.0.0.1:<free port> -> 127.0.0.1:target_port, holding client->server bytes for `delay` seconds
    (order kept; replies are not delayed). Threads per connection; stop() closes everything."""

    def __init__(self, target_port, delay):
        self.target_port = target_port
        self.delay = delay
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.lsock.settimeout(0.1)
        self.port = self.lsock.getsockname()[1]
        self._stop = False
        self._socks = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def _accept_loop(self):
        while not self._stop:
            try:
                client, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._socks += [client, upstream]
            q = queue.Queue()
            threading.Thread(target=self._reader, args=(client, q), daemon=True).start()
            threading.Thread(target=self._delayed_writer, args=(q, upstream, client), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _reader(self, src, q):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            q.put((time.monotonic() + self.delay, data))
            if not data:
                return

    def _delayed_writer(self, q, dst, other):
        while True:
            due, data = q.get()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if not data:
                break
            try:
                dst.sendall(data)
            except OSError:
                break
        for s in (dst, other):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _pipe(self, src, dst):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            try:
                dst.sendall(data)
            except OSError:
                break
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        self._stop = True
        self._thread.join(timeout=5)
        self.lsock.close()
        with self._lock:
            for s in self._socks:
                try:
                    s.close()
                except OSError:
                    pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


class ReplyTimeout(AssertionError):
    pass


class TimedClient:
    """Blocking memcache-text client: one request, exactly one reply, its wall time. Every read is bounded by
    `timeout` seconds (ReplyTimeout: a hang); a closed connection raises ConnectionError."""

    def __init__(self, port, timeout=3.0, name="client"):
        self.name = name
        self.timeout = timeout
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise ReplyTimeout(f"[{self.name}] no complete reply within {self.timeout}s; got {bytes(self.buf)!r}")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            raise ReplyTimeout(f"[{self.name}] no complete reply within {self.timeout}s; got {bytes(self.buf)!r}")
        if not chunk:
            raise ConnectionError(f"[{self.name}] connection closed; got {bytes(self.buf)!r}")
        self.buf += chunk

    def _line(self, deadline):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i + 2])
                del self.buf[:i + 2]
                return line
            self._fill(deadline)

    def _exact(self, n, deadline):
        while len(self.buf) < n:
            self._fill(deadline)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_reply(self, retrieval, deadline=None):
        deadline = deadline or time.monotonic() + self.timeout
        if not retrieval:
            return self._line(deadline)
        out = b""
        while True:
            line = self._line(deadline)
            out += line
            if not line.startswith(b"VALUE "):
                return out  # END, or an error line
            size = int(line.split()[3])
            out += self._exact(size + 2, deadline)

    def call(self, data, retrieval):
        """Send `data`, read one reply: (reply bytes, seconds)."""
        start = time.monotonic()
        self.sock.settimeout(self.timeout)
        self.sock.sendall(data)
        reply = self.read_reply(retrieval, start + self.timeout)
        return reply, time.monotonic() - start

    def set(self, key, value):
        key = key.encode() if isinstance(key, str) else key
        return self.call(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value), retrieval=False)

    def get(self, key):
        key = key.encode() if isinstance(key, str) else key
        return self.call(b"get %s\r\n" % key, retrieval=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def rss_kb(pid):
    """VmRSS of a process in KiB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples VmRSS of `pid` every `interval` seconds in a thread; .max_kb and .samples."""

    def __init__(self, pid, interval=0.05):
        self.pid = pid
        self.interval = interval
        self.max_kb = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            kb = rss_kb(self.pid)
            self.max_kb = max(self.max_kb, kb)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        return False


def admin_port(relay, timeout=10.0):
    m = wait_for(lambda: ADMIN_RE.search(relay.stderr_text()), timeout, "the log line 'admin listener on ADDR:PORT'")
    return int(m.group(2))


def http_get(port, path, timeout=2.0):
    """(status, body) of GET http://127.0.0.1:port/path."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def relay_stats(port, group=None):
    """`stats` (or `stats <group>`) of an mcrelay, on a fresh connection."""
    cmd = b"stats\r\n" if group is None else b"stats %s\r\n" % group.encode()
    with Conn(port, name="mcrelay stats") as c:
        return c.exchange(cmd, terminator=b"END\r\n")


def server_states(port):
    """mcrelay's `stats destinations` as {server name: {field: value}} (fields: state, requests, pending, ...)."""
    out = {}
    for line in relay_stats(port, "destinations").split(b"\r\n"):
        if not line.startswith(b"STAT "):
            continue
        parts = line.decode().split(" ")
        fields = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
        out[parts[1]] = fields
    return out


def general_stats(port):
    return parse_stats(relay_stats(port))

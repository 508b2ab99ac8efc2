"""Shared harness for mcrelay's integration tests.

Real memcached servers (``Memcached``), the real mcrelay binary (``Mcrelay``) and a raw socket client
(``Conn``) that reads replies exactly, without sleeps: every wait is bounded and fails with a message that
says what was expected and what arrived.

Environment:
  MCRELAY_BIN          the mcrelay binary (default: <source dir>/build/mcrelay)
  MCRELAY_SOURCE_DIR   the source tree (default: two levels above this file)
  MCRELAY_TEST_STANDIN=memcached
                       harness self-test: where a test only needs "something that speaks memcached on a
                       port in front of one server" (test_differential), talk to that server directly
                       instead of through mcrelay. Tests that need a real proxy are skipped in this mode.
"""

import atexit
import ctypes
import json
import os
import re
import resource
import select
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("MCRELAY_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
MCRELAY_BIN = os.environ.get("MCRELAY_BIN") or os.path.join(SOURCE_DIR, "build", "mcrelay")
MEMCACHED_BIN = os.environ.get("MEMCACHED_BIN") or "/usr/bin/memcached"
STANDIN = os.environ.get("MCRELAY_TEST_STANDIN", "") == "memcached"

DEFAULT_TIMEOUT = 5.0        # seconds, for any single reply
# seconds, for a server to start; a sanitizer build (MCRELAY_SANITIZED=1, set by scripts/test.sh) starting a
# large config while the other half of the suite runs beside it needs more
STARTUP_TIMEOUT = 30.0 if os.environ.get("MCRELAY_SANITIZED") == "1" else 10.0
LISTENING_RE = re.compile(rb"listening on (\S+):(\d+)")

_live_processes = set()
_temp_files = set()


def _kill_leftovers():
    for proc in list(_live_processes):
        if proc.poll() is None:
            proc.kill()
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
    for path in list(_temp_files):
        try:
            os.unlink(path)
        except OSError:
            pass


atexit.register(_kill_leftovers)


def _die_with_parent():
    """preexec_fn: the child gets SIGKILL if the test process dies (e.g. killed by a CTest timeout)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _spawn(argv, stderr_file):
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stderr_file, stderr=stderr_file,
                            preexec_fn=_die_with_parent, close_fds=True)
    _live_processes.add(proc)
    return proc


def _terminate(proc, grace=3.0):
    """SIGTERM, then SIGKILL after `grace` seconds. Returns the exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=grace)
    _live_processes.discard(proc)
    return proc.returncode


def free_port():
    """An unused TCP port on 127.0.0.1 (bind port 0, read it back, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_nofile_limit(wanted):
    """Raise RLIMIT_NOFILE (soft) to at least `wanted` if the hard limit allows; returns the new soft limit.
    Child processes started afterwards (mcrelay, memcached) inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        new_soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
        soft = new_soft
    return soft


def wait_for(predicate, timeout, what, interval=0.01):
    """Poll `predicate` until it returns a truthy value (returned) or `timeout` seconds pass (AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


def show(data, limit=600):
    """repr() of bytes, shortened in the middle when long (the length is given)."""
    data = bytes(data)
    if len(data) <= limit:
        return repr(data)
    half = limit // 2
    return f"{data[:half]!r} ...[{len(data)} bytes in all]... {data[-half:]!r}"


def describe_difference(label_a, a, label_b, b):
    """Both replies and where they first differ, for assertion messages."""
    a, b = bytes(a), bytes(b)
    i = 0
    n = min(len(a), len(b))
    while i < n and a[i] == b[i]:
        i += 1
    lines = [f"  {label_a:>9} ({len(a)} bytes): {show(a)}",
             f"  {label_b:>9} ({len(b)} bytes): {show(b)}"]
    if len(a) > 600 or len(b) > 600:
        lines.append(f"  first difference at byte {i}: {label_a} {a[max(0, i - 40):i + 80]!r}"
                     f" vs {label_b} {b[max(0, i - 40):i + 80]!r}")
    else:
        lines.append(f"  first difference at byte {i}")
    return "\n".join(lines)


def _is_accepting(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Memcached:
    """A real memcached on 127.0.0.1 and a free port: `with Memcached(max_item_size="2m") as mc: mc.port`.

    stop() kills it; start() starts it again on the same port (empty, as after a restart)."""

    def __init__(self, max_item_size=None, conn_limit=None, memory_mb=64, extra_args=()):
        self.max_item_size = max_item_size
        self.conn_limit = conn_limit
        self.memory_mb = memory_mb
        self.extra_args = list(extra_args)
        self.port = None
        self.proc = None
        self._log = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def argv(self):
        argv = [MEMCACHED_BIN, "-U", "0", "-l", "127.0.0.1", "-p", str(self.port), "-m", str(self.memory_mb)]
        if self.max_item_size is not None:
            argv += ["-I", str(self.max_item_size)]
        if self.conn_limit is not None:
            argv += ["-c", str(self.conn_limit)]
        if os.geteuid() == 0:
            argv += ["-u", "root"]  # memcached refuses to run as root without -u
        return argv + self.extra_args

    def start(self):
        if self.proc is not None and self.proc.poll() is None:
            raise AssertionError(f"memcached on port {self.port} is already running")
        pick_port = self.port is None
        for _attempt in range(3):
            if pick_port:
                self.port = free_port()
            if self._log is None:
                self._log = tempfile.NamedTemporaryFile(prefix="memcached-", suffix=".log", delete=False)
                _temp_files.add(self._log.name)
            self.proc = _spawn(self.argv(), self._log)
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if _is_accepting(self.port):
                    return self
                time.sleep(0.01)
            if self.proc.poll() is None:
                _terminate(self.proc)
                raise AssertionError(f"memcached on port {self.port} did not accept connections within "
                                     f"{STARTUP_TIMEOUT}s: {self.log_text()}")
            _live_processes.discard(self.proc)
            if not pick_port:
                break  # the port was fixed (a restart): retrying with the same port will not help
        raise AssertionError(f"memcached {' '.join(self.argv())} exited with code {self.proc.returncode}: "
                             f"{self.log_text()}")

    def stop(self):
        if self.proc is not None:
            _terminate(self.proc)

    def log_text(self):
        if self._log is None:
            return ""
        self._log.flush()
        with open(self._log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stats(self, conn=None):
        """`stats` as a dict of str -> str. Pass a Conn to reuse it (a fresh connection counts itself in
        curr_connections)."""
        own = conn is None
        if own:
            conn = Conn(self.port, name=f"memcached:{self.port} stats")
        try:
            return parse_stats(conn.exchange(b"stats\r\n", terminator=b"END\r\n"))
        finally:
            if own:
                conn.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self._log is not None:
            self._log.close()
            os.unlink(self._log.name)
            self._log = None
        return False


def parse_stats(reply):
    stats = {}
    for line in bytes(reply).split(b"\r\n"):
        if line.startswith(b"STAT "):
            parts = line.split(b" ", 2)
            stats[parts[1].decode()] = parts[2].decode() if len(parts) > 2 else ""
    return stats


def pool_config(servers, pool="A"):
    """The simplest mcrouter config: one pool, PoolRoute (Ch3 over the servers in this order)."""
    return {"pools": {pool: {"servers": [s.address if isinstance(s, Memcached) else s for s in servers]}},
            "route": f"PoolRoute|{pool}"}


# mcrouter (and so mcrelay) answers a get-like request whose server failed as a miss, and a failed incr/decr
# as NOT_FOUND. Tests about the failures themselves (timeouts, TKO, refused connections) and the differential
# tests against memcached start the proxy with these flags so the errors reach them; test_mcrouter_replies
# checks the default.
def refusing_address(test):
    """"127.0.0.1:PORT" where connections are refused for the rest of `test`: a bound socket that never
    listens. Unlike a stopped server's port (or free_port()), no test running in parallel can take it."""
    hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    hold.bind(("127.0.0.1", 0))
    test.addCleanup(hold.close)
    return "127.0.0.1:%d" % hold.getsockname()[1]


SHOW_ERRORS = ["--disable-miss-on-get-errors", "--disable-miss-on-arith-errors"]


class Mcrelay:
    """The real mcrelay binary: `with Mcrelay(pool_config([mc]), args=["--num-proxies", "2"]) as relay:`.

    config: a dict (written as JSON) or a str (written as is: comments, trailing commas...).
    config_style: "file" -> `--config file:PATH`, "inline" -> `--config JSON`, "-f" -> `-f PATH`,
                  "--config-file=" -> `--config-file=PATH` (mcrouter's long form, used by the Helm chart).
    Starts with `-p 0 --listen-addresses 127.0.0.1`, waits for `listening on HOST:PORT` on stderr, and
    fails (with the captured stderr) if the process dies."""

    def __init__(self, config, args=(), config_style="file", binary=None):
        self.config = config
        self.args = list(args)
        self.config_style = config_style
        self.binary = binary or MCRELAY_BIN
        self.port = None
        self.proc = None
        self.config_path = None
        self._log = None
        self._stopped = False

    def argv(self):
        argv = [self.binary, "-p", "0", "--listen-addresses", "127.0.0.1"]
        if self.config_style == "file":
            argv += ["--config", f"file:{self.config_path}"]
        elif self.config_style == "inline":
            argv += ["--config", self._config_text()]
        elif self.config_style == "-f":
            argv += ["-f", self.config_path]
        elif self.config_style == "--config-file=":
            argv += [f"--config-file={self.config_path}"]
        else:
            raise ValueError(f"unknown config_style {self.config_style!r}")
        return argv + self.args

    def _config_text(self):
        return self.config if isinstance(self.config, str) else json.dumps(self.config, indent=2)

    def start(self):
        if not (os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)):
            raise AssertionError(f"mcrelay binary not found or not executable: {self.binary} (set MCRELAY_BIN; "
                                 f"MCRELAY_TEST_STANDIN=memcached runs the harness self-test without it)")
        self._stopped = False
        fd, self.config_path = tempfile.mkstemp(prefix="mcrelay-config-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            f.write(self._config_text())
        _temp_files.add(self.config_path)
        self._log = tempfile.NamedTemporaryFile(prefix="mcrelay-", suffix=".stderr", delete=False)
        _temp_files.add(self._log.name)
        self.proc = _spawn(self.argv(), self._log)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            match = LISTENING_RE.search(self._read_log())
            if match:
                self.port = int(match.group(2))
                return self
            if self.proc.poll() is not None:
                self._cleanup_files()
                raise AssertionError(f"mcrelay exited with code {self.proc.returncode} before listening\n"
                                     f"  command: {self._argv_text()}\n  stderr:\n{self.stderr_text()}")
            if time.monotonic() >= deadline:
                _terminate(self.proc)
                raise AssertionError(f"mcrelay did not log 'listening on HOST:PORT' within {STARTUP_TIMEOUT}s\n"
                                     f"  command: {self._argv_text()}\n  stderr:\n{self.stderr_text()}")
            time.sleep(0.01)

    def _argv_text(self):
        return " ".join(self.argv())

    def _read_log(self):
        if self._log is None:
            return b""
        self._log.flush()
        with open(self._log.name, "rb") as f:
            return f.read()

    def stderr_text(self, tail=None):
        text = self._read_log().decode("utf-8", "replace") if self._log is not None else getattr(self, "_final_log", "")
        if tail is not None and len(text) > tail:
            text = "..." + text[-tail:]
        return text

    def is_alive(self):
        return self.proc is not None and self.proc.poll() is None

    def assert_alive(self, context=""):
        if not self.is_alive():
            raise AssertionError(f"mcrelay died (exit code {self.proc.returncode}){' ' + context if context else ''}"
                                 f"\n  stderr:\n{self.stderr_text(tail=4000)}")

    def diag(self):
        """Extra context for a failed read: is mcrelay alive, and the end of its stderr."""
        state = "running" if self.is_alive() else f"EXITED with code {self.proc.returncode}"
        return f"mcrelay {state}; stderr tail:\n{self.stderr_text(tail=1500)}"

    def stop(self):
        """SIGTERM then SIGKILL. Raises AssertionError (with stderr) if mcrelay had died on its own."""
        if self.proc is None or self._stopped:
            return
        self._stopped = True
        died = self.proc.poll() is not None
        code = _terminate(self.proc)
        text = self.stderr_text(tail=4000)
        self._cleanup_files()
        self._final_log = text
        if died:
            raise AssertionError(f"mcrelay died during the test (exit code {code})\n  stderr:\n{text}")

    def _cleanup_files(self):
        self._final_log = self.stderr_text()
        if self._log is not None:
            self._log.close()
            os.unlink(self._log.name)
            self._log = None
        if self.config_path and os.path.exists(self.config_path):
            os.unlink(self.config_path)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            self.stop()
        except AssertionError:
            if exc_type is None:
                raise
            print(f"\n[mcrelay also died] {self._final_log}")
        return False


class ConnectionClosed(AssertionError):
    pass


class Conn:
    """A raw socket client that reads replies exactly.

    request(data) sends `data`, then a `get` of a sentinel key set on this connection beforehand, and reads
    until the buffer ends with the sentinel's exact `VALUE ... END` block: everything before it is the
    reply to `data`, however many replies (or none, for noreply) that is, with no sleeps."""

    def __init__(self, port, host="127.0.0.1", name=None, diag=None, timeout=DEFAULT_TIMEOUT,
                 sentinel_key=None):
        self.name = name or f"{host}:{port}"
        self.diag = diag
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.closed = False
        self.sentinel_key = sentinel_key or f"__sentinel__{uuid.uuid4().hex}"
        self.sentinel_value = f"sentinel-{uuid.uuid4().hex}".encode()
        self._sentinel_set = False

    # --- low level -------------------------------------------------------------------------------------

    def _fail(self, message):
        text = f"[{self.name}] {message}"
        if self.diag is not None:
            text += "\n  " + self.diag()
        raise AssertionError(text)

    def send(self, data):
        self.sock.sendall(data)

    def _pump(self, pending, done, timeout, what):
        """Send `pending` while reading into self.buf, until done(self.buf) is true. Sending and reading are
        interleaved so that big pipelines cannot deadlock on full socket buffers."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        pending = memoryview(bytes(pending))
        self.sock.setblocking(False)
        try:
            while True:
                if not pending and done(self.buf):
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    self._fail(f"timed out waiting for {what}; received so far: {show(self.buf)}"
                               + (f"; {len(pending)} bytes still unsent" if pending else ""))
                readable, writable, _ = select.select([self.sock], [self.sock] if pending else [], [], left)
                if writable:
                    try:
                        sent = self.sock.send(pending[:262144])
                        pending = pending[sent:]
                    except (BlockingIOError, InterruptedError):
                        pass
                    except OSError as e:
                        # The peer may close while we send (e.g. after `quit`): keep whatever it sent.
                        pending = memoryview(b"")
                        self._drain_after_error(e)
                        self.closed = True
                        if done(self.buf):
                            return
                        raise ConnectionClosed(f"[{self.name}] connection failed while sending ({e}) waiting "
                                               f"for {what}; received: {show(self.buf)}")
                if readable:
                    try:
                        chunk = self.sock.recv(1 << 20)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except ConnectionResetError:
                        chunk = b""
                    if not chunk:
                        self.closed = True
                        if done(self.buf):
                            return
                        raise ConnectionClosed(f"[{self.name}] connection closed by the server while waiting for "
                                               f"{what}; received: {show(self.buf)}"
                                               + (f"\n  {self.diag()}" if self.diag else ""))
                    self.buf += chunk
        finally:
            if not self.closed:
                self.sock.setblocking(True)
                self.sock.settimeout(self.timeout)

    def _drain_after_error(self, _err):
        try:
            while True:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    break
                self.buf += chunk
        except OSError:
            pass

    def read_until(self, until, timeout=None, send=b""):
        """Read until `until` is satisfied and return the bytes consumed.

        until: bytes -> up to and including the first occurrence of that terminator;
               callable(buf) -> None/False while incomplete, else the number of bytes to consume
               (True consumes everything received)."""
        if isinstance(until, (bytes, bytearray)):
            term = bytes(until)

            def consumed(buf):
                i = buf.find(term)
                return None if i < 0 else i + len(term)
            what = f"{term!r}"
        else:
            def consumed(buf):
                n = until(buf)
                if n is True:
                    return len(buf)
                return n or None
            what = getattr(until, "__name__", "a complete reply")
        self._pump(send, lambda buf: consumed(buf) is not None, timeout, what)
        n = consumed(self.buf)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def exchange(self, data, terminator, timeout=None):
        """Send `data`, read up to and including `terminator`."""
        self.expect_idle()
        return self.read_until(terminator, timeout=timeout, send=data)

    def expect_idle(self):
        """Fail if bytes arrived that no request asked for (e.g. a reply to a noreply command)."""
        if not self.closed:
            try:
                self.sock.setblocking(False)
                while True:
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        self.closed = True
                        break
                    self.buf += chunk
            except (BlockingIOError, InterruptedError):
                pass
            except ConnectionResetError:
                self.closed = True
            finally:
                if not self.closed:
                    self.sock.setblocking(True)
                    self.sock.settimeout(self.timeout)
        if self.buf:
            self._fail(f"unexpected bytes before the next request: {show(self.buf)}")
        if self.closed:
            self._fail("connection was closed by the server")

    def read_until_closed(self, timeout=None, send=b""):
        """Send `send`, then read until the server closes the connection; returns everything received."""
        self._pump(send, lambda buf: self.closed, timeout, "the server to close the connection")
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # --- exact replies via a sentinel --------------------------------------------------------------------

    def _sentinel_set_cmd(self, noreply):
        return (b"set %s 0 0 %d%s\r\n%s\r\n" % (self.sentinel_key.encode(), len(self.sentinel_value),
                                                 b" noreply" if noreply else b"", self.sentinel_value))

    def sentinel_block(self):
        return b"VALUE %s 0 %d\r\n%s\r\nEND\r\n" % (self.sentinel_key.encode(), len(self.sentinel_value),
                                                     self.sentinel_value)

    def install_sentinel(self):
        reply = self.exchange(self._sentinel_set_cmd(noreply=False), terminator=b"\r\n")
        if reply != b"STORED\r\n":
            self._fail(f"could not set the sentinel key {self.sentinel_key}: {show(reply)}")
        self._sentinel_set = True

    def request(self, data, timeout=None, reset_sentinel=None, _check_idle=True):
        """Send `data` and return exactly its reply bytes (possibly b"", e.g. for noreply commands).

        After `data` comes `get <sentinel>`; the reply ends with the sentinel's VALUE block, which is
        stripped. `data` must leave the connection ready for a new command. When `data` may remove the
        sentinel (flush_all; default: detected), the sentinel is set again with noreply right before the
        get."""
        if not self._sentinel_set:
            self.install_sentinel()
        if reset_sentinel is None:
            reset_sentinel = b"flush_all" in data
        block = self.sentinel_block()
        tail = (self._sentinel_set_cmd(noreply=True) if reset_sentinel else b"") + \
            b"get %s\r\n" % self.sentinel_key.encode()
        if _check_idle:
            self.expect_idle()

        def sentinel_reply_complete(buf):
            return len(buf) if buf.endswith(block) else None
        sentinel_reply_complete.__name__ = f"the sentinel reply (get {self.sentinel_key})"
        got = self.read_until(sentinel_reply_complete, timeout=timeout, send=bytes(data) + tail)
        return got[:-len(block)]

    def request_in_pieces(self, data, piece_size, pause=0.002, timeout=None):
        """Like request(), but `data` trickles in as pieces of `piece_size` bytes with a short pause
        between them, so the server sees partial lines and partial data blocks. (The pause is the one
        sleep in this harness: there is nothing observable to wait for while a server buffers a partial
        command.)"""
        if not self._sentinel_set:
            self.install_sentinel()
        self.expect_idle()
        for i in range(0, len(data), piece_size):
            self.send(data[i:i + piece_size])
            time.sleep(pause)
        return self.request(b"", timeout=timeout, _check_idle=False)

    def request_closing(self, data, timeout=None):
        """Send `data` that ends with the server closing the connection (quit, ...); returns all bytes."""
        if not self._sentinel_set:
            self.install_sentinel()
        self.expect_idle()
        return self.read_until_closed(timeout=timeout, send=data)


def parse_value_reply(reply):
    """Parse a get/gets reply: list of (key, flags, data, cas or None); raises ValueError if malformed."""
    items = []
    pos = 0
    reply = bytes(reply)
    while True:
        eol = reply.find(b"\r\n", pos)
        if eol < 0:
            raise ValueError(f"no line end at {pos}: {show(reply)}")
        line = reply[pos:eol]
        if line == b"END":
            if eol + 2 != len(reply):
                raise ValueError(f"bytes after END: {show(reply[eol + 2:])}")
            return items
        parts = line.split(b" ")
        if parts[0] != b"VALUE" or len(parts) not in (4, 5):
            raise ValueError(f"unexpected line {line!r} in {show(reply)}")
        size = int(parts[3])
        data = reply[eol + 2:eol + 2 + size]
        if reply[eol + 2 + size:eol + 4 + size] != b"\r\n":
            raise ValueError(f"bad data block for {parts[1]!r}")
        items.append((parts[1], int(parts[2]), data, int(parts[4]) if len(parts) == 5 else None))
        pos = eol + 4 + size



def connect_to(where, timeout=10):
    """A connected socket: `where` is a TCP port on 127.0.0.1 (an int) or a Unix socket path (a str)."""
    if isinstance(where, str):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.settimeout(timeout)
            s.connect(where)
        except OSError:
            s.close()
            raise
        return s
    return socket.create_connection(("127.0.0.1", where), timeout=timeout)


def accepting(where):
    """Whether a connect to `where` (a port or a Unix socket path) succeeds now."""
    try:
        connect_to(where).close()
        return True
    except OSError:
        return False


class UnixMemcached(Memcached):
    """memcached listening on a Unix socket only (-s disables its TCP port)."""

    def __init__(self, path):
        super().__init__()
        self.path = path

    @property
    def address(self):
        return f"unix:{self.path}"

    def argv(self):
        argv = ["/usr/bin/memcached", "-s", self.path, "-m", "64"]
        if os.geteuid() == 0:
            argv += ["-u", "root"]
        return argv

    def start(self):
        self._log = tempfile.NamedTemporaryFile(prefix="memcached-", suffix=".log", delete=False)
        self.proc = _spawn(self.argv(), self._log)
        wait_for(lambda: accepting(self.path), 5, f"memcached on {self.path}")
        return self


class MemcachedGroup(list):
    """The real memcached servers of one test module (a list of Memcached), and direct access to each,
    bypassing mcrelay: what a routing test reads to see where a request really went."""

    def __init__(self, count, extra_args=()):
        super().__init__()
        self.count = count
        self.extra_args = list(extra_args)

    def start(self):
        for _ in range(self.count):
            self.append(Memcached(extra_args=self.extra_args).start())
        return self

    def stop(self):
        for mc in self:
            mc.__exit__(None, None, None)  # stop, and remove its log file
        self.clear()

    def direct(self, i, data, terminator):
        """Send `data` straight to server i and read up to `terminator`."""
        with Conn(self[i].port, name=f"memcached[{i}] {self[i].address}") as c:
            return c.exchange(data, terminator=terminator)

    def get(self, i, key):
        """The value server i holds for `key`, or None."""
        items = parse_value_reply(self.direct(i, b"get %s\r\n" % key, b"END\r\n"))
        return items[0][2] if items else None

    def holders(self, key):
        """Indexes of the servers that hold `key`."""
        return [i for i in range(len(self)) if self.get(i, key) is not None]


class RelayTestCase(unittest.TestCase):
    """A test of mcrelay in front of a module's MemcachedGroup (the class attribute `servers`): every server
    is flushed before each test; start_relay() runs mcrelay on a config for the test's duration."""

    servers = None

    def setUp(self):
        for i in range(len(self.servers)):
            self.assertEqual(self.servers.direct(i, b"flush_all\r\n", b"\r\n"), b"OK\r\n")

    def start_relay(self, config, args=()):
        """mcrelay on `config`, and a connection to it: (relay, conn), both closed at the test's end."""
        relay = Mcrelay(config, args=list(args)).start()
        self.addCleanup(relay.stop)
        conn = Conn(relay.port, name="mcrelay", diag=relay.diag)
        self.addCleanup(conn.close)
        return relay, conn


def skip_without_proxy(reason="needs the real mcrelay binary (MCRELAY_TEST_STANDIN=memcached)"):
    return unittest.skipIf(STANDIN, reason)

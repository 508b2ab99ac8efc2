"""Unix domain sockets (docs/tls.md#unix-domain-sockets): mcrelay listening on one (mcrouter's
--unix-domain-sock) and memcached servers reached through them (`unix:/path`, memcached -s PATH), with real
memcached servers and real sockets."""

import os
import shutil
import socket
import subprocess
import tempfile
import unittest

from mcrelay_testlib import MCRELAY_BIN, Conn, Mcrelay, Memcached, UnixMemcached, connect_to, wait_for, _spawn


def unix_exchange(path, data, terminator):
    s = connect_to(path, timeout=5)
    try:
        s.sendall(data)
        buf = b""
        while not buf.endswith(terminator):
            chunk = s.recv(65536)
            if not chunk:
                raise AssertionError(f"closed after {buf!r}")
            buf += chunk
        return buf
    finally:
        s.close()


class UnixRelay(Mcrelay):
    """mcrelay with --unix-domain-sock (started by TestUnixSockets.start_relay: it logs "listening on
    unix:PATH", not the HOST:PORT Mcrelay.start waits for)."""

    def __init__(self, config, path, args=()):
        super().__init__(config, args=["--unix-domain-sock", path, *args])
        self.path = path


class TestUnixSockets(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mcrelay-unix-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def start_relay(self, config, path, args=()):
        relay = UnixRelay(config, path, args)
        relay._stopped = False
        fd, relay.config_path = tempfile.mkstemp(prefix="mcrelay-config-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            f.write(relay._config_text())
        relay._log = tempfile.NamedTemporaryFile(prefix="mcrelay-", suffix=".stderr", delete=False)
        relay.proc = _spawn(relay.argv(), relay._log)
        wait_for(lambda: "listening on unix:" in relay.stderr_text() or relay.proc.poll() is not None, 5,
                 "mcrelay to listen on its Unix socket")
        self.addCleanup(relay.stop)
        return relay

    def test_listen_on_a_unix_socket_and_reach_memcached_through_one(self):
        with UnixMemcached(self.path("mc.sock")) as mc:
            config = {"pools": {"A": {"servers": [mc.address]}}, "route": "PoolRoute|A"}
            relay = self.start_relay(config, self.path("mcrelay.sock"), ["--num-proxies", "2", "--enable-admin-keys"])
            relay.assert_alive()
            sock = self.path("mcrelay.sock")
            self.assertEqual(unix_exchange(sock, b"set u 3 0 2\r\nhi\r\n", b"\r\n"), b"STORED\r\n")
            self.assertEqual(unix_exchange(sock, b"get u v\r\n", b"END\r\n"), b"VALUE u 3 2\r\nhi\r\nEND\r\n")
            self.assertEqual(unix_exchange(sock, b"mg u v\r\nmn\r\n", b"MN\r\n"), b"VA 2\r\nhi\r\nMN\r\n")
            # The item is in the memcached behind the Unix socket.
            self.assertEqual(unix_exchange(mc.path, b"get u\r\n", b"END\r\n"), b"VALUE u 3 2\r\nhi\r\nEND\r\n")
            # As mcrouter: the Unix socket replaces the TCP listeners.
            self.assertNotRegex(relay.stderr_text(), r"listening on 127\.0\.0\.1:\d+")
            # stats servers names it as mcrouter does: the path as host, port 0.
            self.assertIn(f"STAT {mc.path}:0:ascii:plain:notcompressed-1000 ".encode(),
                          unix_exchange(sock, b"stats servers\r\n", b"END\r\n"))
            # pymemcache speaks to it too.
            from pymemcache.client.base import Client
            client = Client(sock, timeout=5)
            self.assertEqual(client.get("u"), b"hi")
            client.close()
            relay.stop()
            self.assertFalse(os.path.exists(sock), "the socket file is removed at exit, as mcrouter does")

    def test_stale_socket_is_replaced_and_a_live_one_refused(self):
        sock = self.path("mcrelay.sock")
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(sock)
        stale.close()  # the file stays; nobody accepts on it
        with Memcached() as mc:
            config = {"pools": {"A": {"servers": [mc.address]}}, "route": "PoolRoute|A"}
            relay = self.start_relay(config, sock)
            relay.assert_alive()
            self.assertIn("removing the stale Unix socket", relay.stderr_text())
            self.assertEqual(unix_exchange(sock, b"set s 0 0 1\r\nx\r\n", b"\r\n"), b"STORED\r\n")
            second = subprocess.run([MCRELAY_BIN, "--unix-domain-sock", sock, "--config-str",
                                     '{"pools":{"A":{"servers":["127.0.0.1:1"]}},"route":"PoolRoute|A"}'],
                                    capture_output=True, text=True, timeout=10)
            self.assertEqual(second.returncode, 1, second.stderr)
            self.assertIn(f"cannot listen on Unix socket {sock}: address already in use", second.stderr)
            # The first one still serves.
            self.assertEqual(unix_exchange(sock, b"get s\r\n", b"END\r\n"), b"VALUE s 0 1\r\nx\r\nEND\r\n")
        regular = self.path("regular")
        open(regular, "w").close()
        run = subprocess.run([MCRELAY_BIN, "--unix-domain-sock", regular, "--config-str",
                              '{"pools":{"A":{"servers":["127.0.0.1:1"]}},"route":"PoolRoute|A"}'],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(run.returncode, 1)
        self.assertIn("the file exists and is not a socket", run.stderr)

    def test_placement_does_not_depend_on_the_address_form(self):
        # mcrouter's hashes pick a server by its position in the pool: a unix: server takes the keys a TCP
        # server in the same position would.
        def route(servers, key):
            config = '{"pools":{"A":{"servers":%s}},"route":"PoolRoute|A"}' % str(servers).replace("'", '"')
            out = subprocess.run([MCRELAY_BIN, "--config-str", config, "--route-key", "get", key],
                                 capture_output=True, text=True, timeout=10)
            self.assertEqual(out.returncode, 0, out.stderr)
            return out.stdout
        tcp = ["10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211"]
        mixed = ["unix:/run/mc0.sock", "10.0.0.2:11211", "unix:/run/mc2.sock"]
        for key in ("a", "b", "key:1", "user:42", "x" * 200):
            t, m = route(tcp, key), route(mixed, key)
            index = [i for i, s in enumerate(tcp) if s in t]
            self.assertEqual(len(index), 1, t)
            self.assertIn(mixed[index[0]], m, f"key {key!r}: TCP pool -> {t!r}, mixed pool -> {m!r}")

    def test_server_down_behind_a_unix_socket_is_an_error_not_a_hang(self):
        config = {"pools": {"A": {"servers": [f"unix:{self.path('nobody.sock')}"]}}, "route": "PoolRoute|A"}
        with Mcrelay(config, args=["--disable-miss-on-get-errors"]) as relay, Conn(relay.port) as c:
            reply = c.exchange(b"get a\r\n", b"\r\n")
            self.assertTrue(reply.startswith(b"SERVER_ERROR"), reply)


if __name__ == "__main__":
    unittest.main()

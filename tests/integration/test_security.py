"""Secure by default (issue 12): what an attacker inside the cluster can reach with mcrelay's defaults.

  - the admin HTTP listener binds 127.0.0.1 unless told otherwise; bound anywhere else it refuses to start
    without --admin-token-file, and then wants "Authorization: Bearer <token>" for everything but /healthz
    and /readyz; the token file is re-read when it changes (a Kubernetes Secret rotation swaps a symlink);
  - the admin keys and stats groups that reveal the config, its path, the servers or the routing answer only
    with --enable-admin-keys; the harmless ones (version, hostid, plain `stats`) always answer;
  - flush_all is refused unless --enable-flush-cmd;
  - --max-conns defaults to the open-files limit less a reserve, so clients cannot take the descriptors the
    proxy needs to reach its servers.

Real memcached servers, the real binary, raw sockets and http.client. Each test fails on the code before
issue 12 (admin on 0.0.0.0 with no authentication, every admin key open, no default connection limit).
"""

import http.client
import os
import resource
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from mcrelay_testlib import (MCRELAY_BIN, Conn, Mcrelay, Memcached, parse_value_reply, pool_config,
                             skip_without_proxy, wait_for)

ADMIN_LINE = "admin listener on "
HTTP_TIMEOUT = 5.0
TOKEN = "0123456789abcdef0123456789abcdef"


def admin_port_of(relay):
    import re
    m = wait_for(lambda: re.search(r"admin listener on (\S+):(\d+)", relay.stderr_text()), 10,
                 "the log line 'admin listener on ADDR:PORT'")
    return m.group(1), int(m.group(2))


def http_get(port, path, token=None, host="127.0.0.1", headers=None):
    """(status, headers (lower-case names), body) of GET path over a new connection."""
    conn = http.client.HTTPConnection(host, port, timeout=HTTP_TIMEOUT)
    try:
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        conn.request("GET", path, headers=h)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def run_binary(*args, timeout=10):
    proc = subprocess.run([MCRELAY_BIN, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout + proc.stderr


def connect_refused(host, port):
    try:
        with socket.create_connection((host, port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


class SecretDir:
    """A directory laid out as the kubelet mounts a Secret: token -> ..data/token, ..data -> ..<version>/.
    rotate() writes a new version and swaps the ..data symlink atomically, as the kubelet's AtomicWriter."""

    def __init__(self, token):
        self.dir = tempfile.mkdtemp(prefix="mcrelay-secret-")
        self.version = 0
        self._write(token)
        os.symlink("..data/token", os.path.join(self.dir, "token"))
        self.path = os.path.join(self.dir, "token")

    def _write(self, token):
        self.version += 1
        vdir = os.path.join(self.dir, f"..v{self.version}")
        os.mkdir(vdir)
        with open(os.path.join(vdir, "token"), "w") as f:
            f.write(token + "\n")
        tmp = os.path.join(self.dir, "..data_tmp")
        os.symlink(f"..v{self.version}", tmp)
        os.replace(tmp, os.path.join(self.dir, "..data"))
        if self.version > 1:
            shutil.rmtree(os.path.join(self.dir, f"..v{self.version - 1}"))

    def rotate(self, token):
        self._write(token)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


# --- the admin listener ----------------------------------------------------------------------------------

@skip_without_proxy()
class TestAdminListener(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mc = Memcached().start()

    @classmethod
    def tearDownClass(cls):
        cls.mc.__exit__(None, None, None)

    def relay(self, *args):
        relay = Mcrelay(pool_config([self.mc]), args=["--num-proxies", "1", *args]).start()
        self.addCleanup(relay.stop)
        return relay

    def test_binds_loopback_by_default(self):
        relay = self.relay("--admin-port", "0")
        address, port = admin_port_of(relay)
        self.assertEqual(address, "127.0.0.1", relay.stderr_text())
        self.assertEqual(http_get(port, "/readyz")[0], 200)
        self.assertEqual(http_get(port, "/metrics")[0], 200, "on loopback no token is needed")
        # 127.0.0.2 is this host too, but not the address the listener is bound to: 0.0.0.0 would accept it.
        self.assertTrue(connect_refused("127.0.0.2", port), "the admin listener must bind 127.0.0.1 only")

    def test_not_loopback_without_a_token_refuses_to_start(self):
        for address in ("0.0.0.0", "::"):
            with self.subTest(address=address):
                code, out = run_binary("-p", "0", "--listen-addresses", "127.0.0.1", "--config",
                                       f"file:{self.mc_config()}", "--admin-port", "0", "--admin-address", address)
                self.assertEqual(code, 2, out)
                self.assertIn("--admin-token-file", out)
                self.assertIn("not a loopback address", out)

    def mc_config(self):
        fd, path = tempfile.mkstemp(prefix="mcrelay-sec-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            import json
            json.dump(pool_config([self.mc]), f)
        self.addCleanup(os.unlink, path)
        return path

    def test_unreadable_or_empty_token_file_refuses_to_start(self):
        empty = tempfile.NamedTemporaryFile(prefix="mcrelay-token-", delete=False)
        empty.close()
        self.addCleanup(os.unlink, empty.name)
        for path, why in ((empty.name, "is empty"), ("/nonexistent/token", "cannot read")):
            with self.subTest(path=path):
                code, out = run_binary("-p", "0", "--listen-addresses", "127.0.0.1", "--config",
                                       f"file:{self.mc_config()}", "--admin-port", "0", "--admin-address",
                                       "0.0.0.0", "--admin-token-file", path)
                self.assertEqual(code, 2, out)
                self.assertIn(why, out)

    def test_token_not_issued_yet_locks_all_but_the_probes(self):
        # The DaemonSet mounts the token Secret as an optional volume: before the Secret exists the file is
        # missing from an existing directory, and mcrelay must start (probes answered) with everything else
        # locked, then accept the token once the file appears.
        directory = tempfile.mkdtemp(prefix="mcrelay-token-dir-")
        self.addCleanup(shutil.rmtree, directory, True)
        path = os.path.join(directory, "token")
        relay = self.relay("--admin-port", "0", "--admin-address", "0.0.0.0", "--admin-token-file", path)
        _, port = admin_port_of(relay)
        self.assertEqual(http_get(port, "/healthz")[0], 200)
        self.assertEqual(http_get(port, "/readyz")[0], 200)
        self.assertEqual(http_get(port, "/config")[0], 401)
        self.assertEqual(http_get(port, "/metrics", token=TOKEN)[0], 401, "no token is valid before the file")
        self.assertIn("does not exist yet", relay.stderr_text())
        with open(path, "w") as f:
            f.write(TOKEN + "\n")
        self.assertEqual(http_get(port, "/metrics", token=TOKEN)[0], 200, "the token once the file appears")
        relay.assert_alive()

    def test_token_guards_everything_but_the_probes(self):
        secret = SecretDir(TOKEN)
        self.addCleanup(secret.cleanup)
        relay = self.relay("--admin-port", "0", "--admin-address", "0.0.0.0", "--admin-token-file", secret.path)
        _, port = admin_port_of(relay)
        # The kubelet's probes carry no credentials.
        self.assertEqual(http_get(port, "/healthz")[0], 200)
        self.assertEqual(http_get(port, "/readyz")[::2], (200, b"ready\n"))
        for path in ("/metrics", "/config", "/route?op=get&key=k", "/", "/no-such-page"):
            with self.subTest(path=path):
                status, headers, body = http_get(port, path)
                self.assertEqual(status, 401, body)
                self.assertEqual(headers.get("www-authenticate"), 'Bearer realm="mcrelay"')
                self.assertNotIn(self.mc.address.encode(), body)
                status, headers, body = http_get(port, path, token=TOKEN[:-1] + "0")
                self.assertEqual(status, 401, body)
                self.assertIn("invalid_token", headers.get("www-authenticate", ""))
                status, _, body = http_get(port, path, headers={"Authorization": f"Basic {TOKEN}"})
                self.assertEqual(status, 401, body)
        self.assertEqual(http_get(port, "/metrics", token=TOKEN)[0], 200)
        status, _, body = http_get(port, "/config", token=TOKEN)
        self.assertEqual(status, 200)
        self.assertIn(self.mc.address.encode(), body, "/config behind the token is the whole config")
        self.assertEqual(http_get(port, "/route?op=get&key=k", token=TOKEN)[0], 200)
        self.assertEqual(http_get(port, "/no-such-page", token=TOKEN)[0], 404)

    def test_rotated_token_is_picked_up_without_restart(self):
        secret = SecretDir(TOKEN)
        self.addCleanup(secret.cleanup)
        relay = self.relay("--admin-port", "0", "--admin-address", "0.0.0.0", "--admin-token-file", secret.path)
        _, port = admin_port_of(relay)
        self.assertEqual(http_get(port, "/metrics", token=TOKEN)[0], 200)
        new = "fedcba9876543210fedcba9876543210-rotated"
        secret.rotate(new)
        self.assertEqual(http_get(port, "/metrics", token=new)[0], 200, "the new token after the rotation")
        self.assertEqual(http_get(port, "/metrics", token=TOKEN)[0], 401, "the old token after the rotation")
        self.assertIn("admin token: ", relay.stderr_text())
        self.assertNotIn(new, relay.stderr_text(), "the token itself is never logged")
        relay.assert_alive()


# --- admin keys and stats ------------------------------------------------------------------------------------

def admin_get(conn, name):
    """The value of `get __mcrouter__.<name>` (a hit), or None for a miss."""
    key = f"__mcrouter__.{name}".encode()
    reply = conn.request(b"get " + key + b"\r\n")
    items = parse_value_reply(reply)
    return items[0][2].decode() if items else None


# Every admin key that reveals the config, its file, the servers or the routing, or changes the proxy.
REVEALING_KEYS = ["config", "config_file", "config_sources_info", "preprocessed_config", "options",
                  "options(config_file)", "route(get,k)", "route_handles(get,k)", "verbosity(2)"]
REVEALING_STATS = ["servers", "suspect_servers", "destinations", "settings 127.0.0.1:1"]


@skip_without_proxy()
class TestAdminKeys(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mc = Memcached().start()

    @classmethod
    def tearDownClass(cls):
        cls.mc.__exit__(None, None, None)

    def test_revealing_keys_and_stats_are_off_by_default(self):
        with Mcrelay(pool_config([self.mc]), args=["--num-proxies", "1"]) as relay, \
                Conn(relay.port, diag=relay.diag) as c:
            for name in REVEALING_KEYS:
                with self.subTest(key=name):
                    value = admin_get(c, name)
                    self.assertIsNotNone(value, "answered as mcrouter answers a failing admin key: a hit")
                    self.assertTrue(value.startswith("ERROR: disabled"), value)
                    self.assertIn("--enable-admin-keys", value)
                    self.assertNotIn(self.mc.address, value)
                    self.assertNotIn(relay.config_path, value)
            for group in REVEALING_STATS:
                with self.subTest(stats=group):
                    reply = c.request(f"stats {group}\r\n".encode())
                    self.assertEqual(reply, b"SERVER_ERROR Command disabled\r\n")
            # The plain stats line that shows the command line hides the config's path.
            stats = c.exchange(b"stats\r\n", terminator=b"END\r\n")
            self.assertIn(b"STAT commandargs ", stats)
            self.assertNotIn(relay.config_path.encode(), stats)
            # Harmless ones answer.
            self.assertTrue(admin_get(c, "version").startswith("mcrelay "))
            self.assertTrue(admin_get(c, "hostid").isdigit())
            self.assertTrue(admin_get(c, "config_md5_digest"))
            self.assertTrue(admin_get(c, "config_age").isdigit())
            self.assertIn(admin_get(c, "verbosity"), ("0", "1", "2"))
            self.assertTrue(admin_get(c, "no_such_command").startswith("ERROR: unknown command"))
            self.assertIn(b"STAT mcrouter-version ", c.exchange(b"stats version\r\n", terminator=b"END\r\n"))
            self.assertIn(b"STAT pid ", c.exchange(b"stats all\r\n", terminator=b"END\r\n"))
            self.assertIn(b"STAT ", c.exchange(b"stats settings\r\n", terminator=b"END\r\n"))
            # Data keeps flowing.
            self.assertEqual(c.request(b"set k 0 0 1\r\nv\r\nget k\r\n"), b"STORED\r\nVALUE k 0 1\r\nv\r\nEND\r\n")

    def test_enable_admin_keys_answers_them(self):
        with Mcrelay(pool_config([self.mc]), args=["--num-proxies", "1", "--enable-admin-keys"]) as relay, \
                Conn(relay.port, diag=relay.diag) as c:
            self.assertEqual(admin_get(c, "config_file"), relay.config_path)
            self.assertEqual(admin_get(c, "route(get,k)"), self.mc.address)
            self.assertIn(self.mc.address.encode(), c.exchange(b"stats servers\r\n", terminator=b"END\r\n"))
            stats = c.exchange(b"stats\r\n", terminator=b"END\r\n")
            self.assertIn(relay.config_path.encode(), stats, "commandargs shows the command line as given")

    def test_disable_admin_keys_is_accepted(self):
        with Mcrelay(pool_config([self.mc]), args=["--num-proxies", "1", "--disable-admin-keys"]) as relay, \
                Conn(relay.port, diag=relay.diag) as c:
            self.assertTrue(admin_get(c, "config_file").startswith("ERROR: disabled"))

    def test_flush_all_is_refused_by_default(self):
        with Mcrelay(pool_config([self.mc]), args=["--num-proxies", "1"]) as relay, \
                Conn(relay.port, diag=relay.diag) as c:
            self.assertEqual(c.request(b"set survivor 0 0 1\r\nx\r\n"), b"STORED\r\n")
            self.assertEqual(c.request(b"flush_all\r\n"), b"SERVER_ERROR Command disabled\r\n")
            self.assertEqual(c.request(b"get survivor\r\n"), b"VALUE survivor 0 1\r\nx\r\nEND\r\n")


# --- connection limit ---------------------------------------------------------------------------------------

@skip_without_proxy()
class TestDefaultConnectionLimit(unittest.TestCase):
    NOFILE = 160  # mcrelay's open-files limit here; the default --max-conns is this less 64

    def test_clients_cannot_take_the_descriptors_the_proxy_needs(self):
        with Memcached() as mc:
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            # The child inherits the lowered soft limit; this process gets its own back at once.
            resource.setrlimit(resource.RLIMIT_NOFILE, (self.NOFILE, hard))
            try:
                relay = Mcrelay(pool_config([mc]), args=["--num-proxies", "1"]).start()
            finally:
                resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
            self.addCleanup(relay.stop)
            limit = self.NOFILE - 64
            self.assertIn(f"limit derived from the open-files limit: {limit} client connections", relay.stderr_text())
            socks = []
            self.addCleanup(lambda: [s.close() for s in socks])
            admitted = 0
            for _ in range(self.NOFILE + 20):
                s = socket.create_connection(("127.0.0.1", relay.port), timeout=5)
                socks.append(s)
                s.sendall(b"version\r\n")
                try:
                    data = s.recv(100)
                except ConnectionResetError:
                    data = b""
                if data.startswith(b"VERSION "):
                    admitted += 1
            self.assertEqual(admitted, limit, f"{admitted} clients admitted with the open-files limit {self.NOFILE}")
            # With every client place taken, the proxy still opens connections to a server it never talked to:
            # the first admitted client's request reaches memcached.
            first = socks[0]
            first.sendall(b"set after 0 0 2\r\nok\r\nget after\r\n")
            buf = b""
            deadline = time.monotonic() + 5
            while not buf.endswith(b"END\r\n") and time.monotonic() < deadline:
                buf += first.recv(1000)
            self.assertEqual(buf, b"STORED\r\nVALUE after 0 2\r\nok\r\nEND\r\n")
            relay.assert_alive()


if __name__ == "__main__":
    unittest.main()

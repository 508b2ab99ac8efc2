"""TLS on both sides of mcrelay (docs/tls.md), with real components only.

Certificates are made here with the openssl CLI: a CA, a server certificate (localhost, 127.0.0.1) used by
memcached and by mcrelay's TLS listener, a client certificate, and a second CA for the wrong-CA cases.
Servers are real memcached with TLS (`-Z -o ssl_chain_cert=...,ssl_key=...`), whose port speaks nothing
but TLS; clients are Python's ssl module and pymemcache with `tls_context`.
"""

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from mcrelay_testlib import SHOW_ERRORS, Mcrelay, Memcached, wait_for

OPENSSL = shutil.which("openssl")
TLS_PORT_RE = re.compile(r"listening on \S+:(\d+) \(TLS")


def run_openssl(*args, cwd):
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Pki:
    """Certificates in a temporary directory: ca, server (CN localhost; SAN localhost, 127.0.0.1), client,
    and other_ca with a server certificate of its own (other_server)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mcrelay-tls-")
        self.serial = 1
        self.make_ca("ca")
        self.make_ca("other_ca")
        self.make_cert("server", "ca", "localhost", san="DNS:localhost,IP:127.0.0.1")
        self.make_cert("client", "ca", "mcrelay-test-client", san="DNS:client")
        self.make_cert("other_server", "other_ca", "localhost", san="DNS:localhost,IP:127.0.0.1")

    def path(self, name):
        return os.path.join(self.dir, name)

    def make_ca(self, name):
        run_openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2", "-subj", f"/CN={name}",
                    cwd=self.dir)

    def make_cert(self, name, ca, cn, san):
        ext = self.path(f"{name}.ext")
        with open(ext, "w") as f:
            f.write(f"subjectAltName={san}\nextendedKeyUsage=serverAuth,clientAuth\n")
        run_openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=self.dir)
        self.serial += 1
        run_openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
                    "-set_serial", str(self.serial), "-out", f"{name}.crt", "-days", "2", "-extfile", ext,
                    cwd=self.dir)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def tls_memcached(pki, cert="server"):
    return Memcached(extra_args=["-Z", "-o", f"ssl_chain_cert={pki.path(cert + '.crt')},ssl_key={pki.path(cert + '.key')}"])


def tls_port(relay):
    match = wait_for(lambda: TLS_PORT_RE.search(relay.stderr_text()), 5, "the TLS listener's log line")
    return int(match.group(1))


def client_context(pki, cert=None, ca="ca"):
    ctx = ssl.create_default_context(cafile=pki.path(f"{ca}.crt"))
    if cert:
        ctx.load_cert_chain(pki.path(f"{cert}.crt"), pki.path(f"{cert}.key"))
    return ctx


class TlsConn:
    """A memcached text-protocol client over TLS (Python's ssl module)."""

    def __init__(self, port, ctx, server_hostname="localhost"):
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock = ctx.wrap_socket(raw, server_hostname=server_hostname)
        self.buf = b""

    def request(self, data, terminator):
        self.sock.sendall(data)
        while not self.buf.endswith(terminator):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"connection closed; got {self.buf!r}")
            self.buf += chunk
        out, self.buf = self.buf, b""
        return out

    def peer_cert(self):
        return self.sock.getpeercert(binary_form=True)

    def close(self):
        self.sock.close()


def tls_pool(mc):
    return {"pools": {"A": {"servers": [mc.address], "use_ssl": True}}, "route": "PoolRoute|A"}


@unittest.skipUnless(OPENSSL, "needs the openssl CLI")
class TestTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = Pki()

    @classmethod
    def tearDownClass(cls):
        cls.pki.cleanup()

    def listener_args(self, require_peer_certs=False):
        args = ["--ssl-port", "0", "--server-pem-cert-path", self.pki.path("server.crt"),
                "--server-pem-key-path", self.pki.path("server.key")]
        if require_peer_certs:
            args += ["--server-pem-ca-path", self.pki.path("ca.crt"), "--ssl-require-peer-certs"]
        return args

    def test_both_sides_set_get_multiget_meta(self):
        with tls_memcached(self.pki) as mc, \
                Mcrelay(tls_pool(mc), args=self.listener_args() + ["--pem-ca-path", self.pki.path("ca.crt"),
                                                                   "--num-proxies", "2",
                                                                   "--enable-admin-keys"]) as relay:
            conn = TlsConn(tls_port(relay), client_context(self.pki))
            self.assertEqual(conn.request(b"set k1 5 0 2\r\nv1\r\n", b"\r\n"), b"STORED\r\n")
            self.assertEqual(conn.request(b"set k2 0 0 2\r\nv2\r\n", b"\r\n"), b"STORED\r\n")
            self.assertEqual(conn.request(b"get k1\r\n", b"END\r\n"), b"VALUE k1 5 2\r\nv1\r\nEND\r\n")
            self.assertEqual(conn.request(b"get k1 nope k2\r\n", b"END\r\n"),
                             b"VALUE k1 5 2\r\nv1\r\nVALUE k2 0 2\r\nv2\r\nEND\r\n")
            self.assertEqual(conn.request(b"ms k3 2 T0\r\nv3\r\nmg k3 v f\r\nmn\r\n", b"MN\r\n"),
                             b"HD\r\nVA 2 f0\r\nv3\r\nMN\r\n")
            # A big value crosses many TLS records both ways.
            big = os.urandom(300000).hex().encode()
            self.assertEqual(conn.request(b"set big 0 0 %d\r\n%s\r\n" % (len(big), big), b"\r\n"), b"STORED\r\n")
            self.assertEqual(conn.request(b"get big\r\n", b"END\r\n"), b"VALUE big 0 %d\r\n%s\r\nEND\r\n" % (len(big), big))
            conn.close()
            # pymemcache's tls_context, as an application would use it.
            from pymemcache.client.base import Client
            client = Client(("127.0.0.1", tls_port(relay)), tls_context=client_context(self.pki), timeout=5)
            client.set("pm", b"hello")
            self.assertEqual(client.get("pm"), b"hello")
            self.assertEqual(client.get_many(["pm", "k1", "absent"]), {"pm": b"hello", "k1": b"v1"})
            client.close()
            # The plain port still serves beside the TLS one, and the data is the TLS memcached's.
            from mcrelay_testlib import Conn
            with Conn(relay.port) as plain:
                self.assertEqual(plain.exchange(b"get pm\r\n", b"END\r\n"), b"VALUE pm 0 5\r\nhello\r\nEND\r\n")
                # mcrouter names the server's security mechanism in `stats servers`.
                self.assertIn(f"STAT {mc.address}:ascii:ssl:notcompressed-1000 ".encode(),
                              plain.exchange(b"stats servers\r\n", b"END\r\n"))

    def test_sessions_to_servers_are_resumed(self):
        # Upstream connections closed when idle (--reset-inactive-connection-interval) reconnect with an
        # abbreviated handshake: the session (TLS 1.3 ticket) of the last one is offered again.
        with tls_memcached(self.pki) as mc, \
                Mcrelay(tls_pool(mc), args=["--pem-ca-path", self.pki.path("ca.crt"), "--num-proxies", "1",
                                            "--log-level", "debug", "--reset-inactive-connection-interval", "100"]) as relay:
            from mcrelay_testlib import Conn
            for i in range(3):
                with Conn(relay.port) as c:
                    self.assertEqual(c.exchange(b"set r%d 0 0 1\r\nx\r\n" % i, b"\r\n"), b"STORED\r\n")
                wait_for(lambda: relay.stderr_text().count("closed 1 inactive upstream connection") > i, 5,
                         "the idle upstream connection to close")
            log = relay.stderr_text()
            self.assertEqual(log.count("TLS handshake done (new session)"), 1, log)
            self.assertEqual(log.count("TLS handshake done (session resumed)"), 2, log)
            with Conn(relay.port) as c:
                from mcrelay_testlib import parse_stats
                stats = parse_stats(c.exchange(b"stats\r\n", b"END\r\n"))
            self.assertEqual(stats["upstream_tls_handshakes"], "3")
            self.assertEqual(stats["upstream_tls_resumed"], "2")

    def test_connections_to_one_server_share_its_session(self):
        # With several connections per server, the first one's session (its TLS 1.3 ticket, read with its
        # first reply) lets the others resume: one full handshake per server and worker.
        with tls_memcached(self.pki) as mc, \
                Mcrelay(tls_pool(mc), args=["--pem-ca-path", self.pki.path("ca.crt"), "--num-proxies", "1",
                                            "--connections-per-server", "4"]) as relay:
            from mcrelay_testlib import Conn, parse_stats
            with Conn(relay.port) as c:
                for i in range(40):  # sequential: keys spread over the 4 connections by hash
                    self.assertEqual(c.exchange(b"set s%d 0 0 1\r\nx\r\n" % i, b"\r\n"), b"STORED\r\n")
                stats = parse_stats(c.exchange(b"stats\r\n", b"END\r\n"))
            self.assertEqual(stats["upstream_tls_handshakes"], "4")
            self.assertEqual(stats["upstream_tls_resumed"], "3")

    def test_mutual_tls(self):
        with tls_memcached(self.pki) as mc, \
                Mcrelay(tls_pool(mc), args=self.listener_args(require_peer_certs=True) +
                        ["--pem-ca-path", self.pki.path("ca.crt")]) as relay:
            port = tls_port(relay)
            conn = TlsConn(port, client_context(self.pki, cert="client"))
            self.assertEqual(conn.request(b"set m 0 0 1\r\nx\r\n", b"\r\n"), b"STORED\r\n")
            conn.close()
            # No client certificate: refused (TLS 1.3 reports it on the first read, 1.2 in the handshake).
            self.assertTrue(self.refused(port, client_context(self.pki)))
            # A certificate from another CA: refused too.
            ctx = client_context(self.pki)
            ctx.load_cert_chain(self.pki.path("other_server.crt"), self.pki.path("other_server.key"))
            self.assertTrue(self.refused(port, ctx))
            relay.assert_alive()

    def refused(self, port, ctx):
        conn = None
        try:
            conn = TlsConn(port, ctx)
            conn.request(b"get m\r\n", b"END\r\n")
            return False
        except (ssl.SSLError, ConnectionError, AssertionError):
            return True
        finally:
            if conn is not None:
                conn.close()

    def test_client_certificate_to_servers(self):
        # memcached asks for and checks mcrelay's certificate (ssl_verify_mode 2 + ssl_ca_cert).
        mc = Memcached(extra_args=["-Z", "-o", f"ssl_chain_cert={self.pki.path('server.crt')},"
                                   f"ssl_key={self.pki.path('server.key')},ssl_ca_cert={self.pki.path('ca.crt')},"
                                   "ssl_verify_mode=2"])
        with mc:
            args = ["--pem-ca-path", self.pki.path("ca.crt"), *SHOW_ERRORS]
            from mcrelay_testlib import Conn
            with Mcrelay(tls_pool(mc), args=args) as relay, Conn(relay.port) as c:
                self.assertTrue(c.exchange(b"get a\r\n", b"\r\n").startswith(b"SERVER_ERROR"))
            with Mcrelay(tls_pool(mc), args=args + ["--pem-cert-path", self.pki.path("client.crt"),
                                                     "--pem-key-path", self.pki.path("client.key")]) as relay, \
                    Conn(relay.port) as c:
                self.assertEqual(c.exchange(b"set a 0 0 1\r\nx\r\n", b"\r\n"), b"STORED\r\n")

    def test_wrong_ca_or_name_is_refused_with_a_clear_log_line(self):
        from mcrelay_testlib import Conn
        with tls_memcached(self.pki) as mc:
            with Mcrelay(tls_pool(mc), args=["--pem-ca-path", self.pki.path("other_ca.crt"), *SHOW_ERRORS]) as relay:
                with Conn(relay.port) as c:
                    reply = c.exchange(b"get a\r\n", b"\r\n")
                self.assertTrue(reply.startswith(b"SERVER_ERROR"), reply)
                self.assertIn(b"certificate verify failed", reply)
                line = wait_for(lambda: [l for l in relay.stderr_text().splitlines() if "TLS handshake failed" in l],
                                5, "the handshake failure's log line")[0]
                self.assertIn(f"upstream {mc.address}: TLS handshake failed: certificate verify failed", line)
                self.assertIn("unable to get local issuer certificate", line)
            with Mcrelay(tls_pool(mc), args=["--pem-ca-path", self.pki.path("ca.crt"), "--ssl-service-identity",
                                             "cache.example.com", *SHOW_ERRORS]) as relay:
                with Conn(relay.port) as c:
                    self.assertTrue(c.exchange(b"get a\r\n", b"\r\n").startswith(b"SERVER_ERROR"))
                line = wait_for(lambda: [l for l in relay.stderr_text().splitlines() if "TLS handshake failed" in l],
                                5, "the handshake failure's log line")[0]
                self.assertIn("hostname mismatch", line)
            # The right CA and a name the certificate carries (--ssl-service-identity localhost): served.
            with Mcrelay(tls_pool(mc), args=["--pem-ca-path", self.pki.path("ca.crt"), "--ssl-service-identity",
                                             "localhost"]) as relay, Conn(relay.port) as c:
                self.assertEqual(c.exchange(b"set a 0 0 1\r\nx\r\n", b"\r\n"), b"STORED\r\n")

    def test_security_field_ssl_turns_tls_on_for_one_server(self):
        # mcrouter's address syntax host:port:protocol:security, with security "ssl", and no pool option.
        from mcrelay_testlib import Conn
        with tls_memcached(self.pki) as mc, \
                Mcrelay({"pools": {"A": {"servers": [mc.address + ":ascii:ssl"]}}, "route": "PoolRoute|A"},
                        args=["--pem-ca-path", self.pki.path("ca.crt")]) as relay, Conn(relay.port) as c:
            self.assertEqual(c.exchange(b"set s 0 0 1\r\nx\r\n", b"\r\n"), b"STORED\r\n")

    def test_rotated_certificate_is_picked_up_without_restart(self):
        # The Kubernetes way: files under a directory reached through a "..data" symlink that is swapped.
        root = tempfile.mkdtemp(prefix="mcrelay-rotate-")
        self.addCleanup(shutil.rmtree, root, True)

        def publish(version, cert):
            d = os.path.join(root, f"..{version}")
            os.mkdir(d)
            shutil.copy(self.pki.path(f"{cert}.crt"), os.path.join(d, "tls.crt"))
            shutil.copy(self.pki.path(f"{cert}.key"), os.path.join(d, "tls.key"))
            tmp = os.path.join(root, "..data_tmp")
            os.symlink(f"..{version}", tmp)
            os.replace(tmp, os.path.join(root, "..data"))

        publish("v1", "server")
        for name in ("tls.crt", "tls.key"):
            os.symlink(f"..data/{name}", os.path.join(root, name))
        # A second server certificate from the same CA, with its own key.
        self.pki.make_cert("server2", "ca", "localhost", san="DNS:localhost,IP:127.0.0.1")
        with open(self.pki.path("server.crt"), "rb") as f:
            first_der = ssl.PEM_cert_to_DER_cert(f.read().decode())
        with open(self.pki.path("server2.crt"), "rb") as f:
            second_der = ssl.PEM_cert_to_DER_cert(f.read().decode())
        with Memcached() as mc, Mcrelay({"pools": {"A": {"servers": [mc.address]}}, "route": "PoolRoute|A"},
                                        args=["--ssl-port", "0", "--server-pem-cert-path", os.path.join(root, "tls.crt"),
                                              "--server-pem-key-path", os.path.join(root, "tls.key"),
                                              "--tls-reload-interval-ms", "100"]) as relay:
            port = tls_port(relay)
            old = TlsConn(port, client_context(self.pki))
            self.assertEqual(old.peer_cert(), first_der)
            self.assertEqual(old.request(b"set r 0 0 1\r\nx\r\n", b"\r\n"), b"STORED\r\n")
            publish("v2", "server2")
            wait_for(lambda: "reloaded the server certificate" in relay.stderr_text(), 5, "the certificate reload")
            new = TlsConn(port, client_context(self.pki))
            self.assertEqual(new.peer_cert(), second_der)
            self.assertEqual(new.request(b"get r\r\n", b"END\r\n"), b"VALUE r 0 1\r\nx\r\nEND\r\n")
            # The connection made before the rotation was not dropped.
            self.assertEqual(old.request(b"get r\r\n", b"END\r\n"), b"VALUE r 0 1\r\nx\r\nEND\r\n")
            # A half-written rotation (a key that is not the certificate's) keeps the working context.
            publish("v3-broken", "server")
            shutil.copy(self.pki.path("server2.key"), os.path.join(root, "..v3-broken", "tls.key"))
            os.utime(os.path.join(root, "..v3-broken", "tls.key"))
            wait_for(lambda: "cannot be loaded" in relay.stderr_text(), 5, "the broken rotation's warning")
            third = TlsConn(port, client_context(self.pki))
            self.assertEqual(third.peer_cert(), second_der)
            for c in (old, new, third):
                c.close()

    def test_a_bad_handshake_costs_other_clients_nothing(self):
        with Memcached() as mc, Mcrelay({"pools": {"A": {"servers": [mc.address]}}, "route": "PoolRoute|A"},
                                        args=self.listener_args() + ["--num-proxies", "1",
                                                                     "--tls-handshake-timeout-ms", "300"]) as relay:
            port = tls_port(relay)
            silent = socket.create_connection(("127.0.0.1", port))  # connects, never says hello
            garbage = socket.create_connection(("127.0.0.1", port))
            garbage.sendall(b"get foo\r\n" * 100)  # plain text to the TLS port
            garbage.settimeout(5)
            received = b""
            while chunk := garbage.recv(100):  # closed (after a TLS alert record, if any)
                received += chunk
            self.assertLess(len(received), 100)
            ok = TlsConn(port, client_context(self.pki))
            self.assertEqual(ok.request(b"set x 0 0 1\r\nx\r\n", b"\r\n"), b"STORED\r\n")
            # The silent one is closed once its handshake deadline passes.
            silent.settimeout(5)
            start = time.monotonic()
            self.assertEqual(silent.recv(100), b"")
            self.assertLess(time.monotonic() - start, 3)
            self.assertEqual(ok.request(b"get x\r\n", b"END\r\n"), b"VALUE x 0 1\r\nx\r\nEND\r\n")
            for s in (silent, garbage):
                s.close()
            from mcrelay_testlib import Conn, parse_stats
            with Conn(relay.port) as c:
                stats = parse_stats(c.exchange(b"stats\r\n", b"END\r\n"))
            self.assertEqual(stats["tls_handshakes"], "1")
            self.assertEqual(stats["tls_handshake_failures"], "2")  # the garbage and the silent one
            ok.close()
            relay.assert_alive()

    def test_several_tls_ports(self):
        # --ssl-port PORT,PORT: a TLS listener on each (0 picks a free one each time).
        with Memcached() as mc, Mcrelay({"pools": {"A": {"servers": [mc.address]}}, "route": "PoolRoute|A"},
                                        args=["--ssl-port", "0,0", "--server-pem-cert-path", self.pki.path("server.crt"),
                                              "--server-pem-key-path", self.pki.path("server.key")]) as relay:
            wait_for(lambda: len(TLS_PORT_RE.findall(relay.stderr_text())) == 2, 5, "two TLS listeners")
            ports = [int(p) for p in TLS_PORT_RE.findall(relay.stderr_text())]
            self.assertEqual(len(set(ports + [relay.port])), 3)
            for i, port in enumerate(ports):
                conn = TlsConn(port, client_context(self.pki))
                self.assertEqual(conn.request(b"set p%d 0 0 1\r\nx\r\n" % i, b"\r\n"), b"STORED\r\n")
                conn.close()

    def test_a_client_that_half_closes_still_gets_its_replies(self):
        # As on the plain port: requests, then a TCP FIN (no TLS close_notify, as an `nc`-style client
        # sends); mcrelay answers what was asked, then closes.
        with Memcached() as mc, Mcrelay({"pools": {"A": {"servers": [mc.address]}}, "route": "PoolRoute|A"},
                                        args=self.listener_args()) as relay:
            raw = socket.create_connection(("127.0.0.1", tls_port(relay)), timeout=5)
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = client_context(self.pki).wrap_bio(incoming, outgoing, server_hostname="localhost")
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    raw.sendall(outgoing.read())
                    incoming.write(raw.recv(65536))
            raw.sendall(outgoing.read())
            tls.write(b"set h 0 0 1\r\nx\r\nget h\r\n")
            raw.sendall(outgoing.read())
            raw.shutdown(socket.SHUT_WR)
            got = b""
            while chunk := raw.recv(65536):
                incoming.write(chunk)
                while True:
                    try:
                        got += tls.read(65536)
                    except (ssl.SSLWantReadError, ssl.SSLZeroReturnError, ssl.SSLEOFError):
                        break
            raw.close()
            self.assertEqual(got, b"STORED\r\nVALUE h 0 1\r\nx\r\nEND\r\n")

    def test_start_up_errors_name_the_file(self):
        missing = os.path.join(self.pki.dir, "missing.crt")
        relay = Mcrelay({"pools": {"A": {"servers": ["127.0.0.1:1"]}}, "route": "PoolRoute|A"},
                        args=["--ssl-port", "0", "--server-pem-cert-path", missing,
                              "--server-pem-key-path", self.pki.path("server.key")])
        with self.assertRaises(AssertionError) as cm:
            relay.start()
        self.assertIn(f"--server-pem-cert-path {missing}: No such file or directory", str(cm.exception))
        relay = Mcrelay({"pools": {"A": {"servers": ["127.0.0.1:1"]}}, "route": "PoolRoute|A"},
                        args=["--ssl-port", "0", "--server-pem-cert-path", self.pki.path("server.crt"),
                              "--server-pem-key-path", self.pki.path("client.key")])
        with self.assertRaises(AssertionError) as cm:
            relay.start()
        self.assertIn(f"--server-pem-key-path {self.pki.path('client.key')}: key values mismatch", str(cm.exception))

    def test_pem_paths_without_a_tls_pool_are_harmless(self):
        # mcrouter reads --pem-* only for TLS pools; a plain config with paths that do not load still serves.
        from mcrelay_testlib import Conn
        with Memcached() as mc, Mcrelay({"pools": {"A": {"servers": [mc.address]}}, "route": "PoolRoute|A"},
                                        args=["--pem-cert-path", "/nonexistent.crt", "--pem-key-path",
                                              "/nonexistent.key"]) as relay, Conn(relay.port) as c:
            self.assertEqual(c.exchange(b"set p 0 0 1\r\nx\r\n", b"\r\n"), b"STORED\r\n")
            self.assertIn("TLS to servers is unavailable", relay.stderr_text())


if __name__ == "__main__":
    unittest.main()

"""The Kubernetes lab ("Deploying Memcached on Kubernetes Engine") replayed against mcrelay.

mcrelay stands where the lab puts mcrouter: in front of 3 memcached servers, configured with the config
file the lab's mcrouter Helm chart renders (pool "A", a trailing comma after the last server,
"route": "PoolRoute|A"). The lab's telnet transcript is replayed byte for byte on a raw socket, and its
Python steps run with pymemcache's plain Client (HashClient is not needed: the proxy does the hashing).
"""

import socket
import sys
import unittest

from mcrelay_testlib import (STANDIN, Conn, Mcrelay, Memcached, parse_value_reply, show, skip_without_proxy,
                             wait_for)
from test_placement import ch3

try:
    from pymemcache.client.base import Client
except ImportError:  # CTest may pick an interpreter other than Debian's; python3-pymemcache is pure Python
    sys.path.append("/usr/lib/python3/dist-packages")
    from pymemcache.client.base import Client


def chart_config(host, ports):
    """What the mcrouter Helm chart's configmap renders for a 3-replica memcached (servers in ordinal
    order, each followed by a comma)."""
    servers = "".join(f'\n            "{host}:{port}",' for port in ports)
    return ("{\n"
            '  "pools": {\n'
            '    "A": {\n'
            f'      "servers": [{servers}\n'
            "      ]\n"
            "    }\n"
            "  },\n"
            '  "route": "PoolRoute|A"\n'
            "}\n")


def localhost_is_ipv4_only():
    try:
        infos = socket.getaddrinfo("localhost", 11211, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(infos) and all(info[4][0] == "127.0.0.1" for info in infos)


_servers = []
_relay = None


def setUpModule():
    global _relay
    if STANDIN:
        return
    for _ in range(3):
        _servers.append(Memcached().start())
    _relay = Mcrelay(chart_config("127.0.0.1", [mc.port for mc in _servers]), config_style="-f").start()


def tearDownModule():
    try:
        if _relay is not None:
            _relay.stop()
    finally:
        for mc in _servers:
            mc.stop()


def holders(key):
    """Which of the 3 memcached servers hold `key` (asked directly)."""
    found = []
    for i, mc in enumerate(_servers):
        with Conn(mc.port, name=f"memcached[{i}]") as c:
            if parse_value_reply(c.request(b"get %s\r\n" % key)):
                found.append(i)
    return found


@skip_without_proxy()
class TestLab(unittest.TestCase):
    def tearDown(self):
        _relay.assert_alive(f"after {self.id()}")

    def telnet(self):
        return Conn(_relay.port, name="telnet to mcrelay", diag=_relay.diag)

    def test_telnet_transcript(self):
        with self.telnet() as t:
            # As typed in telnet: the command line, then the data line, each sent on its own.
            t.send(b"set mykey 0 0 5\r\n")
            t.send(b"hello\r\n")
            self.assertEqual(t.read_until(b"\r\n"), b"STORED\r\n")
            t.send(b"get mykey\r\n")
            self.assertEqual(t.read_until(b"END\r\n"), b"VALUE mykey 0 5\r\nhello\r\nEND\r\n")
            t.send(b"set anotherkey 0 0 15\r\n")
            t.send(b"Mcrouter is fun\r\n")
            self.assertEqual(t.read_until(b"\r\n"), b"STORED\r\n")
            t.send(b"get anotherkey\r\n")
            self.assertEqual(t.read_until(b"END\r\n"), b"VALUE anotherkey 0 15\r\nMcrouter is fun\r\nEND\r\n")
            self.assertEqual(t.read_until_closed(send=b"quit\r\n"), b"", "quit must close the session silently")
        # "Connecting the pods": another session (another node's proxy in the lab) sees the key.
        with self.telnet() as t:
            t.send(b"get anotherkey\r\n")
            self.assertEqual(t.read_until(b"END\r\n"), b"VALUE anotherkey 0 15\r\nMcrouter is fun\r\nEND\r\n")
            self.assertEqual(t.read_until_closed(send=b"quit\r\n"), b"")
        self.assertEqual(len(holders(b"mykey")), 1, "mykey must be on exactly one memcached")
        self.assertEqual(len(holders(b"anotherkey")), 1, "anotherkey must be on exactly one memcached")

    def test_telnet_byte_by_byte(self):
        # A slow typist: every byte in its own segment.
        with self.telnet() as t:
            for b in b"set slowkey 0 0 4\r\nslow\r\n":
                t.send(bytes([b]))
            self.assertEqual(t.read_until(b"\r\n"), b"STORED\r\n")
            for b in b"get slowkey\r\n":
                t.send(bytes([b]))
            self.assertEqual(t.read_until(b"END\r\n"), b"VALUE slowkey 0 4\r\nslow\r\nEND\r\n")

    def test_pymemcache_client_steps(self):
        with self.telnet() as t:
            self.assertEqual(t.request(b"set anotherkey 0 0 15\r\nMcrouter is fun\r\n"), b"STORED\r\n")
        client = Client(("127.0.0.1", _relay.port), connect_timeout=5, timeout=5)
        try:
            client.set("some_key", "some_value")  # the lab's call: pymemcache sends it with noreply
            self.assertEqual(client.get("some_key"), b"some_value")
            self.assertEqual(client.get("anotherkey"), b"Mcrouter is fun")
            self.assertIsNone(client.get("no_such_key"))
        finally:
            client.close()
        self.assertEqual(len(holders(b"some_key")), 1, "some_key must be on exactly one memcached")

    def test_pymemcache_more_operations(self):
        client = Client(("127.0.0.1", _relay.port), connect_timeout=5, timeout=5, default_noreply=False)
        try:
            values = {f"lab:many:{i}": f"value {i}".encode() for i in range(30)}
            self.assertEqual(client.set_many(values), [], "set_many reports no failed keys")
            got = client.get_many(list(values) + ["lab:many:missing"])
            self.assertEqual(got, values)
            self.assertEqual({i for k in values for i in holders(k.encode())}, {0, 1, 2},
                             "30 keys should span all 3 servers")

            self.assertTrue(client.delete("lab:many:0"))
            self.assertFalse(client.delete("lab:many:0"))
            self.assertIsNone(client.get("lab:many:0"))

            self.assertTrue(client.set("lab:counter", "41"))
            self.assertEqual(client.incr("lab:counter", 1), 42)
            self.assertEqual(client.decr("lab:counter", 50), 0)
            self.assertIsNone(client.incr("lab:no-counter", 1))

            self.assertTrue(client.add("lab:add", "first"))
            self.assertFalse(client.add("lab:add", "second"))
            self.assertTrue(client.replace("lab:add", "third"))
            self.assertTrue(client.append("lab:add", "+"))
            self.assertTrue(client.prepend("lab:add", "+"))
            self.assertEqual(client.get("lab:add"), b"+third+")
            self.assertTrue(client.touch("lab:add", 1000))

            value, cas = client.gets("lab:add")
            self.assertEqual(value, b"+third+")
            self.assertTrue(client.cas("lab:add", "swapped", cas))
            self.assertFalse(client.cas("lab:add", "stale", cas), "cas with a stale unique must fail")
            self.assertIsNone(client.cas("lab:no-such", "x", cas), "cas on a missing key is NOT_FOUND")
            self.assertEqual(client.get("lab:add"), b"swapped")

            self.assertEqual(client.version(), client.version())  # answered, and stable
        finally:
            client.close()

    def test_memcached_pod_restart(self):
        # A memcached pod restarts (same address, empty cache): while it is down its keys get a
        # SERVER_ERROR, the client's connection stays usable and other servers' keys still work; once it
        # is back mcrelay reconnects on its own.
        with Memcached() as m0, Memcached() as m1, Memcached() as m2:
            servers = [m0, m1, m2]
            with Mcrelay(chart_config("127.0.0.1", [m.port for m in servers])) as relay:
                keys = [b"restart:%d" % i for i in range(30)]
                on = {i: next(k for k in keys if ch3(k, 3) == i) for i in range(3)}
                # The request() sentinel key must live on a server that stays up.
                sentinel = next(f"__sentinel__restart{i}" for i in range(100) if ch3(f"__sentinel__restart{i}", 3) == 0)
                with Conn(relay.port, name="mcrelay", diag=relay.diag, sentinel_key=sentinel) as c:
                    self.assertEqual(c.request(b"".join(b"set %s 0 0 1\r\nv\r\n" % on[i] for i in range(3))),
                                     b"STORED\r\n" * 3)
                    m1.stop()
                    reply = c.request(b"set %s 0 0 4\r\ndown\r\n" % on[1])
                    self.assertRegex(reply, rb"\ASERVER_ERROR [^\r\n]+\r\n\Z", f"set while the server is down: {show(reply)}")
                    self.assertEqual(c.request(b"get %s\r\n" % on[0]), b"VALUE %s 0 1\r\nv\r\nEND\r\n" % on[0])
                    self.assertEqual(c.request(b"set %s 0 0 2\r\nup\r\n" % on[2]), b"STORED\r\n")
                    m1.start()
                    wait_for(lambda: c.request(b"set %s 0 0 4\r\nback\r\n" % on[1]) == b"STORED\r\n", 15.0,
                             "mcrelay to use the restarted memcached again", interval=0.05)
                    self.assertEqual(c.request(b"get %s\r\n" % on[1]), b"VALUE %s 0 4\r\nback\r\nEND\r\n" % on[1])
                with Conn(m1.port, name="restarted memcached") as direct:
                    self.assertEqual(direct.request(b"get %s\r\n" % on[1]),
                                     b"VALUE %s 0 4\r\nback\r\nEND\r\n" % on[1])
                relay.assert_alive()

    def test_other_config_flags(self):
        # --config file:PATH and --config '<json>' load the same chart config (comments allowed too).
        config = "// the lab's pool\n" + chart_config("127.0.0.1", [mc.port for mc in _servers])
        for style in ("file", "inline"):
            with self.subTest(config_style=style), Mcrelay(config, config_style=style) as relay:
                with Conn(relay.port, name=f"mcrelay (--config {style})", diag=relay.diag) as t:
                    reply = t.request(b"set flagkey 0 0 1\r\n%d\r\nget flagkey\r\n" % len(style))
                    self.assertEqual(reply, b"STORED\r\nVALUE flagkey 0 1\r\n%d\r\nEND\r\n" % len(style))

    def test_chart_command_line_and_hostnames(self):
        # The chart runs `mcrouter -p 5000 --config-file=/etc/mcrouter/config.json` with server names, not
        # addresses; "localhost" stands in for the pods' DNS names when it resolves to 127.0.0.1 only.
        host = "localhost" if localhost_is_ipv4_only() else "127.0.0.1"
        config = chart_config(host, [mc.port for mc in _servers])
        with Mcrelay(config, config_style="--config-file=") as relay:
            with Conn(relay.port, name="mcrelay (chart command line)", diag=relay.diag) as t:
                reply = t.request(b"set chartkey 0 0 2\r\nok\r\nget chartkey anotherkey-missing\r\n")
                self.assertEqual(reply, b"STORED\r\nVALUE chartkey 0 2\r\nok\r\nEND\r\n", show(reply))
            relay.assert_alive()
        self.assertEqual(len(holders(b"chartkey")), 1)


if __name__ == "__main__":
    unittest.main()

"""JSONM configs (mcrouter's macro language) against real memcached servers.

Two mcrelay processes front the same four memcached servers: one with a plain config, one with a JSONM
config that builds the same pools and routes from macros, a constDef, built-ins (@merge, transform, @str,
@int) and an @import of a file next to the config. Every key must land on the same server through both:
a key set through the JSONM relay and then through the plain relay must be overwritten in place (a
different placement would leave two servers holding it). Also: a broken JSONM config stops start-up with
the path and the macro chain in the error.
"""

import json
import os
import subprocess
import tempfile
import unittest
import uuid

from mcrelay_testlib import Conn, MCRELAY_BIN, Mcrelay, Memcached, parse_value_reply, skip_without_proxy

_servers = []


def setUpModule():
    for _ in range(4):
        _servers.append(Memcached().start())


def tearDownModule():
    for s in _servers:
        s.stop()


def plain_config():
    main = [s.address for s in _servers[:3]]
    return {"pools": {"main": {"servers": main}, "side": {"servers": [_servers[3].address]}},
            "route": {"type": "PrefixSelectorRoute",
                      "policies": {"side:": "PoolRoute|side"},
                      "wildcard": "PoolRoute|main"}}


def jsonm_config(import_name):
    """The same config as plain_config, written with macros."""
    ports = [s.port for s in _servers]
    return {
        "macros": [
            {
                "main_ports": {"type": "constDef", "result": ports[:3]},
                "server": {"type": "macroDef", "params": ["port"],
                           "result": {"type": "merge", "params": ["127.0.0.1:", "@str(%port%)"]}},
            },
            f"@import({import_name})",
        ],
        "pools": {
            "main": {"servers": {"type": "transform", "dictionary": "%main_ports%",
                                 "itemTransform": "@server(%item%)"}},
            "side": {"servers": [f"@server(@int({ports[3]}))"]},
        },
        "route": {"type": "PrefixSelectorRoute",
                  "policies": {"side:": "@pool(side)"},
                  "wildcard": {"type": "pool", "name": "main"}},
    }


@skip_without_proxy()
class TestJsonmPlacement(unittest.TestCase):
    def setUp(self):
        # The imported file sits next to the config (mcrelay's config file is written to the temp dir) and is
        # named relative to it.
        self.import_path = os.path.join(tempfile.gettempdir(), f"mcrelay-jsonm-{uuid.uuid4().hex}.json")
        with open(self.import_path, "w") as f:
            f.write('// imported macros\n{"pool": {"type": "macroDef", "params": ["name"], '
                    '"result": "PoolRoute|%name%"},}\n')
        self.addCleanup(os.unlink, self.import_path)
        self.plain = Mcrelay(plain_config()).start()
        self.addCleanup(self.plain.stop)
        self.jsonm = Mcrelay(jsonm_config(os.path.basename(self.import_path))).start()
        self.addCleanup(self.jsonm.stop)
        self.conns = {}

    def tearDown(self):
        for c in self.conns.values():
            c.close()

    def conn(self, port):
        if port not in self.conns:
            self.conns[port] = Conn(port)
        return self.conns[port]

    def set(self, port, key, value):
        reply = self.conn(port).exchange(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value), b"\r\n")
        self.assertEqual(reply, b"STORED\r\n", f"set {key!r} on port {port}")

    def holders(self, key):
        """{server index: value} for every server that holds `key`."""
        out = {}
        for i, s in enumerate(_servers):
            items = parse_value_reply(self.conn(s.port).exchange(b"get %s\r\n" % key, b"END\r\n"))
            if items:
                out[i] = items[0][2]
        return out

    def test_keys_land_where_the_plain_config_puts_them(self):
        keys = [b"key:%d" % i for i in range(150)] + [b"side:%d" % i for i in range(30)]
        used = set()
        for key in keys:
            self.set(self.jsonm.port, key, b"jsonm")
            first = self.holders(key)
            self.assertEqual(len(first), 1, f"{key!r} set through the JSONM relay is on {sorted(first)}")
            self.set(self.plain.port, key, b"plain")
            self.assertEqual(self.holders(key), {next(iter(first)): b"plain"},
                             f"{key!r}: the JSONM config put it on server {next(iter(first))}, "
                             f"the plain config elsewhere")
            used.add(next(iter(first)))
        # The keys spread over the three main servers, and the side: keys went to the fourth.
        self.assertEqual(used, {0, 1, 2, 3})
        for i in range(30):
            self.assertEqual(set(self.holders(b"side:%d" % i)), {3})


@skip_without_proxy()
class TestJsonmErrors(unittest.TestCase):
    def test_a_broken_macro_stops_startup_with_its_path(self):
        cfg = {"macros": {"pair": {"type": "macroDef", "params": ["a"],
                                   "result": {"type": "merge", "params": ["%a%", ["PoolRoute|A"]]}}},
               "pools": {"A": {"servers": ["127.0.0.1:1"]}},
               "route": {"type": "FailoverRoute", "children": "@pair(x)"}}
        proc = subprocess.run([MCRELAY_BIN, "--validate-config", "--config", json.dumps(cfg)],
                              capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
        out = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 3, out)  # mcrouter's exit code for an invalid config under --validate-config
        self.assertIn("<command line>: route.children: @pair: @merge: params[1] is a list, "
                      "expected a string as params[0]", out)

    def test_runaway_expansion_is_refused_quickly(self):
        macros = {"c0": {"type": "constDef", "result": ["x", "x"]}}
        for i in range(1, 50):
            macros[f"c{i}"] = {"type": "constDef", "result": [f"%c{i - 1}%", f"%c{i - 1}%"]}
        cfg = {"macros": macros, "pools": {}, "route": {"type": "AllSyncRoute", "children": "%c49%"}}
        proc = subprocess.run([MCRELAY_BIN, "--validate-config", "--config", json.dumps(cfg)],
                              capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
        out = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 3, out)  # mcrouter's exit code for an invalid config under --validate-config
        self.assertIn("the expansion is too large", out)


@skip_without_proxy()
class TestConfigParams(unittest.TestCase):
    def test_config_params_fill_the_config(self):
        # mcrouter/test/test_config_params.py's pattern: the config names its server through %PORT%.
        cfg = {"pools": {"A": {"servers": ["127.0.0.1:%PORT%"]}}, "route": "PoolRoute|%POOL%"}
        with Mcrelay(cfg, args=["--config-params", f"PORT:{_servers[0].port},POOL:A"]) as relay:
            c = Conn(relay.port)
            key = b"params:%s" % uuid.uuid4().hex.encode()
            self.assertEqual(c.exchange(b"set %s 0 0 2\r\nok\r\n" % key, b"\r\n"), b"STORED\r\n")
            direct = Conn(_servers[0].port)
            self.assertEqual(parse_value_reply(direct.exchange(b"get %s\r\n" % key, b"END\r\n"))[0][2], b"ok")
            c.close()
            direct.close()
        # Without the params the same config does not load: %PORT% is not defined.
        proc = subprocess.run([MCRELAY_BIN, "--validate-config", "--config", json.dumps(cfg)],
                              capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
        self.assertEqual(proc.returncode, 3, proc.stdout + proc.stderr)
        self.assertIn("PORT", proc.stdout + proc.stderr)


if __name__ == "__main__":
    unittest.main()

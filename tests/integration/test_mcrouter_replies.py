"""The replies mcrelay makes itself where it follows mcrouter rather than memcached (docs/protocol.md, "Where
mcrelay follows mcrouter"), byte for byte as mcrouter's own tests assert them (mcrouter/test/
test_mcrouter_errors.py, test_mcrouter_basic.py), against real memcached servers; and a seeded random
differential fuzz of classic and meta lines, memcached directly against memcached behind mcrelay.
"""

import os
import random
import tempfile
import unittest

from fault_servers import FaultServer
from mcrelay_testlib import (SHOW_ERRORS, Conn, Mcrelay, Memcached, pool_config, refusing_address, show, skip_without_proxy,
                             wait_for)

K251 = b"k" * 250 + b"1"


def set_cmd(key, value, flags=0, noreply=False):
    if isinstance(key, str):
        key = key.encode()
    return b"set %s %d 0 %d%s\r\n%s\r\n" % (key, flags, len(value), b" noreply" if noreply else b"", value)


def two_routes(mc):
    # The default route (/././) and /a/x/, both on one memcached: keys with any other prefix are unknown.
    return {"pools": {"A": {"servers": [mc.address]}},
            "routes": [{"aliases": ["/././", "/a/x/"], "route": "PoolRoute|A"}]}


@skip_without_proxy()
class TestMcrouterReplies(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mc = Memcached().start()
        cls.relay = Mcrelay(two_routes(cls.mc)).start()

    @classmethod
    def tearDownClass(cls):
        cls.relay.stop()
        cls.mc.stop()

    def conn(self, relay=None, name="client"):
        relay = relay or self.relay
        c = Conn(relay.port, name=name, diag=relay.diag)
        self.addCleanup(c.close)
        return c

    def direct(self):
        c = Conn(self.mc.port, name="memcached")
        self.addCleanup(c.close)
        return c

    def test_flush_all_is_disabled_without_enable_flush_cmd(self):
        c = self.conn()
        self.assertEqual(c.request(set_cmd("fl:a", b"x")), b"STORED\r\n")
        self.assertEqual(c.request(b"flush_all\r\n"), b"SERVER_ERROR Command disabled\r\n")
        self.assertEqual(c.request(b"flush_all 0\r\n"), b"SERVER_ERROR Command disabled\r\n")
        self.assertEqual(c.request(b"flush_all noreply\r\n"), b"")
        self.assertEqual(c.request(b"get fl:a\r\n"), b"VALUE fl:a 0 1\r\nx\r\nEND\r\n", "nothing was flushed")
        self.assertEqual(c.request(b"mf\r\n"), b"ERROR\r\n")  # meta flush is not served at all

    def test_key_over_250_bytes_is_a_bad_key(self):
        c = self.conn()
        bad = b"CLIENT_ERROR bad key\r\n"
        # mcrouter's test_mcrouter_errors.py: set, get, delete, append, prepend.
        for data in (set_cmd(K251, b"abc"), b"get " + K251 + b"\r\n", b"delete " + K251 + b"\r\n",
                     b"append " + K251 + b" 0 0 3\r\nabc\r\n", b"prepend " + K251 + b" 0 0 3\r\nabc\r\n",
                     b"gets " + K251 + b"\r\n", b"gat 10 " + K251 + b"\r\n", b"incr " + K251 + b" 1\r\n",
                     b"touch " + K251 + b" 10\r\n", b"cas " + K251 + b" 0 0 1 1\r\nx\r\n",
                     b"mg " + K251 + b" v\r\n", b"ms " + K251 + b" 2 T0\r\nhi\r\n", b"md " + K251 + b"\r\n",
                     b"ma " + K251 + b"\r\n"):
            with self.subTest(request=show(data, 40)):
                self.assertEqual(c.request(data), bad)
        # noreply hides it; the data block was read either way (the next command is answered normally).
        self.assertEqual(c.request(set_cmd(K251, b"abc", noreply=True) + b"mn\r\n"), b"MN\r\n")
        # A multi-get: the other keys are answered, the error takes the place of END.
        self.assertEqual(c.request(set_cmd("bk:a", b"A") + set_cmd("bk:b", b"B")), b"STORED\r\nSTORED\r\n")
        self.assertEqual(c.request(b"get bk:a " + K251 + b" bk:none bk:b\r\n"),
                         b"VALUE bk:a 0 1\r\nA\r\nVALUE bk:b 0 1\r\nB\r\nCLIENT_ERROR bad key\r\n")
        self.assertEqual(c.request(b"get " + b"k" * 249 + b"2\r\n"), b"END\r\n", "250 bytes is fine")
        # mcrouter's own test (test_mcrouter_errors.py, test_bad_key_*): a 10,000-byte key, sent in one write.
        long_key = b"test.key" + b"x" * 10000
        for data in (b"set %s 0 0 3\r\nabc\r\n" % long_key, b"get %s\r\n" % long_key, b"delete %s\r\n" % long_key,
                     b"append %s 0 0 3\r\nabc\r\n" % long_key, b"prepend %s 0 0 3\r\nabc\r\n" % long_key):
            with self.subTest(request=show(data, 40)):
                self.assertEqual(c.request(data), bad)

    def test_get_without_a_key_is_malformed_and_closes(self):
        for data in (b"get\r\n", b"get \r\n", b"gets\r\n", b"gat 10\r\n", b"gats 10 \r\n"):
            with self.subTest(request=data):
                c = self.conn()
                self.assertEqual(c.request(set_cmd("mf:a", b"x")), b"STORED\r\n")
                # The reply before it is written, then the malformed line's, then the close: nothing after
                # it is read.
                got = c.request_closing(b"get mf:a\r\n" + data + b"get mf:a\r\n")
                self.assertEqual(got, b"VALUE mf:a 0 1\r\nx\r\nEND\r\nCLIENT_ERROR malformed request\r\n")
        self.relay.assert_alive("after malformed gets")

    def test_unknown_routing_prefix_is_a_local_error(self):
        c = self.conn()
        err = b"SERVER_ERROR local error\r\n"
        self.assertEqual(c.request(set_cmd("/zz/y/k", b"x")), err)
        self.assertEqual(c.request(b"get /zz/y/k\r\n"), err)
        self.assertEqual(c.request(b"mg /zz/y/k v\r\n"), err)
        self.assertEqual(c.request(b"delete /zz/y/k\r\n"), err)
        self.assertEqual(c.request(set_cmd("/a/x/k", b"a") + b"get /a/x/k\r\n"),
                         b"STORED\r\nVALUE /a/x/k 0 1\r\na\r\nEND\r\n")
        self.assertEqual(c.request(b"get /a/x/k /zz/y/k\r\n"), b"VALUE /a/x/k 0 1\r\na\r\n" + err)
        d = self.direct()
        self.assertEqual(d.request(b"get /zz/y/k k\r\n"), b"VALUE k 0 1\r\na\r\nEND\r\n",
                         "only the known prefix stored (stripped); the unknown one reached no server")

    def test_server_errors_without_a_message(self):
        replies = {b"get": b"CLIENT_ERROR\r\n", b"set": b"SERVER_ERROR\r\n", b"delete": b"CLIENT_ERROR \r\n",
                   b"touch": b"CLIENT_ERROR bad data\r\n"}
        with FaultServer(lambda req: replies.get(req.cmd, b"ERROR\r\n")) as fs, \
                Mcrelay(pool_config([fs.address])) as relay:
            c = self.conn(relay)
            # mcrouter's AsciiSerializedReply: a bare error is written without a trailing space, and a
            # SERVER_ERROR without a message as "remote error".
            self.assertEqual(c.exchange(b"set k 0 0 1\r\nx\r\n", b"\r\n"), b"SERVER_ERROR remote error\r\n")
            self.assertEqual(c.exchange(b"delete k\r\n", b"\r\n"), b"CLIENT_ERROR\r\n")
            self.assertEqual(c.exchange(b"touch k 1\r\n", b"\r\n"), b"CLIENT_ERROR bad data\r\n")

    def test_a_failed_delete_is_spooled_and_answered_not_found(self):
        # mcrouter's asynclog: a SERVER_ERROR (as a timeout or a refused connection) becomes NOT_FOUND; a
        # CLIENT_ERROR is the client's to see.
        replies = {b"delete": b"SERVER_ERROR out of memory\r\n", b"touch": b"CLIENT_ERROR nope\r\n"}
        with tempfile.TemporaryDirectory() as spool, \
                FaultServer(lambda req: b"CLIENT_ERROR nope\r\n" if req.key == b"ce" else
                            replies.get(req.cmd, b"ERROR\r\n")) as fs, \
                Mcrelay(pool_config([fs.address]), args=["--async-dir", spool, "--num-proxies", "1"]) as relay:
            c = self.conn(relay)
            self.assertEqual(c.exchange(b"delete sp:a\r\n", b"\r\n"), b"NOT_FOUND\r\n")
            self.assertEqual(c.exchange(b"delete ce\r\n", b"\r\n"), b"CLIENT_ERROR nope\r\n")
            files = [f for f in os.listdir(spool) if f.endswith(".deletes")]
            self.assertEqual(len(files), 1, os.listdir(spool))
            with open(os.path.join(spool, files[0])) as f:
                self.assertEqual(f.read(), "delete sp:a\n")
        with FaultServer(lambda req: b"SERVER_ERROR out of memory\r\n") as fs, \
                Mcrelay(pool_config([fs.address])) as relay:
            c = self.conn(relay)
            self.assertEqual(c.exchange(b"delete sp:a\r\n", b"\r\n"), b"SERVER_ERROR out of memory\r\n",
                             "without --async-dir the error is passed on")

    def test_shutdown(self):
        c = self.conn()
        self.assertEqual(c.request(b"shutdown\r\n"), b"ERROR: shutdown not enabled\r\n")
        self.assertEqual(c.request(b"shutdown graceful\r\n"), b"ERROR: shutdown not enabled\r\n")
        relay = Mcrelay(pool_config([self.mc]), args=["--enable-shutdown-cmd", "--drain-timeout-ms", "2000"]).start()
        try:
            c = self.conn(relay)
            self.assertEqual(c.request(b"shutdown bogus\r\n"), b"CLIENT_ERROR invalid shutdown mode\r\n")
            # No reply (mcrouter, memcached): the proxy drains, closes this connection and exits 0.
            self.assertEqual(c.request_closing(b"get sd:a\r\nshutdown\r\n"), b"END\r\n")
            wait_for(lambda: not relay.is_alive(), 10, "mcrelay to exit after shutdown")
            self.assertEqual(relay.proc.wait(), 0)
            self.assertIn("shutdown command", relay.stderr_text())
        finally:
            if relay.is_alive():
                relay.stop()
            else:
                relay._cleanup_files()

    def test_allow_only_gets(self):
        d = self.direct()
        self.assertEqual(d.request(set_cmd("og:a", b"A")), b"STORED\r\n")
        with Mcrelay(two_routes(self.mc), args=["--allow-only-gets"]) as relay:
            c = self.conn(relay)  # (no sentinel: its set would not be stored either)
            self.assertEqual(c.exchange(b"get og:a og:none\r\n", b"END\r\n"), b"VALUE og:a 0 1\r\nA\r\nEND\r\n")
            self.assertEqual(c.exchange(b"mg og:a v\r\n", b"A\r\n"), b"VA 1\r\nA\r\n")
            cases = [(set_cmd("og:a", b"Z"), b"NOT_STORED\r\n"), (b"add og:n 0 0 1\r\nx\r\n", b"NOT_STORED\r\n"),
                     (b"cas og:a 0 0 1 1\r\nx\r\n", b"NOT_STORED\r\n"), (b"delete og:a\r\n", b"NOT_FOUND\r\n"),
                     (b"incr og:a 1\r\n", b"NOT_FOUND\r\n"), (b"touch og:a 1\r\n", b"NOT_FOUND\r\n"),
                     (b"ms og:a 1\r\nZ\r\n", b"NS\r\n"), (b"md og:a\r\n", b"NF\r\n"), (b"ma og:a\r\n", b"NF\r\n"),
                     (set_cmd("/zz/y/k", b"x"), b"NOT_STORED\r\n"),
                     (set_cmd("og:a", b"Z", noreply=True) + b"mn\r\n", b"MN\r\n"),
                     (b"md og:a q\r\nmn\r\n", b"NF\r\nMN\r\n")]
            for data, want in cases:
                with self.subTest(request=data):
                    self.assertEqual(c.exchange(data, want[-4:] if want.endswith(b"MN\r\n") else b"\r\n"), want)
        self.assertEqual(d.request(b"get og:a og:n\r\n"), b"VALUE og:a 0 1\r\nA\r\nEND\r\n", "nothing changed")


@skip_without_proxy()
class TestLargeValues(unittest.TestCase):
    """mcrouter forwards a value of any size; the server's own limit decides (4 MiB: refused by a default
    memcached, stored by one with -I 16m). --max-item-size is the proxy's own bound when given."""

    VALUE = bytes(range(256)) * (4 * 1024 * 1024 // 256)

    def roundtrip(self, relay, key):
        with Conn(relay.port, name="client", diag=relay.diag, timeout=20) as c:
            return c.request(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(self.VALUE), self.VALUE)), \
                c.request(b"get %s\r\n" % key)

    def test_the_server_decides(self):
        with Memcached() as small, Memcached(max_item_size="16m", memory_mb=128) as big, \
                Mcrelay({"pools": {"S": {"servers": [small.address]}, "B": {"servers": [big.address]}},
                         "routes": [{"aliases": ["/s/x/"], "route": "PoolRoute|S"},
                                    {"aliases": ["/b/x/"], "route": "PoolRoute|B"}]}) as relay:
            with Conn(relay.port, name="client", diag=relay.diag) as c:
                self.assertEqual(c.request(set_cmd("/s/x/big", b"old")), b"STORED\r\n")
            stored, got = self.roundtrip(relay, b"/s/x/big")
            self.assertEqual(stored, b"SERVER_ERROR object too large for cache\r\n")
            self.assertEqual(got, b"END\r\n", "memcached dropped the stale item itself")
            stored, got = self.roundtrip(relay, b"/b/x/big")
            self.assertEqual(stored, b"STORED\r\n")
            self.assertEqual(got, b"VALUE /b/x/big 0 %d\r\n%s\r\nEND\r\n" % (len(self.VALUE), self.VALUE))

    def test_an_explicit_max_item_size_is_the_proxys_limit(self):
        with Memcached(max_item_size="16m", memory_mb=128) as big, \
                Mcrelay(pool_config([big]), args=["--max-item-size", "2m"]) as relay:
            stored, got = self.roundtrip(relay, b"lim")
            self.assertEqual(stored, b"SERVER_ERROR object too large for cache\r\n")
            self.assertEqual(got, b"END\r\n")
            self.assertEqual(big.stats().get("cmd_set"), "1", "the proxy refused it (and sent the stale delete)")


class FuzzLines:
    """Seeded random request lines, classic and meta, each one framed (a data block of the declared length
    whenever the length is a number memcached accepts), so that both sides stay in step. Cases where mcrelay
    follows mcrouter or documents a difference are not generated: keys over 250 bytes or with a routing
    prefix, gets without a key, flush_all/shutdown/stats/version/verbosity/me, and flags whose values
    depend on each server's own clock or cas counter (t, l, h, c, C, E), short exptimes (each server
    expires items on its own clock tick), counters that shrink (decr, ma MD: see classic()), or values that
    start with whitespace (see value())."""

    KEYS = [b"fz:a", b"fz:b", b"fz:c", b"fz:n", b"fz:num", b"Zno6YQ==", b"ZnQ6Yg==", b"ZnQ6eA", b"!!", b"fz:\x01"]
    FLAGS = [b"v", b"f", b"s", b"k", b"q", b"u", b"b", b"O", b"Oab", b"O" + b"x" * 33, b"T0", b"T100", b"T-1",
             b"Tx", b"N30", b"Nx", b"R30", b"F5", b"F4294967296", b"Fx", b"MS", b"ME", b"MA", b"MP", b"MR",
             b"MI", b"MX", b"MAA", b"I", b"D2", b"Dx", b"J7", b"Jx", b"P", b"L", b"S", b"Z", b"W",
             b"zz", b"\x7f", b"qq"]

    def __init__(self, seed):
        self.rnd = random.Random(seed)

    def pick(self, seq):
        return self.rnd.choice(seq)

    def number(self):
        return self.pick([b"0", b"1", b"2", b"5", b"-1", b"x", b"4294967295", b"18446744073709551615",
                          b"18446744073709551616", b"1x", b"007"])

    def exptime(self):
        # No short relative times: each memcached expires items on its own clock tick, so an item that
        # lives a second or two could be gone on one side and not yet on the other.
        return self.pick([b"0", b"-1", b"x", b"1000", b"0100", b"1x", b"4294967295", b"2147483648",
                          b"18446744073709551616"])

    def value(self, length_token):
        try:
            n = int(length_token)
        except ValueError:
            return b""
        if not 0 <= n <= 64 or length_token != str(n).encode():
            return b""
        # Not starting with whitespace: memcached's incr parses a value with strtoull, which skips leading
        # whitespace past the end of an all-blank value into whatever memory follows the item.
        body = bytes(self.rnd.choice(b"abc\x00" if i == 0 else b"abc\r\n\x00") for i in range(n))
        return body + self.pick([b"\r\n"] * 9 + [b"XY"])

    def classic(self):
        key = self.pick(self.KEYS)
        kind = self.rnd.randrange(8)
        if kind == 0:
            return b"%s %s\r\n" % (self.pick([b"get", b"gets"]), b" ".join(self.rnd.sample(self.KEYS, 3)))
        if kind == 1:
            return b"%s %s %s\r\n" % (self.pick([b"gat", b"gats"]), self.exptime(), key)
        if kind == 2:
            length = self.pick([b"0", b"1", b"3", b"5", b"x", b"-1"])
            tail = self.pick([b"", b" noreply", b" junk", b" noreply x"])
            verb = self.pick([b"set", b"add", b"replace", b"append", b"prepend"])
            return b"%s %s %s %s %s%s\r\n" % (verb, key, self.number(), self.exptime(), length, tail) + \
                (self.value(length) if tail in (b"", b" noreply", b" junk") else b"")
        if kind == 3:
            # No decr (nor a wrapping incr): a counter that gets shorter is padded with spaces in place, or
            # re-allocated at its new length, depending on whether memcached itself still holds a reference
            # to the item at that instant -- a race inside memcached, not a proxy difference.
            return b"incr %s %s%s\r\n" % (key, self.pick([b"0", b"1", b"2", b"5", b"x", b"-1", b"1x", b"007"]),
                                          self.pick([b"", b" noreply"]))
        if kind == 4:
            return b"delete %s%s\r\n" % (key, self.pick([b"", b" 0", b" noreply", b" 0 noreply", b" 1"]))
        if kind == 5:
            return b"touch %s %s%s\r\n" % (key, self.exptime(), self.pick([b"", b" noreply"]))
        if kind == 6:
            return b"set fz:num 0 0 2\r\n%s\r\n" % self.pick([b"10", b"99", b"-1", b"ab"])
        return self.pick([b"bogus\r\n", b"mn\r\n", b"\r\n", b"GET fz:a\r\n", b"get fz:a\0junk\r\n",
                          b"set fz:z\0z 0 0 2\r\nab\r\n"])

    def meta(self):
        cmd = self.pick([b"mg", b"ms", b"md", b"ma"])
        flags = [self.pick(self.FLAGS) for _ in range(self.rnd.randrange(0, 5))]
        if cmd == b"ma" and any(f.startswith(b"q") for f in flags):
            flags = [f for f in flags if not f.startswith(b"N")]  # documented: a quiet ma that creates an item
        key = self.pick(self.KEYS)
        if cmd == b"ms":
            length = self.pick([b"0", b"2", b"3", b"x", b"-1"])
            return b"ms %s %s %s\r\n" % (key, length, b" ".join(flags)) + self.value(length)
        return b"%s %s %s\r\n" % (cmd, key, b" ".join(flags))

    def one(self):
        data = self.meta() if self.rnd.random() < 0.5 else self.classic()
        # A bad data chunk that memcached does not read ends the request mid-line: end that line, so that
        # the next request (the harness's sentinel get) is not glued to it.
        return data if data.endswith(b"\n") else data + b"\r\n"

    def line(self):
        """One request, or a pipeline of up to four in one write (quiet mode, noreply and mn in between)."""
        if self.rnd.random() < 0.7:
            return self.one()
        return b"".join(self.one() for _ in range(self.rnd.randrange(2, 5))) + self.pick([b"", b"mn\r\n"])


@skip_without_proxy()
class TestMissOnErrors(unittest.TestCase):
    """mcrouter's ProxyRoute: a get-like request whose server failed is answered as a miss, and a failed
    incr/decr as NOT_FOUND, unless --disable-miss-on-get-errors / --disable-miss-on-arith-errors; the proxy's
    own refusal of an unknown routing prefix still reaches a get (mcrouter: "always surface invalid routing
    errors"), while incr/decr turn it into NOT_FOUND too."""

    def config(self, mc, dead):
        return {"pools": {"A": {"servers": [mc.address]}, "D": {"servers": [dead]}},
                "routes": [{"aliases": ["/a/a/"], "route": "PoolRoute|A"},
                           {"aliases": ["/d/d/"], "route": "PoolRoute|D"}]}

    def test_defaults_and_flags(self):
        dead = refusing_address(self)  # every request to it is a connect error
        with Memcached() as mc, \
                Mcrelay(self.config(mc, dead), args=["-R", "/a/a/"]) as relay, \
                Mcrelay(self.config(mc, dead), args=["-R", "/a/a/", *SHOW_ERRORS]) as shown:
            c = Conn(relay.port, name="default", diag=relay.diag)
            e = Conn(shown.port, name="errors shown", diag=shown.diag)
            self.addCleanup(c.close)
            self.addCleanup(e.close)
            for cmd in (b"get /d/d/k", b"gets /d/d/k", b"gat 10 /d/d/k", b"metaget /d/d/k"):
                self.assertEqual(c.exchange(cmd + b"\r\n", b"END\r\n"), b"END\r\n", cmd)
                self.assertRegex(e.exchange(cmd + b"\r\n", b"\r\n"), rb"^SERVER_ERROR ", cmd)
            # lease-get: mcrouter's default reply, a miss with token 0.
            self.assertEqual(c.exchange(b"lease-get /d/d/k\r\n", b"END\r\n"), b"LVALUE /d/d/k 0 0 0\r\n\r\nEND\r\n")
            # A multi-get across a live and a dead server: the hit, and a miss for the dead one.
            self.assertEqual(c.exchange(b"set /a/a/live 0 0 1\r\nv\r\n", b"\r\n"), b"STORED\r\n")
            self.assertEqual(c.exchange(b"get /a/a/live /d/d/k\r\n", b"END\r\n"),
                             b"VALUE /a/a/live 0 1\r\nv\r\nEND\r\n")
            # Updates are not get-like: their errors reach the client either way.
            self.assertRegex(c.exchange(b"set /d/d/k 0 0 1\r\nv\r\n", b"\r\n"), rb"^SERVER_ERROR ")
            # incr/decr: a server error, a dead server and an unknown prefix all answer NOT_FOUND.
            self.assertEqual(c.exchange(b"set /a/a/n 0 0 3\r\nabc\r\n", b"\r\n"), b"STORED\r\n")
            self.assertEqual(c.exchange(b"incr /a/a/n 1\r\n", b"\r\n"), b"NOT_FOUND\r\n")
            self.assertEqual(e.exchange(b"incr /a/a/n 1\r\n", b"\r\n"),
                             b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n")
            self.assertEqual(c.exchange(b"decr /d/d/n 1\r\n", b"\r\n"), b"NOT_FOUND\r\n")
            self.assertRegex(e.exchange(b"decr /d/d/n 1\r\n", b"\r\n"), rb"^SERVER_ERROR ")
            self.assertEqual(c.exchange(b"incr /zz/z/n 1\r\n", b"\r\n"), b"NOT_FOUND\r\n")
            # An unknown routing prefix on a get is the proxy's own refusal: it is never a miss.
            self.assertEqual(c.exchange(b"get /zz/z/k\r\n", b"\r\n"), b"SERVER_ERROR local error\r\n")
            # The errors are still counted where the operator looks for them.
            stats = c.exchange(b"stats\r\n", b"END\r\n").decode()
            self.assertRegex(stats, r"STAT get_errors [1-9]")


@skip_without_proxy()
class TestDifferentialFuzz(unittest.TestCase):
    """Random lines to memcached directly and through mcrelay: the replies must be identical. Seeded and
    bounded (a few seconds); a failure prints the seed, the line and both replies."""

    SEED = int(os.environ.get("MCRELAY_FUZZ_SEED", "20261205"))
    LINES = int(os.environ.get("MCRELAY_FUZZ_LINES", "600"))

    def test_random_lines(self):
        with Memcached() as direct, Memcached() as behind, \
                Mcrelay(pool_config([behind]), args=["--enable-flush-cmd", *SHOW_ERRORS]) as relay, \
                Conn(direct.port, name="memcached", sentinel_key="__fz_sentinel__") as mc, \
                Conn(relay.port, name="mcrelay", diag=relay.diag, sentinel_key="__fz_sentinel__") as px:
            gen = FuzzLines(self.SEED)
            for i in range(self.LINES):
                data = gen.line()
                a = mc.request(data)
                b = px.request(data)
                self.assertEqual(a, b, f"seed {self.SEED}, line {i}: {show(data)}\n  memcached: {show(a)}\n"
                                       f"    mcrelay: {show(b)}")


if __name__ == "__main__":
    unittest.main()

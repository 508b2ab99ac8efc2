"""Differential test: the same bytes to memcached directly and through mcrelay, byte-identical replies.

Two memcached servers with the same options: one ("memcached") is talked to directly, the other sits alone
in a one-server pool behind mcrelay ("mcrelay"). Both receive the same commands in the same order, so their
state evolves identically and every reply must match byte for byte. The only normalisation is the cas
unique of gets/gats (each server numbers its own items); the `cas` command uses the value each side got.

`version` and `stats` are answered by mcrelay itself and are checked for shape in TestProxyOwnBehaviour,
with the other behaviours mcrelay documents where a proxy cannot be byte-identical to memcached.
"""

import re
import time
import unittest

from mcrelay_testlib import (SHOW_ERRORS, STANDIN, Conn, ConnectionClosed, Mcrelay, Memcached, describe_difference,
                             parse_value_reply, pool_config, show, skip_without_proxy, wait_for)

MAX_ITEM_SIZE = "2m"      # memcached -I on both sides: values up to 1,000,000 bytes fit with room to spare
PROXY_REPLY_TIMEOUT = 2.5  # memcached has already answered the same bytes when mcrelay is asked
# A proxy that stops answering costs a timeout per case; past these budgets the remaining cases fail at
# once ("not run") so that a badly broken build still finishes quickly.
UNRESPONSIVE_PER_TEST = 2
UNRESPONSIVE_PER_MODULE = 6
_unresponsive_total = 0

_direct = None   # memcached talked to directly
_behind = None   # memcached behind mcrelay
_relay = None    # mcrelay (None in the memcached-vs-memcached self-test)
_proxy_port = None


def setUpModule():
    global _direct, _behind, _relay, _proxy_port
    _direct = Memcached(max_item_size=MAX_ITEM_SIZE).start()
    _behind = Memcached(max_item_size=MAX_ITEM_SIZE).start()
    if STANDIN:
        _proxy_port = _behind.port
    else:
        # flush_all is compared too: mcrouter (and mcrelay) refuse it unless --enable-flush-cmd.
        _relay = Mcrelay(pool_config([_behind]), args=["--enable-flush-cmd", *SHOW_ERRORS]).start()
        _proxy_port = _relay.port


def tearDownModule():
    try:
        if _relay is not None:
            _relay.stop()
    finally:
        for mc in (_direct, _behind):
            if mc is not None:
                mc.stop()


CAS_HEADER = re.compile(rb"^(VALUE \S+ \d+ \d+) (\d+)$")


def normalize_cas(reply):
    """Replace the cas unique of every VALUE header (walking data blocks by their length) with <cas>.
    A header whose cas is not a decimal number is left as is, so the comparison fails on it."""
    out = bytearray()
    pos = 0
    reply = bytes(reply)
    while pos < len(reply):
        eol = reply.find(b"\r\n", pos)
        if eol < 0:
            out += reply[pos:]
            break
        line = reply[pos:eol]
        m = CAS_HEADER.match(line)
        if m:
            out += m.group(1) + b" <cas>\r\n"
            size = int(line.split(b" ")[3])
            out += reply[eol + 2:eol + 4 + size]
            pos = eol + 4 + size
        else:
            out += line + b"\r\n"
            pos = eol + 2
    return bytes(out)


def pattern(n, seed=0):
    """n deterministic bytes using every byte value (including \\r and \\n)."""
    block = bytes((i * 7 + seed) % 256 for i in range(256))
    return (block * (n // 256 + 1))[:n]


def set_cmd(key, value, flags=0, exptime=0, cmd=b"set", noreply=False):
    if isinstance(key, str):
        key = key.encode()
    return b"%s %s %d %d %d%s\r\n%s\r\n" % (cmd, key, flags, exptime, len(value),
                                            b" noreply" if noreply else b"", value)


class DiffTestCase(unittest.TestCase):
    """Runs each case on both sides and compares. Every case is a subTest, so one test reports every
    differing case, not just the first one."""

    def setUp(self):
        self._unresponsive = 0
        self._connect()

    def _connect(self):
        sentinel = "__sentinel__" + self.id().rsplit(".", 1)[-1]
        self.mc = Conn(_direct.port, name="memcached", sentinel_key=sentinel)
        self.px = Conn(_proxy_port, name="mcrelay" if _relay else "memcached#2 (stand-in)",
                       diag=_relay.diag if _relay else None, sentinel_key=sentinel, timeout=PROXY_REPLY_TIMEOUT)

    def _reconnect(self):
        self.mc.close()
        self.px.close()
        self._connect()

    def tearDown(self):
        self.mc.close()
        self.px.close()
        if _relay is not None:
            _relay.assert_alive(f"after {self.id()}")

    def _label(self):
        return "mcrelay" if _relay else "stand-in"

    def _compare(self, name, data, a, b):
        self.assertEqual(a, b, f"case {name!r}: replies differ\n  request: {show(data, 300)}\n"
                         + describe_difference("memcached", a, self._label(), b))

    def _both(self, name, send_mc, send_px):
        """Run one exchange on each side; a timeout or close on the proxy side fails the case with
        the memcached reply shown, and the connections are re-made so later cases still run."""
        global _unresponsive_total
        if self._unresponsive >= UNRESPONSIVE_PER_TEST or _unresponsive_total >= UNRESPONSIVE_PER_MODULE:
            self.fail(f"case {name!r} not run: {self._label()} stopped answering earlier "
                      f"({self._unresponsive} times in this test, {_unresponsive_total} in all)")
        a = send_mc(self.mc)
        try:
            b = send_px(self.px)
        except Exception as e:  # timeout, closed connection, unparsable reply
            if "timed out" in str(e):
                self._unresponsive += 1
                _unresponsive_total += 1
            self._reconnect()
            self.fail(f"case {name!r}: memcached replied {show(a)} but {self._label()} did not:\n{e}")
        return a, b

    def diff(self, name, data, cas=False):
        """Send `data` to both sides; the replies must be identical (cas uniques normalised if cas)."""
        with self.subTest(case=name):
            a, b = self._both(name, lambda c: c.request(data),
                              lambda c: c.request(data, timeout=PROXY_REPLY_TIMEOUT))
            if cas:
                a, b = normalize_cas(a), normalize_cas(b)
            self._compare(name, data, a, b)
            return a

    def diff_pieces(self, name, data, piece_size):
        """Like diff(), but the bytes trickle in `piece_size` bytes at a time (partial lines and blocks)."""
        with self.subTest(case=name):
            a, b = self._both(name, lambda c: c.request_in_pieces(data, piece_size),
                              lambda c: c.request_in_pieces(data, piece_size, timeout=PROXY_REPLY_TIMEOUT))
            self._compare(name, data, a, b)

    def diff_closing(self, name, data):
        """`data` ends with the server closing the connection: all bytes up to the close must match."""
        with self.subTest(case=name):
            a, b = self._both(name, lambda c: c.request_closing(data),
                              lambda c: c.request_closing(data, timeout=PROXY_REPLY_TIMEOUT))
            self._compare(name, data, a, b)
        self._reconnect()

    def cas_of(self, conn, key):
        items = parse_value_reply(conn.request(b"gets %s\r\n" % key))
        self.assertEqual(len(items), 1, f"[{conn.name}] gets {key!r} should hit")
        self.assertIsNotNone(items[0][3], f"[{conn.name}] gets {key!r} returned no cas")
        return items[0][3]

    def diff_cas(self, name, key, make):
        """`make(cas)` builds the bytes; each side gets its own current cas unique of `key`."""
        with self.subTest(case=name):
            a, b = self._both(name, lambda c: c.request(make(self.cas_of(c, key))),
                              lambda c: c.request(make(self.cas_of(c, key)), timeout=PROXY_REPLY_TIMEOUT))
            self._compare(name, make(0), a, b)


class TestRetrieval(DiffTestCase):
    def test_get(self):
        self.diff("get miss", b"get r:none\r\n")
        self.diff("set", set_cmd("r:a", b"alpha", flags=5))
        self.diff("get hit", b"get r:a\r\n")
        self.diff("get with bare \\n line ending", b"get r:a\n")
        self.diff("get with extra spaces", b"get  r:a \r\n")
        self.diff("set max flags 2^32-1", set_cmd("r:f", b"flags", flags=4294967295))
        self.diff("get max flags", b"get r:f\r\n")
        self.diff("set empty value", set_cmd("r:empty", b""))
        self.diff("get empty value", b"get r:empty\r\n")
        self.diff("value with CR LF inside", set_cmd("r:crlf", b"a\r\nEND\r\nb\r\n") + b"get r:crlf\r\n")
        self.diff("binary value", set_cmd("r:bin", pattern(1000)) + b"get r:bin\r\n")

    def test_multi_get(self):
        for i in range(10):
            self.diff(f"set r:m{i}", set_cmd(f"r:m{i}", b"value-%d" % i, flags=i))
        self.diff("multi-get all hits", b"get " + b" ".join(b"r:m%d" % i for i in range(10)) + b"\r\n")
        self.diff("multi-get hits and misses",
                  b"get r:m0 r:x1 r:m2 r:x3 r:m4 r:x5 r:m9\r\n")
        self.diff("multi-get all misses", b"get r:x1 r:x2 r:x3\r\n")
        self.diff("multi-get duplicate keys", b"get r:m1 r:m1 r:x1 r:m2 r:m1\r\n")
        self.diff("multi-gets hits, misses, duplicates", b"gets r:m3 r:x r:m3 r:m4\r\n", cas=True)
        keys = [b"r:m%d" % (i % 12) for i in range(300)]
        self.diff("multi-get line longer than 2048 bytes", b"get " + b" ".join(keys) + b"\r\n")
        keys = [b"r:m%d" % i if i % 7 == 0 else b"r:long:%d" % i for i in range(1000)]
        self.diff("multi-get of 1000 keys (13 KB line)", b"get " + b" ".join(keys) + b"\r\n")
        keys = [b"r:m%d" % (i % 10) if i % 11 == 0 else b"r:longer:%d" % i for i in range(5000)]
        self.diff("multi-get of 5000 keys (64 KB line)", b"get " + b" ".join(keys) + b"\r\n")

    def test_gets_and_cas(self):
        self.diff("gets miss", b"gets c:none\r\n")
        self.diff("set", set_cmd("c:a", b"one", flags=3))
        self.diff("gets hit", b"gets c:a\r\n", cas=True)
        self.diff("cas on missing key", b"cas c:none 0 0 1 12345\r\nx\r\n")
        self.diff_cas("cas with current unique", b"c:a", lambda cas: b"cas c:a 7 0 3 %d\r\ntwo\r\n" % cas)
        self.diff("get after cas", b"get c:a\r\n")
        self.diff_cas("cas with stale unique", b"c:a",
                      lambda cas: b"set c:a 0 0 5\r\nthree\r\ncas c:a 0 0 4 %d\r\nfour\r\n" % cas)
        self.diff("get after stale cas", b"get c:a\r\n")
        self.diff_cas("cas noreply", b"c:a", lambda cas: b"cas c:a 0 0 4 %d noreply\r\nfive\r\n" % cas)
        self.diff("get after cas noreply", b"get c:a\r\n")
        self.diff_cas("cas after touch (touch keeps the unique)", b"c:a",
                      lambda cas: b"touch c:a 1000\r\ncas c:a 0 0 3 %d\r\nsix\r\nget c:a\r\n" % cas)
        self.diff("cas bad unique", b"cas c:a 0 0 1 abc\r\nx\r\n")
        self.diff("cas negative unique", b"cas c:a 0 0 1 -1\r\nx\r\n")
        self.diff("cas missing unique", b"cas c:a 0 0 1\r\nx\r\n")
        self.diff("gets after deletion", b"delete c:a\r\ngets c:a\r\n")

    def test_gat_gats(self):
        self.diff("gat miss", b"gat 100 t:none\r\n")
        self.diff("set", set_cmd("t:a", b"touchme", flags=9) + set_cmd("t:b", b"other"))
        self.diff("gat hit", b"gat 1000 t:a\r\n")
        self.diff("gat multi-key", b"gat 1000 t:a t:none t:b t:a\r\n")
        self.diff("gats hit", b"gats 1000 t:a t:b\r\n", cas=True)
        self.diff("gat invalid exptime", b"gat abc t:a\r\n")
        self.diff("gat negative exptime expires the item", b"gat -1 t:b\r\nget t:b\r\n")
        self.diff("gats 0 then get", b"gats 0 t:a\r\nget t:a\r\n", cas=True)


class TestStorage(DiffTestCase):
    def test_set_add_replace(self):
        self.diff("add new", set_cmd("s:a", b"first", cmd=b"add"))
        self.diff("add existing", set_cmd("s:a", b"second", cmd=b"add"))
        self.diff("replace existing", set_cmd("s:a", b"third", flags=2, cmd=b"replace"))
        self.diff("replace missing", set_cmd("s:none", b"x", cmd=b"replace"))
        self.diff("get after add/replace", b"get s:a s:none\r\n")
        self.diff("set overwrites", set_cmd("s:a", b"fourth", flags=4) + b"get s:a\r\n")
        self.diff("set with negative exptime is already expired", set_cmd("s:neg", b"x", exptime=-1)
                  + b"get s:neg\r\n")
        self.diff("set with relative exptime", set_cmd("s:rel", b"x", exptime=1000) + b"get s:rel\r\n")
        self.diff("set with exptime of exactly 30 days (relative)", set_cmd("s:30d", b"x", exptime=2592000)
                  + b"get s:30d\r\n")
        self.diff("set with absolute exptime in the past", set_cmd("s:abs", b"x", exptime=2592001)
                  + b"get s:abs\r\n")
        self.diff("set with absolute exptime in the future",
                  set_cmd("s:fut", b"x", exptime=int(time.time()) + 3600) + b"get s:fut\r\n")

    def test_append_prepend(self):
        self.diff("append missing", set_cmd("s:ap", b"x", cmd=b"append"))
        self.diff("prepend missing", set_cmd("s:ap", b"x", cmd=b"prepend"))
        self.diff("set", set_cmd("s:ap", b"middle", flags=11))
        self.diff("append", set_cmd("s:ap", b"-end", flags=99, cmd=b"append"))
        self.diff("prepend", set_cmd("s:ap", b"start-", flags=98, cmd=b"prepend"))
        self.diff("get keeps the original flags", b"get s:ap\r\n")
        self.diff("append empty", set_cmd("s:ap", b"", cmd=b"append") + b"get s:ap\r\n")

    def test_delete(self):
        self.diff("delete missing", b"delete d:none\r\n")
        self.diff("delete existing", set_cmd("d:a", b"x") + b"delete d:a\r\nget d:a\r\n")
        self.diff("delete twice", set_cmd("d:a", b"x") + b"delete d:a\r\ndelete d:a\r\n")
        self.diff("delete with time 0", set_cmd("d:a", b"x") + b"delete d:a 0\r\n")
        self.diff("delete with nonzero time", b"delete d:a 5\r\n")
        self.diff("delete with extra tokens", b"delete d:a x y\r\n")
        self.diff("delete without key", b"delete\r\n")

    def test_incr_decr(self):
        self.diff("incr missing", b"incr n:none 1\r\n")
        self.diff("decr missing", b"decr n:none 1\r\n")
        self.diff("set 10", set_cmd("n:a", b"10"))
        self.diff("incr", b"incr n:a 5\r\n")
        self.diff("decr", b"decr n:a 3\r\n")
        self.diff("decr below zero stops at 0", b"decr n:a 100\r\n")
        self.diff("incr by 0", b"incr n:a 0\r\n")
        self.diff("incr keeps flags", set_cmd("n:fl", b"10", flags=77) + b"incr n:fl 1\r\nget n:fl\r\n")
        self.diff("decr shrinks digits (value padded with spaces)",
                  set_cmd("n:b", b"100") + b"decr n:b 91\r\nget n:b\r\nincr n:b 5\r\nget n:b\r\n")
        self.diff("incr grows digits", set_cmd("n:c", b"99") + b"incr n:c 1\r\nget n:c\r\n")
        self.diff("incr wraps at 2^64", set_cmd("n:w", b"18446744073709551615") + b"incr n:w 1\r\n"
                  b"get n:w\r\n")
        self.diff("incr by 2^64-1", set_cmd("n:h", b"100") + b"incr n:h 18446744073709551615\r\n"
                  b"incr n:h 18446744073709551615\r\n")
        self.diff("decr of max value", set_cmd("n:m", b"18446744073709551615") + b"decr n:m 1\r\n")
        self.diff("incr non-numeric value", set_cmd("n:s", b"abc") + b"incr n:s 1\r\n")
        self.diff("decr non-numeric value", b"decr n:s 1\r\n")
        self.diff("incr partly numeric value", set_cmd("n:p", b"1a") + b"incr n:p 1\r\n")
        self.diff("incr value of 21 digits", set_cmd("n:l", b"184467440737095516150") + b"incr n:l 1\r\n")
        self.diff("incr value 2^64 (20 digits, overflows)", set_cmd("n:o", b"18446744073709551616")
                  + b"incr n:o 1\r\n")
        self.diff("incr value with spaces", set_cmd("n:sp", b" 12") + b"incr n:sp 1\r\n"
                  + set_cmd("n:sp2", b"12 ") + b"incr n:sp2 1\r\n")
        self.diff("incr invalid delta (letters)", b"incr n:a abc\r\n")
        self.diff("incr invalid delta (negative)", b"incr n:a -1\r\n")
        self.diff("incr invalid delta (2^64)", b"incr n:a 18446744073709551616\r\n")
        self.diff("incr invalid delta (decimal)", b"incr n:a 1.5\r\n")
        self.diff("incr delta with leading zeros and plus", b"incr n:a 007\r\nincr n:a +5\r\n")
        self.diff("decr invalid delta", b"decr n:a x\r\n")
        self.diff("incr missing delta", b"incr n:a\r\n")
        self.diff("incr too many tokens", b"incr n:a 1 2 3\r\n")
        self.diff("incr without key", b"incr\r\n")

    def test_touch(self):
        self.diff("touch missing", b"touch o:none 100\r\n")
        self.diff("touch hit", set_cmd("o:a", b"x") + b"touch o:a 1000\r\nget o:a\r\n")
        self.diff("touch negative expires", set_cmd("o:b", b"x") + b"touch o:b -1\r\nget o:b\r\n")
        self.diff("touch invalid exptime", b"touch o:a abc\r\n")
        self.diff("touch missing exptime", b"touch o:a\r\n")
        self.diff("touch too many tokens", b"touch o:a 10 x y\r\n")

    def test_noreply(self):
        # Nothing at all may come back for a well-formed noreply command.
        self.diff("set noreply", set_cmd("q:a", b"v1", noreply=True))
        self.diff("add noreply (stored)", set_cmd("q:b", b"v2", cmd=b"add", noreply=True))
        self.diff("add noreply (not stored)", set_cmd("q:a", b"zz", cmd=b"add", noreply=True))
        self.diff("replace noreply", set_cmd("q:a", b"v3", flags=1, cmd=b"replace", noreply=True))
        self.diff("replace noreply (missing)", set_cmd("q:none", b"v", cmd=b"replace", noreply=True))
        self.diff("append noreply", set_cmd("q:a", b"-app", cmd=b"append", noreply=True))
        self.diff("prepend noreply", set_cmd("q:a", b"pre-", cmd=b"prepend", noreply=True))
        self.diff("state after noreply storage", b"get q:a q:b q:none\r\n")
        self.diff("delete noreply", b"delete q:b noreply\r\n")
        self.diff("delete noreply (missing)", b"delete q:none noreply\r\n")
        self.diff("set number noreply", set_cmd("q:n", b"5", noreply=True))
        self.diff("incr noreply", b"incr q:n 10 noreply\r\n")
        self.diff("decr noreply", b"decr q:n 3 noreply\r\n")
        self.diff("incr noreply (missing)", b"incr q:none 1 noreply\r\n")
        self.diff("touch noreply", b"touch q:a 1000 noreply\r\n")
        self.diff("touch noreply (missing)", b"touch q:none 1000 noreply\r\n")
        self.diff("state after noreply updates", b"get q:a q:b q:n\r\n")
        # memcached sends nothing for noreply commands, errors included (only lines it cannot parse as
        # the command, and lines that follow, get an answer).
        self.diff("incr noreply on non-numeric value", set_cmd("q:s", b"abc") + b"incr q:s 1 noreply\r\n")
        self.diff("incr noreply with invalid delta", b"incr q:n abc noreply\r\n")
        self.diff("touch noreply with invalid exptime", b"touch q:a abc noreply\r\n")
        self.diff("set noreply with bad flags", b"set q:bad x 0 1 noreply\r\nx\r\n")
        self.diff("cas noreply with bad unique", b"cas q:a 0 0 1 abc noreply\r\nx\r\n")
        self.diff("set noreply with bad data chunk", b"set q:bad 0 0 1 noreply\r\nxy\r\n")
        self.diff("noreply followed by extra token", b"incr q:n 1 noreply extra\r\ndelete q:n noreply extra\r\n")
        self.diff("get of a key named noreply", b"get q:a noreply\r\n")
        self.diff("many noreply sets then one get",
                  b"".join(set_cmd(f"q:many{i}", b"%d" % i, noreply=True) for i in range(50))
                  + b"get q:many0 q:many25 q:many49\r\n")

    def test_flush_all_and_verbosity(self):
        self.diff("set", set_cmd("f:a", b"x") + set_cmd("f:b", b"y"))
        self.diff("flush_all", b"flush_all\r\n")
        self.diff("get after flush_all", b"get f:a f:b\r\n")
        self.diff("flush_all noreply", set_cmd("f:a", b"x") + b"flush_all noreply\r\nget f:a\r\n")
        self.diff("flush_all 0", set_cmd("f:a", b"x") + b"flush_all 0\r\nget f:a\r\n")
        self.diff("flush_all 0 noreply", set_cmd("f:a", b"x") + b"flush_all 0 noreply\r\nget f:a\r\n")
        self.diff("flush_all invalid delay", b"flush_all abc\r\n")
        self.diff("verbosity", b"verbosity 1\r\n")
        self.diff("verbosity 0", b"verbosity 0\r\n")
        self.diff("verbosity noreply", b"verbosity 1 noreply\r\n")
        self.diff("verbosity without level", b"verbosity\r\n")
        self.diff("verbosity invalid level", b"verbosity abc\r\n")
        self.diff("verbosity too many tokens", b"verbosity 1 2 3\r\n")
        self.diff("verbosity noreply without level", b"verbosity noreply\r\n")
        self.diff("flush_all too many tokens", set_cmd("f:a", b"x") + b"flush_all 0 0\r\nget f:a\r\n")
        self.diff("flush_all negative delay", set_cmd("f:a", b"x") + b"flush_all -1\r\nget f:a\r\n")
        self.diff("flush_all noreply with extra token", b"flush_all noreply extra\r\n")

    def test_flush_all_with_delay(self):
        # The delay must reach the server: the item survives now and disappears ~2-3 s later.
        self.diff("set", set_cmd("fd:a", b"x"))
        self.diff("flush_all with delay", b"flush_all 3\r\n")
        self.diff("item still there right after", b"get fd:a\r\n")
        # The delayed flush will also remove the sentinels, so poll with plain single-key gets. During the
        # second in which the flush takes effect memcached hides even items stored in that same second, so
        # wait until a freshly stored probe is visible again before the next cases.
        for conn in (self.mc, self.px):
            wait_for(lambda: conn.exchange(b"get fd:a\r\n", terminator=b"END\r\n") == b"END\r\n", 6.0,
                     f"[{conn.name}] fd:a to be flushed by the delayed flush_all")
            wait_for(lambda: conn.exchange(set_cmd("fd:probe", b"p", noreply=True) + b"get fd:probe\r\n",
                                           terminator=b"END\r\n") != b"END\r\n", 3.0,
                     f"[{conn.name}] new items to be visible after the delayed flush")
            conn.request(b"delete fd:probe\r\n", reset_sentinel=True)
        self.diff("item gone after the delay", b"get fd:a\r\n")
        # Items stored after the delayed flush took effect survive.
        self.diff("set after the flush", set_cmd("fd:b", b"y") + b"get fd:b\r\n")


class TestSizes(DiffTestCase):
    def test_big_values(self):
        v100k = pattern(100 * 1024, seed=1)
        v1m = pattern(1_000_000, seed=2)
        self.diff("set 100 KB", set_cmd("b:100k", v100k, flags=1))
        self.diff("get 100 KB", b"get b:100k\r\n")
        self.diff("set 1,000,000 bytes", set_cmd("b:1m", v1m, flags=2))
        self.diff("get 1,000,000 bytes", b"get b:1m\r\n")
        self.diff("gets 1,000,000 bytes", b"gets b:1m\r\n", cas=True)
        self.diff("multi-get of big values", b"get b:100k b:none b:1m b:100k\r\n")
        self.diff("set 1,000,000 bytes noreply, then get", set_cmd("b:1m-nr", v1m, noreply=True) + b"get b:1m-nr\r\n")
        self.diff("append to a big value", set_cmd("b:100k", b"tail", cmd=b"append") + b"get b:100k\r\n")
        self.diff("pipelined big sets and gets",
                  set_cmd("b:p1", pattern(300_000, 3)) + set_cmd("b:p2", pattern(500_000, 4))
                  + b"get b:p1\r\nget b:p2\r\nget b:p1 b:p2\r\n")

    def test_buffer_boundary_sizes(self):
        sizes = [1, 1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 8192, 16383, 16384, 16385,
                 65535, 65536, 65537, 262144, 524288]
        self.diff("sets at buffer boundary sizes", b"".join(set_cmd(f"bb:{n}", pattern(n, n)) for n in sizes))
        self.diff("gets at buffer boundary sizes", b"".join(b"get bb:%d\r\n" % n for n in sizes))
        self.diff("one multi-get of all boundary sizes", b"get " + b" ".join(b"bb:%d" % n for n in sizes) + b"\r\n")

    def test_values_over_every_limit(self):
        # 3 MB is over memcached's -I 2m and over mcrelay's limit: same reply, data swallowed, still in sync.
        huge = pattern(3_000_000, seed=7)
        self.diff("3 MB value for a new key", set_cmd("b:huge", huge) + b"get b:huge\r\n")
        self.diff("3 MB value for a new key, noreply", set_cmd("b:huge2", huge, noreply=True) + b"get b:huge2\r\n")
        self.diff("3 MB add, then a normal command", set_cmd("b:huge3", huge, cmd=b"add") + set_cmd("b:ok", b"ok")
                  + b"get b:ok\r\n")

    def test_too_large_set_over_existing_key(self):
        # memcached unlinks the existing item when a set fails for size ("avoid stale data").
        self.diff("set a small value", set_cmd("b:old", b"old value") + b"get b:old\r\n")
        self.diff("too-large set over it, then get", set_cmd("b:old", pattern(3_000_000, seed=8))
                  + b"get b:old\r\n")

    def test_big_pipeline(self):
        # Far more than fits in socket buffers in both directions, in one write.
        data = b"".join(set_cmd(f"bp:{i}", pattern(100_000, i)) + b"get bp:%d\r\n" % i for i in range(20))
        self.diff("20 x (100 KB set + get) in one write", data)
        self.diff("3000 small commands in one write",
                  set_cmd("bp:ctr", b"0") + b"".join(b"get bp:ctr bp:none\r\n" if i % 2 else b"incr bp:ctr 1\r\n"
                                                   for i in range(3000)))

    def test_key_lengths(self):
        # 251-byte keys get mcrouter's CLIENT_ERROR bad key: test_mcrouter_replies checks those.
        k250 = b"k" * 249 + b"2"
        self.diff("set 250-byte key", set_cmd(k250, b"long key"))
        self.diff("get 250-byte key", b"get " + k250 + b"\r\n")
        self.diff("multi-get with 250-byte key", b"get " + k250 + b" kl:x " + k250 + b"\r\n")
        self.diff("delete 250-byte key", b"delete " + k250 + b"\r\n")
        # A 251-byte key gets mcrouter's "CLIENT_ERROR bad key", not memcached's reply: test_mcrouter_replies.py.


class TestMalformed(DiffTestCase):
    def test_bad_lines(self):
        self.diff("unknown command", b"foo bar\r\n")
        self.diff("uppercase command", b"GET x\r\n")
        # memcached reads a command line as a C string: a NUL byte ends it.
        self.diff("NUL in a storage key (the data block is then a line)", b"set kz\0z 0 0 2\r\nab\r\n")
        self.diff("NUL after a storage line", b"set m:nul 0 0 2\0junk\r\nab\r\nget m:nul\r\n")
        self.diff("NUL in a get", b"get m:nul\0zz m:x\r\n")
        self.diff("NUL first", b"\0get m:nul\r\n")
        self.diff("empty line", b"\r\n")
        self.diff("bare \\n empty line", b"\n")
        self.diff("bare \\n line endings", b"set m:n 0 0 2\nhi\r\nget m:n\nget m:n m:x\n")
        self.diff("leading space", b" get m:n\r\n")
        self.diff("tab separator", b"get\tm:n\r\n")
        self.diff("set missing arguments", b"set m:a 0 0\r\n")
        self.diff("set only key", b"set m:a\r\n")
        self.diff("add/replace/append/prepend missing arguments",
                  b"add\r\nreplace m:a\r\nappend m:a 0\r\nprepend m:a 0 0\r\n")
        self.diff("set bad flags", b"set m:a x 0 1\r\nx\r\n")
        self.diff("set negative flags", b"set m:a -1 0 1\r\nx\r\n")
        self.diff("set flags 2^32 (memcached truncates)", b"set m:a 4294967296 0 1\r\nx\r\nget m:a\r\n")
        self.diff("set bad exptime", b"set m:a 0 abc 1\r\nx\r\n")
        self.diff("set bad length", b"set m:a 0 0 abc\r\nx\r\n")
        self.diff("set length with trailing garbage", b"set m:a 0 0 1x\r\nx\r\n")
        self.diff("set negative length", b"set m:a 0 0 -1\r\n")
        self.diff("set too many tokens", b"set m:a 0 0 1 noreply extra\r\nx\r\n")
        self.diff("set with unknown last token", b"set m:a 0 0 1 yes\r\nx\r\nget m:a\r\n")
        # A get without a key is mcrouter's "CLIENT_ERROR malformed request" (then close): test_mcrouter_replies.py.
        self.diff("key with a control character", b"set m:\x01ctl 0 0 1\r\nx\r\nget m:\x01ctl\r\n")
        self.diff("key with UTF-8 bytes", "set m:\u00e9t\u00e9 0 0 1\r\nx\r\nget m:\u00e9t\u00e9\r\n".encode())
        self.diff("uppercase QUIT is unknown", b"QUIT\r\n")

    def test_bad_data_chunks(self):
        self.diff("data block longer than declared", b"set m:d 0 0 3\r\nabcde\r\n")
        self.diff("state after longer data block", b"get m:d\r\n")
        self.diff("data block terminated by bare \\n", b"set m:d 0 0 3\r\nabc\nX\r\n")
        self.diff("data block followed by garbage", b"set m:d 0 0 3\r\nabcXY")
        self.diff("state after bad chunks", b"get m:d\r\n")
        self.diff("good set after bad chunks", set_cmd("m:d", b"fine") + b"get m:d\r\n")

    def test_pipeline(self):
        cmds = []
        for i in range(60):
            k = b"p:%d" % (i % 17)
            cmds.append(set_cmd(k, b"%d" % (i * 3), flags=i))
            cmds.append(b"get %s p:none %s\r\n" % (k, k))
            cmds.append(b"incr %s 7\r\n" % k)
            cmds.append(set_cmd(k, b"+%d" % i, cmd=b"append"))
            cmds.append(b"delete p:%d\r\n" % ((i * 5) % 17) if i % 4 == 0 else b"touch %s 1000\r\n" % k)
            cmds.append(b"bogus %d\r\n" % i if i % 10 == 0 else set_cmd(k, b"-", cmd=b"prepend", noreply=True))
        cmds.append(b"get " + b" ".join(b"p:%d" % i for i in range(17)) + b"\r\n")
        self.diff(f"pipeline of {len(cmds)} commands in one write", b"".join(cmds))
        gets = b"".join(b"get p:%d\r\n" % (i % 17) for i in range(500))
        self.diff("pipeline of 500 gets in one write", gets)

    def test_split_writes(self):
        script = (set_cmd("sp:a", b"split value\r\nwith CRLF", flags=3) + b"get sp:a sp:none\r\n"
                  + b"incr sp:n 1\r\n" + set_cmd("sp:n", b"41") + b"incr sp:n 1\r\ndelete sp:a\r\nbogus\r\n")
        for piece in (1, 3, 7, 16):
            self.diff_pieces(f"script sent {piece} byte(s) at a time", script, piece)

    def test_quit(self):
        self.diff_closing("quit", b"quit\r\n")
        self.diff_closing("quit with bare \\n", b"quit\n")
        self.diff_closing("quit with an argument", b"quit now\r\n")
        self.diff_closing("commands, quit, commands after quit",
                          set_cmd("z:a", b"x") + b"get z:a\r\nquit\r\nget z:a\r\n")


@skip_without_proxy()
class TestProxyOwnBehaviour(unittest.TestCase):
    """What mcrelay documents where a proxy cannot (or need not) be byte-identical to memcached:
    its own version/stats, its own item size limit, and bounded line buffering."""

    PROXY_MAX_ITEM = 4096

    @classmethod
    def setUpClass(cls):
        cls.mc = Memcached(max_item_size=MAX_ITEM_SIZE).start()
        try:
            cls.relay = Mcrelay(pool_config([cls.mc]), args=["--max-item-size", str(cls.PROXY_MAX_ITEM), *SHOW_ERRORS]).start()
        except BaseException:
            cls.mc.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.relay.stop()
        finally:
            cls.mc.stop()

    def setUp(self):
        self.px = Conn(self.relay.port, name="mcrelay", diag=self.relay.diag)
        self.direct = Conn(self.mc.port, name="memcached behind mcrelay")

    def tearDown(self):
        self.px.close()
        self.direct.close()
        self.relay.assert_alive(f"after {self.id()}")

    def test_version_is_answered_by_mcrelay(self):
        reply = self.px.request(b"version\r\n")
        self.assertRegex(reply, rb"\AVERSION mcrelay [^\r\n]+\r\n\Z", f"version reply: {show(reply)}")

    def test_stats_shape(self):
        reply = self.px.request(b"stats\r\n")
        self.assertRegex(reply, rb"\A(STAT \S+ [^\r\n]*\r\n)+END\r\n\Z", f"stats reply: {show(reply)}")
        names = [line.split(b" ")[1] for line in reply.split(b"\r\n") if line.startswith(b"STAT ")]
        duplicates = sorted({n.decode() for n in names if names.count(n) > 1})
        self.assertFalse(duplicates, f"stat names repeated: {duplicates}; stats reply: {show(reply, 3000)}")

    def test_value_over_proxy_max_item_size(self):
        # memcached itself would accept this value (-I 2m): the limit is mcrelay's own.
        big = (b"get x\r\nset y 0 0 1\r\n" * 400)[:self.PROXY_MAX_ITEM + 1]
        reply = self.px.request(set_cmd("big:a", big))  # the sentinel get proves the data was swallowed
        self.assertEqual(reply, b"SERVER_ERROR object too large for cache\r\n",
                         f"set of {len(big)} bytes with --max-item-size {self.PROXY_MAX_ITEM}: {show(reply)}")
        self.assertEqual(self.direct.request(b"get big:a y\r\n"), b"END\r\n",
                         "the too-large value (or a command inside it) reached memcached")
        self.assertEqual(self.px.request(set_cmd("big:b", b"small") + b"get big:b\r\n"),
                         b"STORED\r\nVALUE big:b 0 5\r\nsmall\r\nEND\r\n", "connection unusable afterwards")
        # Far over both limits, in a pipeline with commands after it.
        huge = pattern(3_000_000, seed=5)
        reply = self.px.request(set_cmd("big:c", huge) + b"get big:b\r\n")
        self.assertEqual(reply, b"SERVER_ERROR object too large for cache\r\nVALUE big:b 0 5\r\nsmall\r\nEND\r\n",
                         f"3 MB set then get: {show(reply)}")

    def test_value_under_proxy_max_item_size(self):
        value = pattern(self.PROXY_MAX_ITEM // 2, seed=6)
        self.assertEqual(self.px.request(set_cmd("big:ok", value)), b"STORED\r\n")
        self.assertEqual(self.direct.request(b"get big:ok\r\n"),
                         b"VALUE big:ok 0 %d\r\n%s\r\nEND\r\n" % (len(value), value))

    def test_long_line_without_newline_closes(self):
        try:
            rest = self.px.read_until_closed(send=b"set " + b"k" * 3000)
        except ConnectionClosed as e:  # reset while we were still sending
            rest = b""
            self.assertTrue(self.px.closed, str(e))
        self.assertRegex(rest, rb"\A((CLIENT|SERVER)_ERROR [^\r\n]*\r\n)?\Z",
                         f"before closing, mcrelay sent: {show(rest)}")
        # mcrelay itself is fine and serves new connections.
        with Conn(self.relay.port, name="mcrelay (new)", diag=self.relay.diag) as c:
            self.assertEqual(c.request(b"get nothing-here\r\n"), b"END\r\n")

    def test_clients_vanishing_mid_request(self):
        # Clients that disappear halfway through a data block or with a pipeline in flight must not
        # disturb mcrelay or other clients.
        with Conn(self.relay.port, name="vanishing 1") as c:
            c.send(b"set vanish:a 0 0 100\r\nonly part of the value")
        with Conn(self.relay.port, name="vanishing 2") as c:
            c.send(b"".join(b"get vanish:%d\r\n" % i for i in range(2000)) + set_cmd("vanish:b", pattern(50_000)))
        with Conn(self.relay.port, name="vanishing 3") as c:
            c.send(b"get vanish:a")
        reply = self.px.request(set_cmd("vanish:c", b"still here") + b"get vanish:a vanish:c\r\n")
        self.assertEqual(reply, b"STORED\r\nVALUE vanish:c 0 10\r\nstill here\r\nEND\r\n", show(reply))
        self.assertEqual(self.direct.request(b"get vanish:a\r\n"), b"END\r\n", "a partial value was stored")

    def test_quit_closes(self):
        self.assertEqual(self.px.request_closing(b"quit\r\n"), b"")


if __name__ == "__main__":
    unittest.main()

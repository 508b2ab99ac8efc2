"""Meta commands (mg, ms, md, ma, mn, me) through mcrelay.

1. Differential (the pattern and harness of test_differential.py, imported from it): the same bytes to a
   memcached directly and to mcrelay in front of a second, identical memcached; replies must be byte-for-byte
   identical. Both servers (and mcrelay) are fresh for each test method and receive exactly the same
   operations in the same order, so their cas counters stay in step: `c<cas>` tokens are compared as they
   are (no normalisation), and a difference that stores on one side only cannot spread to other tests.
   Time-dependent tokens (t, l) are only asked for in the same write as the store they depend on, so both
   servers read them within the same clock tick. The one normalisation is `me`'s `la=`/`exp=` fields (times).
2. Proxy behaviour that has no memcached twin: placement of meta keys over a 3-server pool, quiet mode
   across fan-out routes, failover, WarmUpRoute, introspection and stats.
"""

import base64
import re
import time
import unittest

import test_differential as td
from fault_servers import DelayProxy
from mcrelay_testlib import (STANDIN, Conn, Mcrelay, Memcached, parse_stats, parse_value_reply,
                             pool_config, show, skip_without_proxy, wait_for)
from test_differential import DiffTestCase, pattern

_pool_servers = []  # memcached servers for the proxy-only tests (never the differential pair)
NUM_POOL_SERVERS = 3


def setUpModule():
    if not STANDIN:
        for _ in range(NUM_POOL_SERVERS):
            _pool_servers.append(Memcached().start())


def tearDownModule():
    for mc in _pool_servers:
        mc.__exit__(None, None, None)  # stop, and remove its log file
    _pool_servers.clear()


def ms(key, value, flags=b""):
    """An ms command with its data block."""
    if isinstance(key, str):
        key = key.encode()
    return b"ms %s %d%s\r\n%s\r\n" % (key, len(value), (b" " + flags) if flags else b"", value)


def b64(key):
    return base64.b64encode(key if isinstance(key, bytes) else key.encode())


def meta_reply_end(buf):
    """read_until() callable: the length of the first complete meta reply in buf (VA + data block), or None."""
    i = buf.find(b"\r\n")
    if i < 0:
        return None
    line = bytes(buf[:i])
    if line.startswith(b"VA "):
        end = i + 2 + int(line.split(b" ")[1]) + 2
        return end if len(buf) >= end else None
    return i + 2


def split_meta_replies(reply):
    """Split concatenated replies into a list of status lines (a VA line keeps its data block)."""
    out, pos = [], 0
    while pos < len(reply):
        n = meta_reply_end(reply[pos:])
        if n is None:
            raise AssertionError(f"incomplete reply at byte {pos}: {show(reply[pos:])}")
        out.append(bytes(reply[pos:pos + n]))
        pos += n
    return out


def one(conn, data):
    """Send `data` (one meta command) and read exactly its one reply."""
    return conn.exchange(data, terminator=meta_reply_end)


ME_TIMES = re.compile(rb"\b(la|exp)=-?\d+")


def normalize_me(reply):
    """`me` reports times (last access, remaining TTL) that may tick between the two servers."""
    return ME_TIMES.sub(rb"\1=<n>", reply)


def _discard(mc):
    """Stop a memcached at once (SIGTERM makes memcached 1.6 linger for about a second) and drop its log."""
    if mc.proc is not None and mc.proc.poll() is None:
        mc.proc.kill()
        mc.proc.wait(timeout=5)
    mc.__exit__(None, None, None)


class MetaDiffTestCase(DiffTestCase):
    """DiffTestCase over a differential pair of its own: every test method starts with two fresh memcached
    servers (and a fresh mcrelay), so their cas counters start equal and a difference that changes the state
    of one side only (one more item stored, hence one more cas number) cannot spread to other tests."""

    def setUp(self):
        # DiffTestCase reads the pair from test_differential's module globals.
        td._direct = Memcached(max_item_size=td.MAX_ITEM_SIZE).start()
        self.addCleanup(_discard, td._direct)
        td._behind = Memcached(max_item_size=td.MAX_ITEM_SIZE).start()
        self.addCleanup(_discard, td._behind)
        if STANDIN:
            td._relay = None
            td._proxy_port = td._behind.port
        else:
            td._relay = Mcrelay(pool_config([td._behind])).start()
            self.addCleanup(td._relay.stop)
            td._proxy_port = td._relay.port
        super().setUp()

    def diff_shape(self, name, data, normalize):
        """Like diff(), with `normalize` applied to both replies first."""
        with self.subTest(case=name):
            a, b = self._both(name, lambda c: c.request(data),
                              lambda c: c.request(data, timeout=td.PROXY_REPLY_TIMEOUT))
            self._compare(name, data, normalize(a), normalize(b))


# --- 1. differential ----------------------------------------------------------------------------------------

class TestMetaGet(MetaDiffTestCase):
    def test_protocol_txt_examples(self):
        # protocol.txt / the meta wiki: "ms foo 2 T90 F1" then "mg foo t f v".
        self.diff("mg miss", b"mg mgx:foo v\r\n")
        self.diff("ms then mg t f v", ms("mgx:foo", b"hi", b"T90 F1") + b"mg mgx:foo t f v\r\n")
        self.diff("mg hit without v is HD", b"mg mgx:foo\r\n")
        self.diff("mg s v", b"mg mgx:foo s v\r\n")
        self.diff("mg k returns the key", b"mg mgx:foo k\r\n")
        self.diff("mg miss with k and O", b"mg mgx:none k O123\r\n")
        self.diff("mg f only", b"mg mgx:foo f\r\n")

    def test_every_return_flag(self):
        self.diff("ms", ms("mgf:a", b"value-a", b"F77 T0"))
        self.diff("mg v f s c k O h", b"mg mgf:a v f s c k Oabc h\r\n")
        self.diff("mg h again (hit before)", b"mg mgf:a h v\r\n")
        self.diff("flag order is the request's", b"mg mgf:a Oz k c s f h v\r\n")
        self.diff("mg t of an item that never expires", b"mg mgf:a t v\r\n")
        self.diff("mg u (no LRU bump)", b"mg mgf:a u v\r\n")
        self.diff("set, then t l h in the same write",
                  ms("mgf:t", b"tt", b"T100") + b"mg mgf:t t v l h\r\nmg mgf:t t h l\r\n")
        self.diff("mg with no flags at all", b"mg mgf:a\r\nmg mgf:none\r\n")
        self.diff("empty value", ms("mgf:empty", b"") + b"mg mgf:empty v s\r\n")
        self.diff("binary value", ms("mgf:bin", pattern(3000)) + b"mg mgf:bin v\r\n")
        self.diff("value with CRLF and VA/EN lines inside",
                  ms("mgf:crlf", b"VA 1\r\nEN\r\nHD\r\n") + b"mg mgf:crlf v\r\n")

    def test_item_modifying_flags(self):
        self.diff("N vivifies on miss (W), then Z", b"mg mgm:v v N30 t\r\nmg mgm:v v N30 t\r\n")
        self.diff("N without v", b"mg mgm:v2 N30\r\nmg mgm:v2 N30 c\r\n")
        self.diff("R recache: win once, then Z",
                  ms("mgm:r", b"new", b"T60") + b"mg mgm:r v R30 t\r\nmg mgm:r v R90 t\r\nmg mgm:r v R90 t\r\n")
        self.diff("T touches", ms("mgm:t", b"x", b"T0") + b"mg mgm:t T50 t\r\nmg mgm:t t\r\n")
        self.diff("T-1 expires", ms("mgm:t2", b"x") + b"mg mgm:t2 v T-1\r\nmg mgm:t2 v\r\n")
        self.diff("E (memcached 1.6.18 refuses it on mg)", b"mg mgm:r v E777 T100 c t\r\nmg mgm:r c\r\n")
        self.diff("invalidated item: X and W/Z", ms("mgm:i", b"x") + b"md mgm:i I T30\r\nmg mgm:i v c t\r\n"
                  b"mg mgm:i v c\r\n")

    def test_quiet(self):
        self.diff("q hides the miss", b"mg mgq:none v q\r\nmn\r\n")
        self.diff("q keeps the hit", ms("mgq:a", b"hit") + b"mg mgq:a v q\r\nmg mgq:a q\r\nmg mgq:a q k\r\nmn\r\n")
        self.diff("q miss with O and k still hidden", b"mg mgq:none q O1 k\r\nmn\r\n")
        self.diff("q with vivify (W is shown)", b"mg mgq:viv N30 q\r\nmg mgq:viv N30 q v\r\nmg mgq:viv q k\r\nmn\r\n")
        self.diff("q errors are always sent", b"mg mgq:a zz q\r\nmg mgq:a v v q\r\nmg mgq:a Nx q\r\nmn\r\n")
        self.diff("q without mn", b"mg mgq:none v q\r\nmg mgq:a v q\r\n")


class TestMetaSet(MetaDiffTestCase):
    def test_modes(self):
        self.diff("modes S E A P R", ms("msm:a", b"one", b"MS") + ms("msm:a", b"two", b"ME")
                  + ms("msm:b", b"two", b"ME")
                  + ms("msm:a", b"+", b"MA") + ms("msm:a", b"-", b"MP") + ms("msm:nx", b"+", b"MA")
                  + ms("msm:nx", b"-", b"MP") + ms("msm:nx", b"x", b"MR") + ms("msm:a", b"R", b"MR")
                  + b"mg msm:a v f\r\nmg msm:b v\r\n")
        self.diff("lowercase and long mode tokens", ms("msm:a", b"one", b"Ms") + ms("msm:a", b"one", b"Ma")
                  + ms("msm:a", b"one", b"Mset"))
        self.diff("bad mode tokens", ms("msm:a", b"one", b"MZ") + ms("msm:a", b"one", b"M"))
        self.diff("append with N vivifies", ms("msm:viv", b"x", b"MA N30") + b"mg msm:viv v t\r\n")
        self.diff("append keeps flags", ms("msm:fl", b"base", b"F9") + ms("msm:fl", b"+", b"MA F1")
                  + b"mg msm:fl v f\r\n")

    def test_cas(self):
        self.diff("c returns the cas", ms("msc:a", b"one", b"c"))
        self.diff("stale C", ms("msc:a", b"two", b"C999") + b"mg msc:a c v\r\n")
        self.diff("stale C with c", ms("msc:a", b"two", b"C12 c") + b"mg msc:a c v\r\n")
        self.diff("C on a missing key", ms("msc:none", b"two", b"C12"))
        # Both servers have seen the same operations from the start: the current cas is the same number.
        with self.subTest(case="cas counters in step"):
            a = self.mc.request(b"mg msc:a c\r\n")
            b = self.px.request(b"mg msc:a c\r\n", timeout=td.PROXY_REPLY_TIMEOUT)
            self.assertEqual(a, b, "the two servers' cas counters diverged: later c<n> comparisons are void")
        m = re.match(rb"HD c(\d+)\r\n", a)
        self.assertIsNotNone(m, show(a))
        cas = int(m.group(1))
        self.diff("matching C", ms("msc:a", b"three", b"C%d c" % cas) + b"mg msc:a v c\r\n")
        self.diff("I with an older C: stored as stale", ms("msc:a", b"old", b"I C1") + b"mg msc:a v c\r\n")
        self.diff("I without C", ms("msc:b", b"x", b"I"))
        self.diff("E (memcached 1.6.18 refuses it on ms)", ms("msc:e", b"xyz", b"E5000") + b"mg msc:e c\r\n")

    def test_flags_ttl_and_returns(self):
        self.diff("F max, T0, k, O, s", ms("msf:a", b"xyz", b"F4294967295 T0 k O9 s") + b"mg msf:a v f\r\n")
        self.diff("F 2^32", ms("msf:a", b"xyz", b"F4294967296") + b"mg msf:a f\r\n")
        self.diff("F not a number", ms("msf:a", b"xyz", b"Fabc"))
        self.diff("T not a number", ms("msf:a", b"xyz", b"Tabc"))
        self.diff("T-1 is already expired", ms("msf:neg", b"xyz", b"T-1") + b"mg msf:neg v\r\n")
        self.diff("T then t in the same write", ms("msf:ttl", b"xyz", b"T1000") + b"mg msf:ttl t\r\n")
        self.diff("zero-length value", ms("msf:zero", b"") + b"mg msf:zero v s\r\n")
        self.diff("data with CR LF inside", ms("msf:crlf", b"a\r\nHD\r\n") + b"mg msf:crlf v\r\n")
        self.diff("datalen with leading zero and plus", b"ms msf:z 02\r\nhi\r\nms msf:z +2\r\nhi\r\nmg msf:z v\r\n")

    def test_quiet(self):
        self.diff("q hides HD", ms("msq:a", b"hi", b"q") + b"mn\r\n")
        self.diff("q shows NS, EX, NF", ms("msq:a", b"hi", b"q ME") + ms("msq:a", b"hi", b"q C1")
                  + ms("msq:none", b"hi", b"q C1") + ms("msq:none", b"hi", b"q MR") + b"mn\r\n")
        self.diff("q with k O: HD hidden", ms("msq:b", b"hi", b"q k O5") + b"mn\r\n")
        self.diff("q append miss with N: hidden", ms("msq:viv", b"x", b"q MA N30") + b"mg msq:viv v q\r\nmn\r\n")
        self.diff("q errors are sent", ms("msq:a", b"hi", b"q S1") + ms("msq:a", b"hi", b"q Fx") + b"mn\r\n")


class TestMetaDelete(MetaDiffTestCase):
    def test_delete(self):
        self.diff("md miss", b"md mdd:none\r\n")
        self.diff("md hit, then miss", ms("mdd:a", b"x") + b"md mdd:a\r\nmd mdd:a\r\n")
        self.diff("md C stale", ms("mdd:c", b"x") + b"md mdd:c C1\r\n")
        self.diff("md k O", b"md mdd:c k O5\r\nmd mdd:c k O5\r\n")
        self.diff("md I T: invalidate", ms("mdd:i", b"x") + b"md mdd:i I T30\r\nmg mdd:i v c t\r\nmg mdd:i v c\r\n")
        self.diff("md x (unsupported in 1.6.18)", ms("mdd:x", b"x") + b"md mdd:x x\r\nmg mdd:x v f\r\n")
        self.diff("md with bad tokens", b"md mdd:a Tabc\r\nmd mdd:a Cabc\r\nmd mdd:a C\r\nmd mdd:a zz\r\n"
                  b"md mdd:a k k\r\n")

    def test_quiet(self):
        self.diff("q hides HD, shows NF", ms("mdq:a", b"x") + b"md mdq:a q\r\nmd mdq:a q\r\nmn\r\n")
        self.diff("q with k and O", ms("mdq:b", b"x") + b"md mdq:b q k\r\nmd mdq:b q k O1\r\nmn\r\n")
        self.diff("q shows EX", ms("mdq:c", b"x") + b"md mdq:c q C1\r\nmn\r\n")
        self.diff("q I T", ms("mdq:d", b"x") + b"md mdq:d q I T30\r\nmg mdq:d q v\r\nmn\r\n")


class TestMetaArith(MetaDiffTestCase):
    def test_arith(self):
        self.diff("ma miss", b"ma maa:n\r\n")
        self.diff("N J vivify", b"ma maa:n N0 J5 v\r\n")
        self.diff("incr D MI", b"ma maa:n D2 MI v\r\n")
        self.diff("decr D MD", b"ma maa:n D2 MD v\r\n")
        self.diff("decr M- and incr M+ with t c", b"ma maa:n M- v\r\nma maa:n M+ D100 v t c\r\n")
        self.diff("decr below zero", b"ma maa:n J1 N0 MD D1000 v\r\n")
        self.diff("bad mode", b"ma maa:n D2 Mx\r\n")
        self.diff("bad delta", b"ma maa:n Dabc\r\nma maa:n D18446744073709551616\r\n")
        self.diff("max delta wraps", b"ma maa:n v D18446744073709551615\r\nma maa:n v\r\n")
        self.diff("non-numeric value", ms("maa:s", b"abc") + b"ma maa:s v\r\n")
        self.diff("C stale, E refused, k O t", b"ma maa:n C1 v\r\nma maa:n E99 v c\r\nma maa:n v c k O7 t\r\n")
        self.diff("missing tokens", b"ma maa:n N\r\nma maa:n Jx\r\nma maa:n J\r\nma maa:n D\r\nma maa:n Tx\r\n")
        self.diff("HD without v", b"ma maa:n\r\nma maa:n O1 k\r\n")
        self.diff("classic incr of a meta counter", b"incr maa:n 5\r\nma maa:n v\r\n")

    def test_quiet(self):
        self.diff("q hides HD and VA, shows NF", b"ma maq:n q\r\nms maq:n 1\r\n1\r\nma maq:n q\r\nma maq:n v q\r\n"
                  b"ma maq:n v\r\nmn\r\n")
        self.diff("q NF with O", b"ma maq:none q O1\r\nmn\r\n")
        self.diff("q errors are sent", b"ma maq:n q Dx\r\nmn\r\n")

    def test_quiet_autovivify(self):
        # A documented difference (docs/protocol.md): memcached sends the reply of a quiet `ma ... N<ttl>`
        # that CREATED the item and hides only increments of an existing one. The proxy asks the server
        # without q and sees the same HD/VA either way, so it hides every quiet ma success.
        for name, data in (("q N J: created, then incremented", b"ma maqv:n q N0 J1\r\nma maqv:n q N0 J1\r\n"
                            b"ma maqv:n q v N0\r\nmn\r\n"),
                           ("q N J v: created", b"ma maqv:m q N0 J1 v\r\nmn\r\n")):
            with self.subTest(case=name):
                reply = self.px.request(data, timeout=td.PROXY_REPLY_TIMEOUT)
                self.assertEqual(reply, b"MN\r\n", show(reply))
        # The item was created and incremented all the same.
        with self.subTest(case="values after the quiet ma"):
            reply = self.px.request(b"mg maqv:n v\r\nmg maqv:m v\r\n", timeout=td.PROXY_REPLY_TIMEOUT)
            self.assertEqual(reply, b"VA 1\r\n3\r\nVA 1\r\n1\r\n", show(reply))


class TestMetaNoopAndDebug(MetaDiffTestCase):
    def test_mn(self):
        self.diff("mn", b"mn\r\n")
        self.diff("mn with extra tokens", b"mn extra\r\nmn q\r\n")
        self.diff("mn after every earlier reply",
                  ms("mn:a", b"x") + b"mg mn:a v\r\nmd mn:none\r\nmn\r\nmg mn:a\r\nmn\r\n")

    def test_me_shape(self):
        norm = normalize_me
        self.diff_shape("me miss", b"me me:none\r\n", norm)
        self.diff_shape("me hit", ms("me:a", b"hello", b"T0") + b"me me:a\r\n", norm)
        self.diff_shape("me after a fetch", b"mg me:a v\r\nme me:a\r\n", norm)
        self.diff_shape("me with a TTL", ms("me:t", b"x", b"T1000") + b"me me:t\r\n", norm)
        self.diff_shape("me with an extra token", b"me me:a x\r\n", norm)
        self.diff_shape("me with a base64 key", b"me %s b\r\n" % b64("me:a"), norm)
        with self.subTest(case="me hit looks like ME <key> k=v..."):
            reply = self.px.request(b"me me:a\r\n", timeout=td.PROXY_REPLY_TIMEOUT)
            self.assertRegex(reply, rb"\AME me:a( [a-z]+=\S+)+\r\n\Z", show(reply))

    def test_me_malformed(self):
        self.diff("me without a key", b"me\r\n")
        self.diff("me with a non-base64 key and b", b"me me:a b\r\n")
        self.diff("me with an undecodable base64 key", b"me !!! b\r\n")
        # memcached takes only a token that is exactly "b" as the base64 flag of me.
        self.diff("me with an extra token starting with b", ms("me:a", b"x") + b"me me:a bar\r\n")


class TestMetaKeys(MetaDiffTestCase):
    def test_base64_keys(self):
        self.diff("mg miss, k echoes the base64 key and b", b"mg %s b v k\r\n" % b64("foo"))
        self.diff("ms b, mg b k, mg plain", ms(b64("b64:foobar"), b"xyz", b"b") + b"mg %s b v k\r\nmg b64:foobar v\r\n"
                  % b64("b64:foobar"))
        self.diff("binary decoded key with space and CRLF", ms(b64(b"b64:a b\r\nc"), b"hi", b"b")
                  + b"mg %s b v k\r\n" % b64(b"b64:a b\r\nc"))
        self.diff("decoded key with NUL bytes", ms(b64(b"\x00\x01\x02\x03"), b"hi", b"b")
                  + b"mg %s b v k\r\n" % b64(b"\x00\x01\x02\x03"))
        self.diff("md b k", ms("b64:del", b"x") + b"md %s b k\r\nmg b64:del v\r\n" % b64("b64:del"))
        self.diff("ma b", b"ma %s b N0 J3 v k\r\nma b64:ctr v\r\n" % b64("b64:ctr"))
        self.diff("q with b", ms(b64("b64:q"), b"hi", b"b q") + b"mg %s b v k q\r\nmg b64:q v q\r\n"
                  b"mg b64:none v q\r\nmn\r\n" % b64("b64:q"))
        self.diff("non-canonical padding bits", b"mg Zm9vYh== b v k\r\nmg Zh== b k\r\nmg Zm9= b k\r\n")
        self.diff("bad base64", b"mg !!! b v\r\nmg Zm9 b v\r\nmg Zm9v== b k\r\nmg ==== b k\r\nmg Zm9vYg b k\r\n"
                  b"mg Zm9vYg= b k\r\n")
        self.diff("bad base64 for ms, md, ma", ms("!!!", b"hi", b"b") + b"md !!! b\r\nma !!! b\r\nmg b64:x v\r\n")
        self.diff("248-char base64 key", b"mg " + b"QUFB" * 61 + b"QUE= b v\r\n")
        # A 252-char key (base64 or not) gets mcrouter's "CLIENT_ERROR bad key": test_mcrouter_replies.py.

    def test_lenient_base64_decoding(self):
        # memcached's decoder skips characters outside the base64 alphabet ("b64:plain" decodes as "b64plain").
        self.diff("b on a key with a colon", ms("b64:plain", b"hi", b"b") + b"mg b64:plain b v k\r\n"
                  b"mg b64plain b v k\r\n")
        self.diff("b on a 3-letter plain key", b"mg foo b v\r\n")
        # '=' anywhere, and the first padded group ends the key: what follows it is ignored.
        self.diff("padding in the middle", ms("YQ==YQ==", b"hi", b"b") + b"mg YQ==YQ== b v k\r\nmg YQ== b v k\r\n"
                  b"mg =YQ= b v\r\nmg Zm9v=== b v\r\nmg ==== b v\r\n")

    def test_key_lengths_and_odd_keys(self):
        k250 = b"k" * 249 + b"m"
        k251 = b"k" * 250 + b"m"
        self.diff("ms/mg 250-byte key", ms(k250, b"long") + b"mg " + k250 + b" v k\r\n")
        self.diff("md 250-byte key", b"md " + k250 + b"\r\n")
        # 251-byte keys get mcrouter's "CLIENT_ERROR bad key" (an ms data block is read): test_mcrouter_replies.py.
        del k251
        self.diff("key with a control character", ms(b"mk:\x01ctl", b"x") + b"mg mk:\x01ctl v k\r\n")
        self.diff("key with UTF-8 bytes",
                  ms("mk:\u00e9t\u00e9".encode(), b"x") + "mg mk:\u00e9t\u00e9 v k\r\n".encode())
        self.diff("hash stop in a key", ms("mk:foo|#|bar", b"x") + b"mg mk:foo|#|bar v k\r\n")
        # A key whose routing prefix no route serves gets mcrouter's "SERVER_ERROR local error":
        # test_mcrouter_replies.py.


class TestMetaOpaque(MetaDiffTestCase):
    def test_opaque(self):
        self.diff("O on every command", ms("op:a", b"x", b"O1") + b"mg op:a v O2\r\nmg op:none O3\r\n"
                  b"md op:none O4\r\nma op:none O5\r\nmd op:a O6\r\n")
        self.diff("31-, 32-, 33-char opaques", b"mg op:a O" + b"x" * 31 + b"\r\nmg op:a O" + b"x" * 32
                  + b"\r\nmg op:a O" + b"x" * 33 + b"\r\n")
        self.diff("empty O", b"mg op:a O\r\n")
        self.diff("duplicate O", b"mg op:a Oabc Oxyz\r\n")
        self.diff("opaques keep requests apart in a pipeline",
                  b"".join(ms("op:p%d" % i, b"%d" % i, b"O%d q" % i) for i in range(20))
                  + b"".join(b"mg op:p%d v O%d q\r\nmg op:px%d O%d q\r\n" % (i, i, i, 100 + i) for i in range(20))
                  + b"mn\r\n")


class TestMetaSizes(MetaDiffTestCase):
    def test_big_values(self):
        v500k = pattern(500 * 1024, seed=11)
        self.diff("ms 500 KB", ms("mbig:500k", v500k, b"F3 T0"))
        self.diff("mg 500 KB", b"mg mbig:500k v s f\r\n")
        self.diff("get (classic) of a 500 KB meta item", b"get mbig:500k\r\n")
        self.diff("ms 500 KB q, then mg", ms("mbig:q", v500k, b"q") + b"mg mbig:q v s\r\nmn\r\n")
        self.diff("pipelined 500 KB ms/mg", ms("mbig:p1", pattern(500_000, 1)) + ms("mbig:p2", pattern(300_000, 2))
                  + b"mg mbig:p1 v\r\nmg mbig:p2 v k\r\nmg mbig:p1 s\r\n")
        self.diff("append to a big value", ms("mbig:500k", b"tail", b"MA") + b"mg mbig:500k v s\r\n")
        self.diff("3 MB ms: too large for both, data swallowed",
                  ms("mbig:huge", pattern(3_000_000, 3)) + b"mg mbig:huge v\r\n")
        self.diff("too large q: the error is sent", ms("mbig:huge", pattern(3_000_000, 4), b"q") + b"mn\r\n")

    def test_too_large_over_existing_item(self):
        # memcached unlinks the existing item when a store fails for size (stale data).
        self.diff("plain key", ms("mbig:old", b"hi") + ms("mbig:old", pattern(3_000_000, 5)) + b"mg mbig:old v\r\n")
        self.diff("append mode", ms("mbig:old2", b"hi") + ms("mbig:old2", pattern(3_000_000, 6), b"MA")
                  + b"mg mbig:old2 v\r\n")
        self.diff("base64 key", ms(b64("mbig:old3"), b"hi", b"b") + ms(b64("mbig:old3"), pattern(3_000_000, 7), b"b")
                  + b"mg mbig:old3 v\r\n")
        # The value is forwarded (under the proxy's 64m bound), so memcached checks the flags first, as alone.
        self.diff("invalid flag and too large",
                  ms("mbig:old4", b"hi") + ms("mbig:old4", pattern(3_000_000, 8), b"zz") + b"mg mbig:old4 v\r\n")


class TestMetaMalformed(MetaDiffTestCase):
    def test_unknown_and_duplicate_flags(self):
        self.diff("unknown flag on mg", b"mg mal:a zz\r\nmg mal:a 1\r\nmg mal:a ~\r\nmg mal:a x\r\n")
        self.diff("unknown flag on ms", ms("mal:a", b"hi", b"S100") + ms("mal:a", b"hi", b"noreply"))
        self.diff("unknown flag on md and ma", b"md mal:a zz\r\nma mal:a zz\r\n")
        self.diff("duplicate flags", b"mg mal:a v v\r\nmg mal:a Oabc Oxyz\r\n" + ms("mal:a", b"hi", b"k k")
                  + ms("mal:a", b"hi", b"MS MS") + b"md mal:a k k\r\n")
        self.diff("flags with trailing junk", b"mg mal:a v1\r\nmg mal:a kx\r\n")
        # q is the proxy's to handle, so a duplicate one must be refused by the proxy as memcached would.
        self.diff("duplicate q", b"set mal:n 0 0 1\r\n5\r\nma mal:n q q\r\nmg mal:n v q q\r\n"
                  + ms("mal:q", b"hi", b"q q") + b"md mal:n q q\r\nmd mal:n q T5 q\r\nmn\r\nget mal:n mal:q\r\n")

    def test_bad_tokens(self):
        self.diff("mg bad numeric tokens", b"mg mal:a Nabc\r\nmg mal:a T-5\r\nmg mal:a R\r\nmg mal:a N\r\n"
                  b"mg mal:a T\r\nmg mal:a Rx\r\n")
        self.diff("ms bad tokens", ms("mal:a", b"hi", b"Cabc") + ms("mal:a", b"hi", b"C") + ms("mal:a", b"hi", b"Tx"))

    def test_bad_datalen_and_data(self):
        self.diff("datalen not a number", b"ms mal:d abc\r\nhi\r\n")
        self.diff("datalen with junk", b"ms mal:d 2x\r\nhi\r\n")
        self.diff("negative datalen", b"ms mal:d -1\r\nmn\r\n")
        self.diff("datalen 2^31-1 .. 2^31", b"ms mal:d 2147483646\r\nhi\r\nms mal:d 2147483647\r\nhi\r\n"
                  b"ms mal:d 2147483648\r\nhi\r\nmn\r\n")
        self.diff("missing datalen", b"ms mal:d\r\n")
        self.diff("data longer than datalen", b"ms mal:d 2\r\nhiX\r\nmg mal:d v\r\n")
        self.diff("data ended by bare \\n", b"ms mal:d 2\r\nhi\nmn\r\n")
        self.diff("bad data chunk q", b"ms mal:d 2 q\r\nhiX\r\nmn\r\n")
        # memcached reports a bad flag before a bad data chunk (the block goes upstream as written).
        self.diff("bad data chunk and a duplicate flag", b"ms mal:d 3 MR MP L MA\r\n\raaXY\r\nmn\r\n")
        self.diff("bad data chunk and an invalid flag", b"ms mal:d 2 zz q\r\nhiXY\r\nmn\r\n")
        # Errors in memcached's order when the proxy could frame the request: a second q, a bad base64 key.
        self.diff("duplicate flag before a bad base64 key", b"mg abc c k k b c\r\n")
        self.diff("invalid flag before a duplicate q", b"ms mal:q 3 F4294967296 E100 q q\r\nabc\r\nmn\r\n")
        self.diff("invalid ms mode with a base64 key", b"ms %s 3 b MX c\r\nabc\r\nmn\r\n" % b64("mal:m"))
        self.diff("duplicate q in md, ma, mg", b"md mal:q q q\r\nma mal:q q v q\r\nmg mal:q q q v\r\nmn\r\n")
        self.diff("bad base64 then an invalid flag", b"mg !!! b zz\r\nmd !!! b\r\nmn\r\n")
        self.diff("state after bad chunks", b"mg mal:d v\r\n")

    def test_bad_lines(self):
        self.diff("commands without a key", b"mg\r\nms\r\nmd\r\nma\r\n")
        self.diff("unknown two-letter m commands", b"mz mal:a\r\nmgx mal:a\r\nMG mal:a v\r\n")
        self.diff("extra spaces and bare \\n", b"mg mal:a v \r\nmg  mal:a  v\r\nmg mal:a v\n")

    def test_too_many_flags(self):
        self.diff("mg with 17, 18 and 25 flags", b"mg mal:f " + b" ".join([b"v"] * 17) + b"\r\nmg mal:f "
                  + b" ".join([b"v"] * 18) + b"\r\nmg mal:f " + b" ".join([b"v"] * 25) + b"\r\n")
        self.diff("ms with 16 and 20 flags", ms("mal:f", b"hi", b" ".join([b"F1"] * 16))
                  + ms("mal:f", b"hi", b" ".join([b"T1"] * 20)) + b"mg mal:x v\r\n")
        self.diff("md/ma with 20 flags, quiet", b"md mal:f " + b" ".join([b"q"] * 20) + b"\r\nma mal:f "
                  + b" ".join([b"q"] * 20) + b"\r\nmn\r\n")

    def test_overlong_lines_close(self):
        self.diff_closing("mg line over 2048 bytes without a newline", b"mg " + b"k" * 3000)
        self.diff_closing("ms line over 2048 bytes without a newline", b"ms mal:l 2 " + b"T1 " * 1000)
        self.diff_closing("mn line over 2048 bytes without a newline", b"mn " + b"x" * 3000)
        self.diff_closing("meta commands, quit, more", b"mg mal:a v\r\nmn\r\nquit\r\nmg mal:a v\r\n")


class TestMetaPipelines(MetaDiffTestCase):
    def test_quiet_pipeline(self):
        data = (b"".join(ms("qp:%d" % i, b"v%d" % (i % 10), b"q T0 F%d" % i) for i in range(100))
                + b"".join(b"mg qp:%d q v f k\r\nmg qpx:%d q v\r\n" % (i, i) for i in range(100))
                + b"".join(b"md qp:%d q\r\n" % i for i in range(0, 100, 3))
                + b"".join(b"md qp:%d q\r\n" % i for i in range(0, 100, 9))
                + b"mn\r\n")
        self.diff("100 ms q, 200 mg q, md q, one mn", data)
        self.diff("state after the quiet pipeline", b"".join(b"mg qp:%d q v\r\n" % i for i in range(30)) + b"mn\r\n")
        self.diff("several mn in a quiet pipeline",
                  b"mg qp:1 q\r\nmn\r\nmg qpx:1 q\r\nmn\r\nmn\r\nmg qp:2 q k\r\nmn\r\n")

    def test_mixed_classic_and_meta(self):
        self.diff("interleaved in one write",
                  b"set mix:a 0 0 1\r\n1\r\nmg mix:a v\r\nget mix:a\r\nma mix:a v\r\nincr mix:a 5\r\nmg mix:a v q\r\n"
                  b"mn\r\ndelete mix:a\r\nmg mix:a v q\r\nmd mix:a q\r\ngets mix:a\r\nmn\r\n")
        self.diff("classic storage of meta items and back",
                  ms("mix:b", b"meta", b"F5") + b"get mix:b mix:none mix:b\r\nappend mix:b 0 0 2\r\n++\r\n"
                  b"mg mix:b v f s\r\ntouch mix:b 100\r\nmg mix:b t\r\nset mix:b 9 0 3\r\nset\r\nmg mix:b v f k\r\n")
        self.diff("noreply and quiet mixed", b"set mix:c 0 0 1 noreply\r\nx\r\nmg mix:c v q\r\nms mix:c 1 q\r\ny\r\n"
                  b"get mix:c\r\ndelete mix:c noreply\r\nmd mix:c q\r\nmn\r\n")
        # (A get without a key would close the connection, as in mcrouter: test_mcrouter_replies.py.)
        self.diff("errors in the middle", b"bogus\r\nmg mix:b v\r\nmg mix:b zz\r\nmn\r\nms mix:d abc\r\nmn\r\n")
        cmds = []
        for i in range(60):
            k = b"mixp:%d" % (i % 13)
            cmds.append(ms(k, b"%d" % i, b"q" if i % 2 else b"F%d" % i))
            cmds.append(b"mg %s v f k O%d%s\r\n" % (k, i, b" q" if i % 3 == 0 else b""))
            cmds.append(b"get %s mixp:none\r\n" % k)
            cmds.append(b"ma %s v\r\n" % k if i % 4 else b"incr %s 2\r\n" % k)
            cmds.append(b"md mixp:%d q\r\n" % ((i * 5) % 13) if i % 5 == 0 else b"mn\r\n")
        self.diff(f"pipeline of {len(cmds)} classic and meta commands", b"".join(cmds))

    def test_split_writes(self):
        script = (ms("sp:m", b"split\r\nvalue", b"F3 T0") + b"mg sp:m v f k\r\nmg sp:none v q\r\n"
                  + ms("sp:m", b"x", b"q MA") + b"ma sp:n N0 J7 v\r\nmd sp:m q\r\nmg sp:m v q\r\nmn\r\n")
        for piece in (1, 3, 7, 16):
            with self.subTest(piece=piece):
                self.diff(f"reset before {piece}-byte pieces", b"md sp:n\r\n")
                self.diff_pieces(f"meta script sent {piece} byte(s) at a time", script, piece)


# --- 2. proxy behaviour -----------------------------------------------------------------------------------------

def direct(i, data, terminator=b"\r\n"):
    with Conn(_pool_servers[i].port, name=f"memcached[{i}] {_pool_servers[i].address}") as c:
        return c.exchange(data, terminator=terminator)


def direct_get(i, key):
    items = parse_value_reply(direct(i, b"get %s\r\n" % key, b"END\r\n"))
    return items[0][2] if items else None


def direct_set(i, key, value):
    assert direct(i, b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value)) == b"STORED\r\n"


@skip_without_proxy()
class ProxyMetaTest(unittest.TestCase):
    def setUp(self):
        for i, mc in enumerate(_pool_servers):
            if mc.proc is None or mc.proc.poll() is not None:
                mc.start()
            self.assertEqual(direct(i, b"flush_all\r\n"), b"OK\r\n")

    def relay(self, config, args=()):
        relay = Mcrelay(config, args=["--enable-admin-keys", *args]).start()
        self.addCleanup(relay.stop)
        conn = Conn(relay.port, name="mcrelay", diag=relay.diag)
        self.addCleanup(conn.close)
        return relay, conn

    def restart_later(self, i):
        def restart():
            if _pool_servers[i].proc is None or _pool_servers[i].proc.poll() is not None:
                _pool_servers[i].start()
        self.addCleanup(restart)

    def addr(self, i):
        return _pool_servers[i].address


class TestMetaPlacement(ProxyMetaTest):
    def holders(self, conns, key):
        out = []
        for i, c in enumerate(conns):
            if parse_value_reply(c.exchange(b"get %s\r\n" % key, terminator=b"END\r\n")):
                out.append(i)
        return out

    def test_ms_lands_where_set_does(self):
        _, c = self.relay(pool_config([s.address for s in _pool_servers]))
        conns = [Conn(s.port, name=f"memcached[{i}]") for i, s in enumerate(_pool_servers)]
        for d in conns:
            self.addCleanup(d.close)
        keys = [b"pl:%d" % i if i % 4 else b"hs:%d|#|tail%d" % (i // 4, i) for i in range(200)]
        wrong = []
        used = set()
        for key in keys:
            self.assertEqual(c.exchange(b"set %s 0 0 1\r\nc\r\n" % key, b"\r\n"), b"STORED\r\n")
            classic = self.holders(conns, key)
            self.assertEqual(len(classic), 1, f"classic set of {key!r} is on servers {classic}")
            used.update(classic)
            self.assertEqual(c.exchange(b"delete %s\r\n" % key, b"\r\n"), b"DELETED\r\n")
            self.assertEqual(one(c, ms(key, b"m")), b"HD\r\n")
            meta = self.holders(conns, key)
            self.assertEqual(one(c, b"mg %s v\r\n" % key), b"VA 1\r\nm\r\n")
            self.assertEqual(one(c, b"md %s\r\n" % key), b"HD\r\n")
            self.assertEqual(one(c, ms(b64(key), b"b", b"b")), b"HD\r\n")
            based = self.holders(conns, key)
            self.assertEqual(one(c, b"md %s b\r\n" % b64(key)), b"HD\r\n")
            if meta != classic or based != classic:
                wrong.append((key, classic, meta, based))
        self.assertEqual(wrong, [], f"{len(wrong)} of {len(keys)} keys placed unlike a classic set "
                                    f"(key, set on, ms on, ms b on); first: {wrong[:5]}")
        self.assertEqual(used, {0, 1, 2}, "the 200 keys should spread over all three servers")

    def test_hash_stop_keys_stay_together(self):
        _, c = self.relay(pool_config([s.address for s in _pool_servers]))
        for i in range(20):
            base = b"hsg:%d|#|" % i
            self.assertEqual(one(c, ms(base + b"a", b"x")), b"HD\r\n")
            self.assertEqual(one(c, ms(base + b"bb", b"x")), b"HD\r\n")
            self.assertEqual(one(c, ms(b64(base + b"ccc"), b"x", b"b")), b"HD\r\n")
            places = [[s for s in range(NUM_POOL_SERVERS) if direct_get(s, base + suffix) is not None]
                      for suffix in (b"a", b"bb", b"ccc")]
            self.assertTrue(len(places[0]) == 1 and places[0] == places[1] == places[2],
                            f"keys {base!r}* (plain and base64) are on {places}")


def fanout_config(addrs):
    return {"pools": {"A": {"servers": [addrs[0]]}, "AB": {"servers": addrs}},
            "route": {"type": "OperationSelectorRoute",
                      "operation_policies": {"set": "AllSyncRoute|Pool|AB", "delete": "AllSyncRoute|Pool|AB",
                                             "get": "PoolRoute|A"},
                      "default_policy": "PoolRoute|A"}}


SERVER_ERROR_LINE = rb"SERVER_ERROR [^\r\n]*\r\n"


class TestMetaQuietFanOut(ProxyMetaTest):
    def test_quiet_ms_and_md_over_all_sync(self):
        _, c = self.relay(fanout_config([self.addr(0), self.addr(1)]))
        self.assertEqual(c.request(ms("qf:a", b"x", b"q") + ms("qf:b", b"yy", b"q T0 F3")), b"")
        self.assertEqual([direct_get(i, b"qf:a") for i in (0, 1)], [b"x", b"x"], "ms q reached both servers")
        self.assertEqual([direct_get(i, b"qf:b") for i in (0, 1)], [b"yy", b"yy"])
        self.assertEqual(c.request(b"mg qf:b v f\r\nmg qf:none v q\r\nmn\r\n"), b"VA 2 f3\r\nyy\r\nMN\r\n")
        self.assertEqual(c.request(b"md qf:a q\r\nmn\r\n"), b"MN\r\n")
        self.assertEqual([direct_get(i, b"qf:a") for i in (0, 1)], [None, None], "md q reached both servers")
        # A reply that is not "nothing to report" on one server comes back, even in quiet mode.
        direct(1, b"delete qf:b\r\n")
        self.assertEqual(c.request(b"md qf:b q\r\nmn\r\n"), b"NF\r\nMN\r\n", "the worst reply (NF) is sent")
        direct_set(0, b"qf:add", b"0")
        self.assertEqual(c.request(ms("qf:add", b"1", b"q ME") + b"mn\r\n"), b"NS\r\nMN\r\n")
        self.assertEqual(direct_get(1, b"qf:add"), b"1", "the server without the key stored it")

    def test_error_from_one_server_is_sent_in_quiet_mode(self):
        relay, c = self.relay(fanout_config([self.addr(0), self.addr(1)]))
        self.restart_later(1)
        c.install_sentinel()  # goes to both servers while they are up
        _pool_servers[1].stop()
        reply = c.request(ms("qe:a", b"x", b"q") + b"mn\r\n")
        self.assertRegex(reply, rb"\A" + SERVER_ERROR_LINE + rb"MN\r\n\Z", "ms q with one replica down")
        self.assertEqual(direct_get(0, b"qe:a"), b"x", "the server that is up stored it")
        reply = c.request(b"md qe:a q\r\nmn\r\n")
        self.assertRegex(reply, rb"\A" + SERVER_ERROR_LINE + rb"MN\r\n\Z", "md q with one replica down")
        relay.assert_alive()

    def test_mn_comes_after_every_earlier_reply(self):
        _, c = self.relay(fanout_config([self.addr(0), self.addr(1)]))
        self.restart_later(1)
        big = pattern(500_000, seed=21)
        c.install_sentinel()
        self.assertEqual(c.request(ms("qo:big", big, b"q") + ms("qo:small", b"s", b"q")), b"")
        _pool_servers[1].stop()
        data = (ms("qo:1", b"x", b"q")              # AllSync, B down: error
                + b"mg qo:big v\r\n"                  # A: 500 KB
                + ms("qo:2", b"x", b"q")              # error
                + b"mg qo:none v q\r\n"               # hidden
                + b"md qo:small q\r\n"                # error
                + b"mg qo:small v k q\r\n"            # deleted on A: hidden miss
                + b"mn\r\n")
        replies = split_meta_replies(c.request(data))
        shape = [r[:12] if not r.startswith(b"VA ") else b"VA <%d bytes>" % (len(r) - r.index(b"\r\n") - 4)
                 for r in replies]
        self.assertEqual(len(replies), 5, f"replies: {shape}")
        self.assertRegex(replies[0], rb"\A" + SERVER_ERROR_LINE + rb"\Z", f"replies: {shape}")
        self.assertTrue(replies[1] == b"VA %d\r\n%s\r\n" % (len(big), big), f"replies: {shape}")
        self.assertRegex(replies[2], rb"\A" + SERVER_ERROR_LINE + rb"\Z", f"replies: {shape}")
        self.assertRegex(replies[3], rb"\A" + SERVER_ERROR_LINE + rb"\Z", f"replies: {shape}")
        self.assertEqual(replies[4], b"MN\r\n", f"replies: {shape}")


    def test_mn_waits_for_classic_noreply(self):
        # memcached answers mn after everything before it on the connection, noreply commands included.
        with DelayProxy(_pool_servers[0].port, 0.4) as slow:
            _, c = self.relay(pool_config([slow.address]))
            t0 = time.monotonic()
            self.assertEqual(c.request(b"set nr:k 0 0 1 noreply\r\nx\r\ndelete nr:gone noreply\r\nmn\r\n"),
                             b"MN\r\n")
            waited = time.monotonic() - t0
            self.assertGreaterEqual(waited, 0.35, "MN came before the server had answered the noreply set")
            self.assertEqual(direct_get(0, b"nr:k"), b"x")


class TestMetaFailover(ProxyMetaTest):
    def test_meta_through_the_secondary(self):
        cfg = {"pools": {"primary": {"servers": [self.addr(0)]}, "secondary": {"servers": [self.addr(1)]}},
               "route": {"type": "FailoverRoute", "children": ["PoolRoute|primary", "PoolRoute|secondary"]}}
        relay, c = self.relay(cfg)
        self.restart_later(0)
        self.assertEqual(one(c, ms("mfo:up", b"p")), b"HD\r\n")
        self.assertEqual(direct_get(0, b"mfo:up"), b"p", "the primary takes writes while it is up")
        _pool_servers[0].stop()
        for i in range(10):
            k = b"mfo:%d" % i
            self.assertEqual(one(c, ms(k, b"s%d" % i, b"F%d" % i)), b"HD\r\n", f"ms {k!r}")
            self.assertEqual(direct_get(1, k), b"s%d" % i, "the write went to the secondary")
            want = direct(1, b"mg %s v f k O%d\r\n" % (k, i), meta_reply_end)
            self.assertEqual(one(c, b"mg %s v f k O%d\r\n" % (k, i)), want, f"mg {k!r}")
        self.assertEqual(one(c, b"mg mfo:up v\r\n"), b"EN\r\n", "a miss on the secondary is a miss")
        self.assertEqual(c.request(b"mg mfo:up v q\r\nmn\r\n"), b"MN\r\n")
        self.assertEqual(one(c, b"ma mfo:ctr N0 J5 v\r\n"), b"VA 1\r\n5\r\n")
        self.assertEqual(one(c, b"md mfo:0 q\r\nmd mfo:0 k\r\n"), b"NF kmfo:0\r\n")
        # memcached returns `k` base64-encoded (with b) only for items stored with a binary key.
        self.assertEqual(one(c, b"mg %s b v k\r\n" % b64("mfo:1")), direct(1, b"mg %s b v k\r\n" % b64("mfo:1"),
                                                                           meta_reply_end))
        self.assertEqual(one(c, ms(b64("mfo:bin"), b"b", b"b")), b"HD\r\n")
        self.assertEqual(one(c, b"mg mfo:bin v k\r\n"), b"VA 1 k%s b\r\nb\r\n" % b64("mfo:bin"))
        relay.assert_alive()


class TestMetaWarmUp(ProxyMetaTest):
    def config(self):
        return {"pools": {"cold": {"servers": [self.addr(0)]}, "warm": {"servers": [self.addr(1)]}},
                "route": {"type": "WarmUpRoute", "cold": "PoolRoute|cold", "warm": "PoolRoute|warm"}}

    def test_meta_get_fills_cold_from_warm(self):
        # routes/warm_up_route.hpp: a meta miss in cold is fetched from warm, added to cold, and the
        # client's own mg is asked of cold again (so its flags come back as asked).
        _, c = self.relay(self.config())
        direct_set(1, b"mwu:a", b"warm")
        self.assertEqual(one(c, b"mg mwu:a v k O1 f\r\n"), b"VA 4 kmwu:a O1 f0\r\nwarm\r\n", "a cold miss reads warm")
        self.assertEqual(direct_get(0, b"mwu:a"), b"warm", "cold now holds the value")
        self.assertEqual(c.request(b"mg mwu:nowhere v q\r\nmg mwu:nowhere v\r\nmn\r\n"), b"EN\r\nMN\r\n")
        direct_set(0, b"mwu:both", b"cold")
        direct_set(1, b"mwu:both", b"warm")
        self.assertEqual(one(c, b"mg mwu:both v\r\n"), b"VA 4\r\ncold\r\n", "a cold hit wins")
        self.assertEqual(one(c, ms("mwu:new", b"n")), b"HD\r\n")
        self.assertEqual((direct_get(0, b"mwu:new"), direct_get(1, b"mwu:new")), (b"n", None), "ms: cold only")
        # The classic get of the same kind of key does fill cold.
        direct_set(1, b"mwu:classic", b"w")
        self.assertEqual(c.exchange(b"get mwu:classic\r\n", b"END\r\n"), b"VALUE mwu:classic 0 1\r\nw\r\nEND\r\n")
        wait_for(lambda: direct_get(0, b"mwu:classic") == b"w", 5, "the cold server to receive mwu:classic")


class TestMetaIntrospection(ProxyMetaTest):
    def route_of(self, c, op, key):
        admin = b"__mcrouter__.route(%s,%s)" % (op, key)
        items = parse_value_reply(c.exchange(b"get %s\r\n" % admin, b"END\r\n"))
        self.assertEqual(len(items), 1, f"get {admin!r}")
        return items[0][2]

    def test_route_names_the_same_servers(self):
        _, c = self.relay(pool_config([s.address for s in _pool_servers]))
        for i in range(30):
            key = b"intro:%d" % i
            for meta, classic in ((b"mg", b"get"), (b"ms", b"set"), (b"md", b"delete"), (b"ma", b"incr"),
                                  (b"me", b"get")):
                with self.subTest(key=key, op=meta):
                    self.assertEqual(self.route_of(c, meta, key), self.route_of(c, classic, key))
            where = self.route_of(c, b"mg", key)
            self.assertIn(where.decode(), [s.address for s in _pool_servers])
            self.assertEqual(one(c, ms(key, b"v")), b"HD\r\n")
            idx = [s.address for s in _pool_servers].index(where.decode())
            self.assertEqual(direct_get(idx, key), b"v", f"ms {key!r} is where route(mg,...) says")

    def test_route_with_operation_selector(self):
        _, c = self.relay(fanout_config([self.addr(0), self.addr(1)]))
        self.assertEqual(self.route_of(c, b"mg", b"k"), self.route_of(c, b"get", b"k"))
        self.assertEqual(self.route_of(c, b"ms", b"k"), self.route_of(c, b"set", b"k"))
        self.assertEqual(self.route_of(c, b"ms", b"k"), b"%s\r\n%s" % (self.addr(0).encode(), self.addr(1).encode()))
        self.assertEqual(self.route_of(c, b"md", b"k"), self.route_of(c, b"delete", b"k"))

    def test_stats_count_meta_commands(self):
        _, c = self.relay(pool_config([s.address for s in _pool_servers]))
        names = ["cmd_mg_count", "cmd_ms_count", "cmd_md_count", "cmd_ma_count", "cmd_mn_count"]

        def counts():
            stats = parse_stats(c.exchange(b"stats\r\n", b"END\r\n"))
            missing = [n for n in names if n not in stats]
            self.assertEqual(missing, [], f"stats lacks {missing}")
            return {n: int(stats[n]) for n in names}
        before = counts()
        c.request(ms("st:a", b"x") + ms("st:b", b"y", b"q") + b"mg st:a v\r\nmg st:none v q\r\nmg st:b\r\n"
                  b"md st:b q\r\nma st:n N0 J1\r\nma st:n v q\r\nma st:n zz\r\nmn\r\nmn\r\nmn\r\n")
        after = counts()
        self.assertEqual({n: after[n] - before[n] for n in names},
                         {"cmd_mg_count": 3, "cmd_ms_count": 2, "cmd_md_count": 1, "cmd_ma_count": 3,
                          "cmd_mn_count": 3})


class TestMetaRoutingPrefix(ProxyMetaTest):
    def test_k_flag_returns_the_key_the_client_sent(self):
        # A routing prefix picks the route and is stripped before the key goes upstream; the classic VALUE line
        # still names the key as the client sent it. The meta `k` flag should do the same.
        cfg = {"pools": {"A": {"servers": [self.addr(0)]}, "B": {"servers": [self.addr(1)]}},
               "routes": [{"aliases": ["/a/b/"], "route": "PoolRoute|A"},
                          {"aliases": ["/c/d/"], "route": "PoolRoute|B"}]}
        _, c = self.relay(cfg)
        self.assertEqual(one(c, ms("/a/b/pk", b"x")), b"HD\r\n")
        self.assertEqual(direct_get(0, b"pk"), b"x", "the prefix is stripped upstream")
        self.assertEqual(c.exchange(b"get /a/b/pk\r\n", b"END\r\n"), b"VALUE /a/b/pk 0 1\r\nx\r\nEND\r\n")
        with self.subTest(case="mg k"):
            self.assertEqual(one(c, b"mg /a/b/pk v k\r\n"), b"VA 1 k/a/b/pk\r\nx\r\n")
        with self.subTest(case="ms k"):
            self.assertEqual(one(c, ms("/a/b/pk", b"y", b"k")), b"HD k/a/b/pk\r\n")
        with self.subTest(case="mg k miss"):
            self.assertEqual(one(c, b"mg /a/b/none k\r\n"), b"EN k/a/b/none\r\n")
        with self.subTest(case="md k"):
            self.assertEqual(one(c, b"md /a/b/pk k\r\n"), b"HD k/a/b/pk\r\n")
        with self.subTest(case="base64 key with a routing prefix"):
            self.assertEqual(one(c, ms(b64("/c/d/bk"), b"z", b"b")), b"HD\r\n")
            self.assertEqual(direct_get(1, b"bk"), b"z", "the decoded key picks the route and is stripped")
            self.assertEqual(one(c, b"mg %s b v k\r\n" % b64("/c/d/bk")),
                             b"VA 1 k%s b\r\nz\r\n" % b64("/c/d/bk"))


if __name__ == "__main__":
    unittest.main()

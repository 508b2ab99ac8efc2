"""mcrouter's stats, as the tools written for mcrouter read them, against real memcached servers.

- The parsing rules of the mcrouter Prometheus exporter (github Dev25/mcrouter_exporter, main.go: getStats on
  `stats all`, getServerStats on `stats servers`, on one connection) and of telegraf's mcrouter input
  (`stats`, every line "STAT name value", its metric list parsed as int or float) are ported here and
  applied to mcrelay's replies: every stat they read must be there and parse.
- Values move as requests flow and match what the servers themselves count: per server, `stats servers`'
  stored/found/notfound equal memcached's own cmd_set/get_hits/get_misses.
- mcrouter's other groups: suspect_servers with a server down, count, version, an unknown group.
- Server stats through the proxy (`stats items|slabs|settings|sizes`): equal to the sum of what the servers
  report, per server with `stats <group> <server>`.
"""
import re
import time
import types
import unittest

from fault_servers import SILENT, FaultServer
from mcrelay_testlib import SHOW_ERRORS, Conn, refusing_address, Mcrelay, Memcached, parse_stats, skip_without_proxy, wait_for

_servers = []


def setUpModule():
    for _ in range(2):
        _servers.append(Memcached().start())


def tearDownModule():
    for mc in _servers:
        mc.__exit__(None, None, None)


# --- the exporter's parsing rules (Dev25/mcrouter_exporter main.go), ported -------------------------------

def exporter_get_stats(conn):
    """getStats: `stats all`; every line up to END split in 3 on spaces: name = [1], value = [2] sans CRLF."""
    reply = conn.exchange(b"stats all\r\n", b"END\r\n").decode()
    m = {}
    for line in reply.split("\r\n"):
        if line == "END":
            break
        result = line.split(" ", 2)
        if len(result) < 3:   # the exporter would panic on result[2]
            raise AssertionError(f"stats all line without a value: {line!r}")
        m[result[1]] = result[2]
    return m


def exporter_get_server_stats(conn):
    """getServerStats: `stats servers`; per line, split at the first ';': before it "STAT <server> k:v ...",
    after it the carbon results "k:v ..." (missing ones are 0)."""
    reply = conn.exchange(b"stats servers\r\n", b"END\r\n").decode()
    m = {}
    for line in reply.split("\r\n"):
        if line == "END":
            break
        result = line.split(";", 1)
        server_metrics = result[0].strip(" ").split(" ")
        responses = result[1].strip(" ").split(" ") if len(result) == 2 else []
        server_id = server_metrics[1]
        m[server_id] = {}
        for metric in server_metrics[2:]:
            kv = metric.split(":", 1)
            if len(kv) == 2:
                m[server_id][kv[0]] = kv[1]
        for state in ("deleted", "touched", "found", "notfound", "notstored", "stored", "exists", "timeout",
                      "connect_timeout", "tko", "remote_error"):
            m[server_id][state] = "0"
        for metric in responses:
            kv = metric.split(":", 1)
            if len(kv) == 2:
                m[server_id][kv[0]] = kv[1]
    return m


def exporter_parse(stats, key):
    """parse(): a missing key is 0; a value strconv.ParseFloat rejects is NaN (an error in the exporter)."""
    if key not in stats:
        return 0.0
    value = stats[key]
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?(inf|nan)", value, re.I):
        raise AssertionError(f"the exporter cannot parse {key}={value!r}")
    return float(value)


EXPORTER_OPS = ["add", "append", "cas", "decr", "flushall", "flushre", "get", "gets", "incr", "metaget", "prepend",
                "replace", "touch", "set", "delete", "lease_get", "lease_set"]


def exporter_keys():
    """Every `stats all` key the exporter's Collect reads."""
    keys = ["start_time", "version", "commandargs", "dev_null_requests", "duration_us", "fibers_allocated",
            "proxy_reqs_processing", "proxy_reqs_waiting", "config_failures", "config_last_attempt",
            "config_last_success", "num_clients", "ps_user_time_sec", "ps_system_time_sec", "ps_rss", "ps_vsize",
            "asynclog_requests"]
    for op in EXPORTER_OPS:
        keys += [f"cmd_{op}", f"cmd_{op}_count", f"cmd_{op}_out", f"cmd_{op}_out_all"]
    for op in ("error", "replied", "sent", "success"):
        keys += [f"request_{op}", f"request_{op}_count"]
    for op in ("busy", "connect_error", "connect_timeout", "data_timeout", "error", "local_error", "tko"):
        keys += [f"result_{op}", f"result_{op}_count", f"result_{op}_all", f"result_{op}_all_count"]
    keys += [f"num_servers_{s}" for s in ("closed", "down", "new", "up")]
    return keys


# telegraf's mcrouter input (plugins/inputs/mcrouter): `stats`, these names, parsed as int or float.
TELEGRAF_INT = ["uptime", "num_servers", "num_servers_new", "num_servers_up", "num_servers_down",
                "num_servers_closed", "num_clients", "num_suspect_servers", "destination_batches_sum",
                "destination_requests_sum", "outstanding_route_get_reqs_queued",
                "outstanding_route_update_reqs_queued", "outstanding_route_get_avg_queue_size",
                "outstanding_route_update_avg_queue_size", "outstanding_route_get_avg_wait_time_sec",
                "outstanding_route_update_avg_wait_time_sec", "retrans_closed_connections",
                "destination_pending_reqs", "destination_inflight_reqs", "destination_batch_size",
                "asynclog_requests", "proxy_reqs_processing", "proxy_reqs_waiting", "client_queue_notify_period",
                "ps_num_minor_faults", "ps_num_major_faults", "ps_vsize", "ps_rss", "fibers_allocated",
                "fibers_pool_size", "fibers_stack_high_watermark", "successful_client_connections", "duration_us",
                "destination_max_pending_reqs", "destination_max_inflight_reqs", "retrans_per_kbyte_max",
                "cmd_get_count", "cmd_set_count", "cmd_delete_count", "cmd_lease_get_count", "cmd_lease_set_count",
                "cmd_other_count"]
TELEGRAF_RATES = ["cmd_get", "cmd_set", "cmd_delete", "cmd_lease_get", "cmd_lease_set", "cmd_other",
                  "cmd_get_out", "cmd_set_out", "cmd_delete_out", "cmd_lease_get_out", "cmd_lease_set_out",
                  "cmd_other_out", "cmd_get_out_all", "cmd_set_out_all", "cmd_delete_out_all",
                  "cmd_lease_get_out_all", "cmd_lease_set_out_all", "cmd_other_out_all"]
TELEGRAF_FLOAT = ["rusage_system", "rusage_user", "ps_user_time_sec", "ps_system_time_sec"]


def key_of(mc, timeout=1000):
    return f"127.0.0.1:{mc.port}:ascii:plain:notcompressed-{timeout}"


@skip_without_proxy()
class StatsTest(unittest.TestCase):
    def relay(self, config, args=()):
        relay = Mcrelay(config, args=[*SHOW_ERRORS, "--enable-admin-keys", "--num-proxies", "2", *args]).start()
        self.addCleanup(relay.stop)
        self.relay_port = relay.port
        conn = Conn(relay.port, name="mcrelay", diag=relay.diag)
        self.addCleanup(conn.close)
        return relay, conn

    def pool(self, **extra):
        return {"pools": {"A": dict({"servers": [mc.address for mc in _servers]}, **extra)}, "route": "PoolRoute|A"}


class TestExporters(StatsTest):
    def test_the_exporter_reads_every_stat_it_wants_and_the_values_move(self):
        relay, c = self.relay(self.pool(), args=["-t", "800"])
        stats = exporter_get_stats(c)
        for key in exporter_keys():
            self.assertIn(key, stats, f"stats all lacks {key}, which the exporter reads")
            if key not in ("version", "commandargs"):   # labels, not numbers
                exporter_parse(stats, key)
        self.assertEqual(stats["version"], relay_version(c))
        self.assertIn("--num-proxies 2", stats["commandargs"])
        self.assertAlmostEqual(exporter_parse(stats, "start_time"), time.time() - float(stats["uptime"]), delta=3)
        before = {k: exporter_parse(stats, k) for k in ("cmd_get_count", "cmd_set_count", "cmd_delete_count",
                                                        "request_sent_count", "request_replied_count")}

        for i in range(20):
            self.assertEqual(c.exchange(b"set st:%d 0 0 1\r\nv\r\n" % i, b"\r\n"), b"STORED\r\n")
        got = c.exchange(b"get " + b" ".join(b"st:%d" % i for i in range(30)) + b"\r\n", b"END\r\n")
        self.assertEqual(got.count(b"VALUE "), 20)
        self.assertEqual(c.exchange(b"delete st:0\r\n", b"\r\n"), b"DELETED\r\n")
        stats = exporter_get_stats(c)
        after = {k: exporter_parse(stats, k) for k in before}
        self.assertEqual({k: after[k] - before[k] for k in before},
                         {"cmd_get_count": 30, "cmd_set_count": 20, "cmd_delete_count": 1,
                          "request_sent_count": 51, "request_replied_count": 51})
        # Rates: requests per second since the first sample; positive now, and at most the count.
        for rate in ("cmd_get", "cmd_set", "cmd_get_out", "cmd_set_out_all", "request_sent"):
            self.assertGreater(exporter_parse(stats, rate), 0, rate)
        self.assertEqual(exporter_parse(stats, "cmd_lease_get"), 0)
        self.assertEqual(exporter_parse(stats, "num_servers"), 4, "2 servers x 2 workers, as mcrouter counts")
        self.assertGreaterEqual(exporter_parse(stats, "num_servers_up"), 2)
        self.assertGreater(exporter_parse(stats, "ps_rss"), 1 << 20)

        # The same connection then asks for `stats servers`, as the exporter does.
        servers = exporter_get_server_stats(c)
        self.assertEqual(set(servers), {key_of(mc, 800) for mc in _servers})
        stored = found = notfound = 0
        for mc in _servers:
            s = servers[key_of(mc, 800)]
            exporter_parse(s, "avg_latency_us")
            self.assertRegex(s["avg_latency_us"], r"^\d+\.\d{3}$")
            self.assertEqual((s["pending_reqs"], s["inflight_reqs"]), ("0", "0"))
            # Differential: what mcrelay counts per server is what that server counted.
            own = mc.stats()
            self.assertEqual(int(s["stored"]), int(own["cmd_set"]), f"{mc.address}: {s} vs {own}")
            self.assertEqual(int(s["found"]), int(own["get_hits"]), mc.address)
            self.assertEqual(int(s["notfound"]), int(own["get_misses"]), mc.address)
            self.assertEqual(int(s["deleted"]), int(own["delete_hits"]), mc.address)
            stored += int(s["stored"])
            found += int(s["found"])
            notfound += int(s["notfound"])
        self.assertGreaterEqual(stored, 20)  # other tests of this module may have used the servers
        self.assertGreaterEqual((found, notfound), (20, 10))

    def test_telegraf_reads_stats(self):
        _, c = self.relay(self.pool())
        reply = c.exchange(b"stats\r\n", b"END\r\n").decode()
        lines = reply.split("\r\n")
        self.assertEqual(lines[-2:], ["END", ""])
        values = {}
        for line in lines[:-2]:
            s = line.split(" ", 2)
            self.assertTrue(len(s) == 3 and s[0] == "STAT", f"telegraf rejects the line {line!r}")
            self.assertNotIn(s[1], values, f"{s[1]} twice")
            values[s[1]] = s[2]
        for name in TELEGRAF_INT:
            self.assertIn(name, values)
            self.assertRegex(values[name], r"^-?\d+$", f"telegraf parses {name} as an integer")
        for name in TELEGRAF_RATES + TELEGRAF_FLOAT:
            self.assertIn(name, values)
            float(values[name])
        self.assertEqual(values["num_clients"], "1")
        self.assertEqual(values["cmd_stats_count"], "1", "stats counts itself, as mcrouter's does")


def relay_version(c):
    return c.exchange(b"version\r\n", b"\r\n").decode().strip()[len("VERSION "):]


class TestGroups(StatsTest):
    def test_unknown_group_version_and_count(self):
        _, c = self.relay(self.pool())
        self.assertEqual(c.exchange(b"stats bogus\r\n", b"\r\n"), b"CLIENT_ERROR bad stats command\r\n")
        self.assertEqual(c.exchange(b"stats cachedump 1 1\r\n", b"\r\n"), b"CLIENT_ERROR bad stats command\r\n")
        self.assertEqual(c.exchange(b"stats version\r\n", b"END\r\n"),
                         b"STAT mcrouter-version %s\r\nEND\r\n" % relay_version(c).encode())
        self.assertEqual(c.exchange(b"stats cmd-error\r\n", b"END\r\n"), b"END\r\n")
        count = parse_stats(c.exchange(b"stats count\r\n", b"END\r\n"))
        self.assertTrue(all(k.endswith("_count") for k in count), sorted(count))
        self.assertIn("result_error_count", count)
        detailed = parse_stats(c.exchange(b"stats detailed\r\n", b"END\r\n"))
        self.assertIn("config_last_success", detailed)
        self.assertNotIn("threads", detailed, "mcrelay's own stats are in plain stats and stats all only")

    def test_a_dead_server_is_suspect_then_tko(self):
        address = refusing_address(self)  # not a stopped memcached: a parallel test could take its port
        dead = types.SimpleNamespace(address=address, port=int(address.rsplit(":", 1)[1]))
        cfg = {"pools": {"A": {"servers": [_servers[0].address]}, "D": {"servers": [dead.address]}},
               "routes": [{"aliases": ["/a/a/"], "route": "PoolRoute|A"},
                          {"aliases": ["/d/d/"], "route": "PoolRoute|D"}]}
        _, c = self.relay(cfg, args=["-R", "/a/a/", "--timeouts-until-tko", "2"])
        self.assertEqual(c.exchange(b"stats suspect_servers\r\n", b"END\r\n"), b"END\r\n")
        self.assertRegex(c.exchange(b"get /d/d/k\r\n", b"\r\n"), rb"^SERVER_ERROR ")
        suspect = parse_stats(c.exchange(b"stats suspect_servers\r\n", b"END\r\n"))
        self.assertEqual(suspect, {key_of(dead): "status:down num_failures:1"})
        self.assertRegex(c.exchange(b"get /d/d/k\r\n", b"\r\n"), rb"^SERVER_ERROR ")
        suspect = parse_stats(c.exchange(b"stats suspect_servers\r\n", b"END\r\n"))
        self.assertEqual(suspect, {key_of(dead): "status:tko num_failures:2"})
        self.assertEqual(c.exchange(b"get /d/d/k\r\n", b"\r\n"),
                         b"SERVER_ERROR Server unavailable. Reason: connect error\r\n")
        line = parse_stats(c.exchange(b"stats servers\r\n", b"END\r\n"))[key_of(dead)]
        # Both workers' destinations are down: the server's health is shared by the workers.
        self.assertEqual(line, "avg_latency_us:0.000 pending_reqs:0 inflight_reqs:0 hard_tko;  down:2; "
                               "connect_error:2 tko:1")
        stats = parse_stats(c.exchange(b"stats all\r\n", b"END\r\n"))
        self.assertEqual((stats["num_suspect_servers"], stats["result_connect_error_count"],
                          stats["result_tko_count"], stats["result_error_count"]), ("1", "2", "1", "3"))


class TestOutstandingRequests(StatsTest):
    def test_a_request_waiting_for_a_silent_server(self):
        # mcrouter's test_server_stats: a set to a server that never answers shows as one outstanding request
        # (pending_reqs + inflight_reqs == 1) with avg_latency_us:0.000, and proxy_reqs_processing counts it.
        silent = FaultServer(lambda req: SILENT)
        self.addCleanup(silent.stop)
        _, c = self.relay({"pools": {"A": {"servers": [silent.address]}}, "route": "PoolRoute|A"},
                          args=["--server-timeout", "5000"])
        c.send(b"set test:foo 0 0 3\r\nbar\r\n")
        wait_for(lambda: silent.requests_for(b"set"), 5, "the set to reach the server")
        with Conn(self.relay_port, name="stats") as s:
            servers = parse_stats(s.exchange(b"stats servers\r\n", b"END\r\n"))
            stats = parse_stats(s.exchange(b"stats\r\n", b"END\r\n"))
        self.assertEqual(list(servers), [key_of(silent, 5000)])
        parts = servers[key_of(silent, 5000)].split(" ")
        self.assertEqual(parts[0], "avg_latency_us:0.000")
        pending, inflight = parts[1].split(":"), parts[2].split(":")
        self.assertEqual((pending[0], inflight[0]), ("pending_reqs", "inflight_reqs"))
        self.assertEqual(int(pending[1]) + int(inflight[1]), 1)
        self.assertEqual(stats["destination_inflight_reqs"], "1")
        self.assertEqual(stats["proxy_reqs_processing"], "1", "the set (stats is answered before it counts)")


class TestAcrossWorkers(StatsTest):
    """Each worker copies its own counters on its own thread; `stats` answers once every worker has.
    Its own server, so that the module's servers count only what the other tests send them."""

    @classmethod
    def setUpClass(cls):
        cls.mc = Memcached().start()

    @classmethod
    def tearDownClass(cls):
        cls.mc.__exit__(None, None, None)

    def pool(self, **extra):
        return {"pools": {"A": dict({"servers": [self.mc.address]}, **extra)}, "route": "PoolRoute|A"}

    def test_the_totals_are_the_sum_over_every_worker(self):
        relay, c = self.relay(self.pool(), args=["--num-proxies", "4"])
        clients = [Conn(relay.port, name=f"client{i}", diag=relay.diag) for i in range(8)]
        for conn in clients:
            self.addCleanup(conn.close)
        before = parse_stats(c.exchange(b"stats\r\n", b"END\r\n"))
        for i, conn in enumerate(clients):
            for j in range(5):
                self.assertEqual(conn.exchange(f"set across:{i}:{j} 0 0 1\r\nx\r\n".encode(), b"\r\n"), b"STORED\r\n")
        # Asked from every connection (so from every worker the kernel gave them to): the same totals.
        for conn in [c, *clients]:
            stats = parse_stats(conn.exchange(b"stats\r\n", b"END\r\n"))
            self.assertEqual(int(stats["cmd_set_count"]) - int(before["cmd_set_count"]), 40, stats["cmd_set_count"])
            self.assertEqual(stats["num_proxies"], "4")
            self.assertEqual(stats["num_clients"], "9")

    def test_replies_pipelined_around_stats_keep_their_order(self):
        relay, c = self.relay(self.pool(), args=["--num-proxies", "3"])
        def both_versions(buf):
            second = buf.find(b"VERSION", buf.find(b"VERSION") + 1)
            end = buf.find(b"\r\n", second) if second >= 0 else -1
            return end + 2 if end >= 0 else None
        c.send(b"version\r\nstats\r\nget nokey\r\nstats servers\r\nversion\r\n")
        text = c.read_until(both_versions, timeout=5).decode()
        first_version = text.index("VERSION")
        first_stats = text.index("STAT pid ")
        miss = text.index("END\r\nEND\r\n")  # the end of `stats`, then the empty get's END
        servers = text.index("STAT 127.0.0.1:")
        last_version = text.rindex("VERSION")
        self.assertTrue(first_version < first_stats < miss < servers < last_version, text)


class TestServerStatsThroughTheProxy(StatsTest):
    def setUp(self):
        self.relay_, self.c = self.relay(self.pool())
        for i in range(40):   # items of two slab classes on both servers
            value = b"v" * (10 if i % 2 else 300)
            self.assertEqual(self.c.exchange(b"set ss:%d 0 0 %d\r\n%s\r\n" % (i, len(value), value), b"\r\n"),
                             b"STORED\r\n")

    def direct(self, mc, group):
        with Conn(mc.port, name=f"memcached:{mc.port}") as d:
            return parse_stats(d.exchange(b"stats %s\r\n" % group.encode(), b"END\r\n"))

    def test_items_and_slabs_are_the_servers_sums(self):
        for group, summed, largest in (("items", r"items:\d+:(number|mem_requested)$",
                                        r"items:\d+:age$"),
                                       ("slabs", r"(\d+:(used_chunks|total_pages|total_chunks|cmd_set)"
                                                 r"|active_slabs|total_malloced)$", r"\d+:chunk_size$")):
            merged = parse_stats(self.c.exchange(b"stats %s\r\n" % group.encode(), b"END\r\n"))
            each = [self.direct(mc, group) for mc in _servers]
            names = set().union(*each)
            self.assertEqual(set(merged), names, group)
            checked = 0
            for name in names:
                values = [int(s[name]) for s in each if name in s]
                if re.match(summed, name):
                    self.assertEqual(int(merged[name]), sum(values), f"{group} {name}")
                    checked += 1
                elif re.match(largest, name):
                    # ages move with the clock between the two reads
                    self.assertLessEqual(abs(int(merged[name]) - max(values)), 1, f"{group} {name}")
            self.assertGreaterEqual(checked, 4, group)
        items = parse_stats(self.c.exchange(b"stats items\r\n", b"END\r\n"))
        numbers = sum(int(v) for k, v in items.items() if re.match(r"items:\d+:number$", k))
        self.assertEqual(numbers, sum(int(mc.stats()["curr_items"]) for mc in _servers))
        self.assertGreaterEqual(numbers, 40)

    def test_settings_and_one_server(self):
        merged = parse_stats(self.c.exchange(b"stats settings\r\n", b"END\r\n"))
        each = [self.direct(mc, "settings") for mc in _servers]
        self.assertEqual(int(merged["maxbytes"]), sum(int(s["maxbytes"]) for s in each))
        self.assertEqual(merged["evictions"], each[0]["evictions"])
        self.assertEqual(merged["item_size_max"], each[0]["item_size_max"])
        self.assertEqual(int(merged["tcpport"]), min(mc.port for mc in _servers))
        for mc in _servers:
            one = parse_stats(self.c.exchange(b"stats settings %s\r\n" % mc.address.encode(), b"END\r\n"))
            self.assertEqual(one, self.direct(mc, "settings"))
        self.assertEqual(self.c.exchange(b"stats settings 10.9.9.9:1\r\n", b"\r\n"),
                         b"CLIENT_ERROR no server 10.9.9.9:1 in the running config\r\n")
        sizes = self.c.exchange(b"stats sizes\r\n", b"END\r\n")
        self.assertRegex(sizes, rb"\A(STAT \S+ \S+\r\n)*END\r\n\Z")

    def test_a_dead_server_is_left_out_and_all_dead_is_an_error(self):
        dead = refusing_address(self)  # not a stopped memcached: a parallel test could take its port
        _, c = self.relay({"pools": {"A": {"servers": [_servers[0].address, dead]}}, "route": "PoolRoute|A"})
        c.exchange(b"get warm\r\n", b"\r\n")   # whichever server: the routes exist
        merged = parse_stats(c.exchange(b"stats settings\r\n", b"END\r\n"))
        self.assertEqual(merged["maxbytes"], self.direct(_servers[0], "settings")["maxbytes"])
        _, c2 = self.relay({"pools": {"D": {"servers": [dead]}}, "route": "PoolRoute|D"})
        self.assertRegex(c2.exchange(b"stats items\r\n", b"\r\n"), rb"^SERVER_ERROR ")


if __name__ == "__main__":
    unittest.main()

"""Upstream faults: what clients of mcrelay see when a memcached dies, hangs, talks garbage or hangs up in
the middle of a reply, and how mcrelay marks a server down (TKO), fails fast, probes it and brings it back.

Real memcached processes, the real binary, and Python socket servers (fault_servers.FaultServer) for the
misbehaving servers. Every request's wall time is bounded and measured; the kill/restart test prints the
time to fail fast and the recovery time.
"""

import json
import os
import re
import signal
import sys
import threading
import time
import unittest

from fault_servers import CLOSE, SILENT, FaultServer, TimedClient, healthy_answer, server_states
from mcrelay_testlib import SHOW_ERRORS, Mcrelay, Memcached, parse_value_reply, skip_without_proxy, wait_for

UNAVAILABLE_RE = re.compile(rb"\ASERVER_ERROR Server unavailable\. Reason: ([^\r\n]+)\r\n\Z")
SERVER_ERROR_RE = re.compile(rb"\ASERVER_ERROR [^\r\n]+\r\n\Z")


def pool(servers, **extra):
    p = {"servers": [s.address for s in servers]}
    p.update(extra)
    return {"pools": {"A": p}, "route": "PoolRoute|A"}


def route_of(client, key, op="get"):
    """The destinations mcrelay would use for `op key` now (`get __mcrouter__.route(op,key)`)."""
    reply, _ = client.get(f"__mcrouter__.route({op},{key})")
    items = parse_value_reply(reply)
    assert items, f"route({op},{key}) missed: {reply!r}"
    return items[0][2].decode()


def keys_by_server(client, servers, prefix, per_server=3, limit=2000):
    """{server address: [keys routed there]} with at least `per_server` keys for every server."""
    found = {s.address: [] for s in servers}
    for i in range(limit):
        key = f"{prefix}:{i}"
        dest = route_of(client, key)
        if len(found[dest]) < per_server:
            found[dest].append(key)
        if all(len(v) >= per_server for v in found.values()):
            return found
    raise AssertionError(f"could not find {per_server} keys per server among {limit}: {found}")


@skip_without_proxy()
class TestKilledServer(unittest.TestCase):
    TIMEOUT_MS = 200

    def test_memcached_killed_under_load(self):
        with Memcached() as mc, Mcrelay(pool([mc]), args=[*SHOW_ERRORS, "--enable-admin-keys", "-t", str(self.TIMEOUT_MS), "--probe-timeout-initial", "200",
                                                           "--num-proxies", "2"]) as relay:
            records = []             # (thread, op, start, end, reply) for every request
            failures = []            # hangs / closed connections (must stay empty)
            lock = threading.Lock()
            stop = threading.Event()

            def load(tid):
                try:
                    client = TimedClient(relay.port, timeout=2.0, name=f"load{tid}")
                except OSError as e:
                    failures.append(f"load{tid}: connect: {e}")
                    return
                with client:
                    i = 0
                    while not stop.is_set():
                        key = f"load:{tid}:{i % 50}"
                        value = b"v%d-%d" % (tid, i)
                        for op in ("set", "get"):
                            t0 = time.monotonic()
                            try:
                                if op == "set":
                                    reply, _ = client.set(key, value)
                                else:
                                    reply, _ = client.get(key)
                            except Exception as e:  # a hang or a closed connection
                                failures.append(f"load{tid} {op} {key} after {time.monotonic() - t0:.3f}s: {e}")
                                return
                            with lock:
                                records.append((tid, op, t0, time.monotonic(), reply))
                            # Paced (~500 requests/s per thread): the box's 2 CPUs are not saturated by the
                            # clients themselves, so the latencies measured here are mcrelay's, not the scheduler's.
                            time.sleep(0.002)
                        i += 1

            def is_ok(rec):
                _, op, _, _, reply = rec
                return reply == b"STORED\r\n" if op == "set" else (reply == b"END\r\n" or reply.startswith(b"VALUE "))

            def snapshot():
                with lock:
                    return list(records)

            # The latencies are measured in this process: keep the GIL hand-over between the client threads short.
            switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(0.0005)
            threads = [threading.Thread(target=load, args=(t,), daemon=True) for t in range(3)]
            for t in threads:
                t.start()
            try:
                wait_for(lambda: sum(1 for r in snapshot() if is_ok(r)) >= 100, 10, "100 successful requests")

                t_kill = time.monotonic()
                os.kill(mc.proc.pid, signal.SIGKILL)
                mc.proc.wait(timeout=5)

                def first_unavailable():
                    return next((r for r in snapshot() if r[2] >= t_kill and UNAVAILABLE_RE.match(r[4])), None)
                tko_rec = wait_for(first_unavailable, 5, "a fail-fast 'SERVER_ERROR Server unavailable' reply")
                t_tko_seen = tko_rec[3]
                wait_for(lambda: "marked down (TKO)" in relay.stderr_text(), 5, "the log line 'marked down (TKO)'")
                states = server_states(relay.port)
                self.assertEqual(states[mc.address]["state"], "TKO", f"stats servers while down: {states}")

                # Keep the load on while it is down: these requests must fail at once.
                time.sleep(0.4)
                t_restart_begin = time.monotonic()
                mc.start()  # same port, empty
                t_restart = time.monotonic()

                first_ok = wait_for(lambda: next((r for r in snapshot() if r[2] >= t_restart and is_ok(r)), None), 10,
                                    "a successful request after memcached restarted")
                t_recovered = first_ok[3]
                wait_for(lambda: "is back up" in relay.stderr_text(), 5, "the log line 'is back up'")
                # Every client thread gets through again.
                wait_for(lambda: {r[0] for r in snapshot() if r[2] >= t_recovered and is_ok(r)} == {0, 1, 2}, 5,
                         "all 3 client threads to succeed again")
            finally:
                stop.set()
                for t in threads:
                    t.join(timeout=5)
                sys.setswitchinterval(switch_interval)
            self.assertEqual(failures, [], f"requests hung or connections closed; mcrelay stderr:\n{relay.stderr_text(tail=3000)}")
            relay.assert_alive()

            recs = snapshot()
            slowest = max(recs, key=lambda r: r[3] - r[2])
            self.assertLess(slowest[3] - slowest[2], self.TIMEOUT_MS / 1000 + 0.3,
                            f"slowest request {slowest} exceeds -t {self.TIMEOUT_MS} ms + 300 ms slack")

            errors_after_kill = [r for r in recs if r[3] >= t_kill and not is_ok(r)]
            self.assertTrue(errors_after_kill)
            # Reconnecting to the dead port fails: those failure events answer "Connection error: ...".
            self.assertTrue(any(r[4].startswith(b"SERVER_ERROR Connection error: ") for r in errors_after_kill),
                            f"no 'SERVER_ERROR Connection error: ...' reply before the TKO: "
                            f"{sorted({r[4] for r in errors_after_kill})}")
            first_error = min(errors_after_kill, key=lambda r: r[3])
            for r in errors_after_kill:
                self.assertRegex(r[4], SERVER_ERROR_RE, f"error reply after the kill: {r}")
            time_to_first_error = first_error[3] - t_kill
            time_to_fail_fast = t_tko_seen - t_kill
            self.assertLess(time_to_first_error, self.TIMEOUT_MS / 1000 + 0.3)

            down = [r for r in recs if r[2] >= t_tko_seen and r[3] <= t_restart_begin]
            self.assertGreaterEqual(len(down), 100, "requests while the server was marked down")
            for r in down:
                self.assertRegex(r[4], UNAVAILABLE_RE, f"request while TKO: {r}")
            down_latencies = sorted(r[3] - r[2] for r in down)
            self.assertLess(down_latencies[-1], 0.050,
                            f"a request while TKO took {down_latencies[-1] * 1000:.1f} ms (must fail fast, < 50 ms)")

            recovery = t_recovered - t_restart
            self.assertLess(recovery, 5.0)
            states = server_states(relay.port)
            self.assertNotEqual(states[mc.address]["state"], "TKO", f"stats servers after recovery: {states}")

            reasons = sorted({r[4].decode().strip() for r in errors_after_kill})
            print(f"\n[faults] kill -> first error reply: {time_to_first_error * 1000:.1f} ms; "
                  f"kill -> first fail-fast (TKO) reply: {time_to_fail_fast * 1000:.1f} ms; "
                  f"{len(down)} requests while TKO: median {down_latencies[len(down_latencies) // 2] * 1000:.2f} ms, "
                  f"max {down_latencies[-1] * 1000:.2f} ms; restart -> first success (recovery): "
                  f"{recovery * 1000:.1f} ms (--probe-timeout-initial 200); error replies seen: {reasons}")


@skip_without_proxy()
class TestFastRecovery(unittest.TestCase):
    """A memcached killed and restarted on the same port is used again as soon as it accepts connections, not
    one probe interval later (-r, 3 s by default, doubling): its connects were refused while it was down, so
    mcrelay keeps trying to connect every 50..250 ms and marks it up on the first answer."""

    def test_restarted_server_is_used_again_within_a_fraction_of_a_second(self):
        with Memcached() as mc, Mcrelay(pool([mc]), args=[*SHOW_ERRORS, "--num-proxies", "2"]) as relay:
            records = []  # (start, end, ok)
            lock = threading.Lock()
            stop = threading.Event()
            failures = []

            def load():
                try:
                    with TimedClient(relay.port, timeout=2.0, name="load") as client:
                        while not stop.is_set():
                            t0 = time.monotonic()
                            reply, _ = client.get("recovery:key")
                            with lock:
                                records.append((t0, time.monotonic(), reply == b"END\r\n"))
                            time.sleep(0.001)
                except Exception as e:  # a hang or a closed connection
                    failures.append(repr(e))

            def snapshot():
                with lock:
                    return list(records)

            thread = threading.Thread(target=load, daemon=True)
            thread.start()
            try:
                wait_for(lambda: sum(1 for r in snapshot() if r[2]) >= 50, 10, "50 successful requests")
                t_kill = time.monotonic()
                os.kill(mc.proc.pid, signal.SIGKILL)
                mc.proc.wait(timeout=5)
                wait_for(lambda: "marked down (TKO)" in relay.stderr_text(), 5, "the log line 'marked down (TKO)'")
                # Down for a second: past the fast reconnects' first doublings, well before the first probe
                # (-r 3000 +-20%), which is when the server was used again before.
                time.sleep(max(0.0, t_kill + 1.0 - time.monotonic()))
                mc.start()  # same port; returns once memcached accepts connections (polled every 10 ms)
                t_accepts = time.monotonic()
                first_ok = wait_for(lambda: next((r for r in snapshot() if r[0] >= t_accepts and r[2]), None), 10,
                                    "a successful request after memcached restarted")
                wait_for(lambda: "is back up" in relay.stderr_text(), 5, "the log line 'is back up'")
                # Let the load run on past the first success, so that "every request from then on" below judges
                # requests rather than an empty list (the log line can come before any further request).
                wait_for(lambda: sum(1 for r in snapshot() if r[0] > first_ok[1]) >= 20, 5,
                         "20 requests after the first success")
            finally:
                stop.set()
                thread.join(timeout=5)
            self.assertEqual(failures, [], relay.stderr_text(tail=3000))
            recovery = first_ok[1] - t_accepts
            recs = snapshot()
            failed_while_down = sum(1 for r in recs if r[0] >= t_kill and r[1] <= t_accepts and not r[2])
            failed_after = sum(1 for r in recs if r[0] >= t_accepts and not r[2])
            print(f"\n[faults] memcached restarted on its port after {t_accepts - t_kill:.2f} s down: used again "
                  f"{recovery * 1000:.0f} ms after it accepted connections; {failed_after} requests failed in "
                  f"that time ({failed_while_down} while it was down)")
            self.assertLess(recovery, 0.6, "a restarted server must be used again well under 1 s after it accepts "
                                           "connections (the first probe used to come 2.4 to 3.6 s after the kill)")
            # Every request from then on succeeds.
            after = [r for r in recs if r[0] > first_ok[1]]
            self.assertTrue(after and all(r[2] for r in after), f"{sum(1 for r in after if not r[2])} failed after "
                                                                 f"the first success")
            relay.assert_alive()


@skip_without_proxy()
class TestMisbehavingServers(unittest.TestCase):
    def setUp(self):
        self.mc = Memcached().start()
        self.addCleanup(self.mc.__exit__, None, None, None)

    def start_relay(self, fault, *args):
        relay = Mcrelay(pool([fault, self.mc]), args=[*SHOW_ERRORS, "--enable-admin-keys", "--num-proxies", "1", *args]).start()
        self.addCleanup(relay.stop)
        client = TimedClient(relay.port, timeout=5.0, name="client")
        self.addCleanup(client.close)
        keys = keys_by_server(client, [fault, self.mc], prefix=f"k{fault.port}", per_server=8)
        return relay, client, keys[fault.address], keys[self.mc.address]

    def assert_healthy_server_works(self, client, key, tag):
        value = f"{tag}-{time.monotonic_ns()}".encode()
        reply, took = client.set(key, value)
        self.assertEqual(reply, b"STORED\r\n", f"set {key} on the healthy memcached ({tag})")
        reply, took2 = client.get(key)
        self.assertEqual(reply, b"VALUE %s 0 %d\r\n%s\r\nEND\r\n" % (key.encode(), len(value), value))
        return max(took, took2)

    def test_server_that_never_answers(self):
        timeout_ms = 300
        with FaultServer(lambda req: SILENT) as silent:
            relay, client, silent_keys, good_keys = self.start_relay(
                silent, "-t", str(timeout_ms), "--timeouts-until-tko", "3", "--probe-timeout-initial", "60000")

            # 1. One request to the silent server; meanwhile (same worker) the healthy server keeps answering.
            result = {}

            def slow():
                with TimedClient(relay.port, timeout=5.0, name="silent-key client") as c:
                    result["start"] = time.monotonic()
                    result["reply"], result["took"] = c.get(silent_keys[0])
                    result["end"] = time.monotonic()
            t = threading.Thread(target=slow, daemon=True)
            t.start()
            wait_for(lambda: silent.requests_for(b"get"), 5, "the silent server to receive the get")
            healthy = []
            while "end" not in result and len(healthy) < 10000:
                healthy.append((time.monotonic(), self.assert_healthy_server_works(client, good_keys[len(healthy) % 8], "during")))
            t.join(timeout=5)
            self.assertEqual(result.get("reply"), b"SERVER_ERROR Reply timeout\r\n",
                             f"get on a silent server; stderr:\n{relay.stderr_text(tail=2000)}")
            self.assertGreaterEqual(result["took"], timeout_ms / 1000 - 0.02)
            self.assertLess(result["took"], timeout_ms / 1000 + 0.3, "Reply timeout must come within -t + 300 ms")
            during = [took for ts, took in healthy if ts < result["end"]]
            self.assertGreaterEqual(len(during), 5, "healthy requests while the silent one was pending")
            self.assertLess(max(during), 0.1, f"healthy-server latency while another key hangs: {max(during):.3f}s")
            wait_for(lambda: silent.peer_closed >= 1, 5, "mcrelay to reset its connection to the silent server")

            # 2. Five requests pending on one connection time out together: ONE failure event (not five).
            with TimedClient(relay.port, timeout=5.0, name="pipeline") as c:
                t0 = time.monotonic()
                c.sock.sendall(b"".join(b"get %s\r\n" % k.encode() for k in silent_keys[:5]))
                replies = [c.read_reply(retrieval=True, deadline=t0 + 5) for _ in range(5)]
                took = time.monotonic() - t0
            self.assertEqual(replies, [b"SERVER_ERROR Reply timeout\r\n"] * 5)
            self.assertLess(took, timeout_ms / 1000 + 0.3)
            states = server_states(relay.port)
            self.assertNotEqual(states[silent.address]["state"], "TKO",
                                f"2 failure events (< --timeouts-until-tko 3) must not mark it down: {states}")

            # 3. The third event marks it down: then requests fail at once, for every key of that server.
            reply, took = client.get(silent_keys[5])
            self.assertEqual(reply, b"SERVER_ERROR Reply timeout\r\n")
            wait_for(lambda: "marked down (TKO)" in relay.stderr_text(), 5, "the log line 'marked down (TKO)'")
            for key in silent_keys[5:8]:
                reply, took = client.get(key)
                self.assertEqual(reply, b"SERVER_ERROR Server unavailable. Reason: reply timeout\r\n")
                self.assertLess(took, 0.05, "a down server's requests fail fast")
            self.assertEqual(server_states(relay.port)[silent.address]["state"], "TKO")
            self.assert_healthy_server_works(client, good_keys[0], "after TKO")
            relay.assert_alive()

    def test_probe_schedule_doubles_up_to_the_max(self):
        # A silent server, marked down after one timeout; it is probed with `version` after
        # --probe-timeout-initial, then after intervals that double up to --probe-timeout-max (+-20% jitter);
        # each probe waits -t for its answer. Once it answers a probe, it is up again.
        timeout_ms, initial_ms, max_ms = 100, 200, 800
        answering = threading.Event()

        def behaviour(req):
            return healthy_answer(req) if answering.is_set() else SILENT

        with FaultServer(behaviour) as srv:
            relay, client, srv_keys, good_keys = self.start_relay(
                srv, "-t", str(timeout_ms), "--timeouts-until-tko", "1", "--probe-timeout-initial", str(initial_ms),
                "--probe-timeout-max", str(max_ms))
            reply, _ = client.get(srv_keys[0])
            t_down = time.monotonic()
            self.assertEqual(reply, b"SERVER_ERROR Reply timeout\r\n")
            reply, took = client.get(srv_keys[1])
            self.assertEqual(reply, b"SERVER_ERROR Server unavailable. Reason: reply timeout\r\n")
            self.assertLess(took, 0.05)
            wait_for(lambda: len(srv.requests_for(b"version")) >= 5, 6, "5 probes of the down server", interval=0.02)
            probes = [r.time for r in srv.requests_for(b"version")][:5]
            answering.set()
            wait_for(lambda: "is back up" in relay.stderr_text(), 3, "the log line 'is back up'")
            reply, _ = client.get(srv_keys[1])
            self.assertEqual(reply, b"END\r\n", "requests reach the server again once it answered a probe")
            self.assertNotEqual(server_states(relay.port)[srv.address]["state"], "TKO")

            gaps = [probes[0] - t_down] + [b - a for a, b in zip(probes, probes[1:])]
            delays = [initial_ms] + [min(initial_ms * 2 ** k, max_ms) for k in range(1, 5)]
            print(f"\n[faults] probe gaps (ms): {[round(g * 1000) for g in gaps]}; expected delays {delays} "
                  f"(+-20%) plus -t {timeout_ms} after the first")
            for i, (gap, delay) in enumerate(zip(gaps, delays)):
                expected = delay / 1000 + (timeout_ms / 1000 if i else 0)  # a failed probe waited -t first
                low = expected - 0.2 * delay / 1000 - 0.03
                high = expected + 0.2 * delay / 1000 + 0.1
                self.assertTrue(low <= gap <= high, f"probe {i + 1} came {gap * 1000:.0f} ms after the previous "
                                f"event; expected {low * 1000:.0f}..{high * 1000:.0f} ms (all gaps: "
                                f"{[round(g * 1000) for g in gaps]})")
            relay.assert_alive()

    def test_a_server_removed_from_the_config_is_no_longer_probed(self):
        with FaultServer(lambda req: SILENT) as srv:
            relay, client, srv_keys, _ = self.start_relay(
                srv, "-t", "100", "--timeouts-until-tko", "1", "--probe-timeout-initial", "100",
                "--probe-timeout-max", "200")
            self.assertEqual(client.get(srv_keys[0])[0], b"SERVER_ERROR Reply timeout\r\n")
            wait_for(lambda: len(srv.requests_for(b"version")) >= 2, 5, "the down server to be probed")
            # The new config names the healthy memcached only: the probes stop.
            with open(relay.config_path, "w") as f:
                f.write(json.dumps(pool([self.mc])))
            relay.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: "config reloaded" in relay.stderr_text(), 5, "the reload")
            time.sleep(0.4)  # a probe in flight at the reload may still arrive
            probes = len(srv.requests_for(b"version"))
            time.sleep(1.0)  # 5 probe intervals at -t 100 + 200 ms
            self.assertEqual(len(srv.requests_for(b"version")), probes, "probes went on after the reload")
            # Its counters stay in `stats servers` (they are history), but it is no longer reported down.
            self.assertNotEqual(server_states(relay.port)[srv.address]["state"], "TKO")
            relay.assert_alive()

    def test_server_that_answers_garbage(self):
        self.check_garbage([b"HELLO\r\n", b"VALUE %s 0 notanumber\r\n", b"\x00\xff\xfe\x01junk\r\n", b"STORED\r\n",
                            b"VALUE %s 0 5\r\nabc\r\nEND\r\n"])

    def test_server_that_answers_a_key_not_asked_for(self):
        # A single-key get answered with another key's item: the reply does not belong to the request, so
        # the client must get an error (not a miss), and the connection must be reset.
        self.check_garbage([b"VALUE otherkey 0 1\r\nx\r\nEND\r\n"])

    def check_garbage(self, garbage):
        answers = {}

        def behaviour(req):
            if req.cmd == b"get":
                g = answers.get(req.conn_no, b"HELLO\r\n")
                return g.replace(b"%s", req.key)
            return healthy_answer(req)

        with FaultServer(behaviour) as bad:
            relay, client, bad_keys, good_keys = self.start_relay(bad, "-t", "1000")
            seen = set()
            for i, g in enumerate(garbage * 2):
                answers[bad.accepted + 1] = g  # the next connection mcrelay makes gets this answer
                reply, took = client.get(bad_keys[i % 8])
                seen.add(reply)
                self.assertRegex(reply, SERVER_ERROR_RE, f"get answered with {g!r}; stderr:\n{relay.stderr_text(tail=2000)}")
                self.assertNotRegex(reply, UNAVAILABLE_RE,
                                    "a protocol error is not a failure event: the server must not be marked down")
                self.assertLess(took, 0.5, f"garbage {g!r} must be detected at once, not by the reply timeout")
                wait_for(lambda: bad.peer_closed >= i + 1, 5, f"mcrelay to reset the connection after {g!r}")
                self.assert_healthy_server_works(client, good_keys[i % 8], f"after garbage {i}")
            self.assertEqual(bad.accepted, len(garbage) * 2, "one fresh upstream connection per garbage reply")
            self.assertNotEqual(server_states(relay.port)[bad.address]["state"], "TKO")
            # The server behaves again: mcrelay uses it normally.
            answers.clear()
            bad.behaviour = healthy_answer
            reply, _ = client.get(bad_keys[0])
            self.assertEqual(reply, b"END\r\n")
            reply, _ = client.set(bad_keys[1], b"x")
            self.assertEqual(reply, b"STORED\r\n")
            relay.assert_alive()
            print(f"\n[faults] garbage replies -> client saw {sorted(seen)}")

    def test_server_that_closes_mid_reply(self):
        def behaviour(req):
            if req.conn_no == 1 and req.cmd == b"get":
                return (b"VALUE %s 0 10\r\nabc" % req.key, CLOSE)
            if req.conn_no == 2 and req.cmd == b"get":
                return CLOSE  # closes without a byte
            return healthy_answer(req)

        with FaultServer(behaviour) as bad:
            relay, client, bad_keys, good_keys = self.start_relay(bad, "-t", "1000")
            reply, took = client.get(bad_keys[0])
            print(f"\n[faults] upstream closed mid-value -> client saw {reply!r}")
            self.assertRegex(reply, SERVER_ERROR_RE, f"get cut mid-value; stderr:\n{relay.stderr_text(tail=2000)}")
            self.assertLess(took, 0.5, "a closed upstream must be noticed at once, not by the reply timeout")
            self.assert_healthy_server_works(client, good_keys[0], "after the cut")
            reply, took = client.get(bad_keys[1])
            self.assertRegex(reply, SERVER_ERROR_RE, "get whose connection closes without a reply")
            self.assertLess(took, 0.5)
            # Connection 3 behaves: mcrelay reconnects and the same keys work.
            reply, _ = client.get(bad_keys[0])
            self.assertEqual(reply, b"END\r\n", "after reconnecting to the recovered server")
            reply, _ = client.set(bad_keys[2], b"abcdefghij")
            self.assertEqual(reply, b"STORED\r\n")
            self.assertEqual(bad.accepted, 3)
            self.assert_healthy_server_works(client, good_keys[1], "at the end")
            relay.assert_alive()


@skip_without_proxy()
class TestEjectDownServers(unittest.TestCase):
    def test_eject_down_servers_rehashes_only_the_dead_servers_keys(self):
        with Memcached() as m0, Memcached() as m1, Memcached() as m2:
            servers = [m0, m1, m2]
            config = pool(servers, eject_down_servers=True)
            with Mcrelay(config, args=[*SHOW_ERRORS, "--enable-admin-keys", "--num-proxies", "2", "--probe-timeout-initial", "60000"]) as relay, \
                    TimedClient(relay.port, name="client") as c:
                keys = [f"eject:{i}" for i in range(90)]
                before = {k: route_of(c, k) for k in keys}
                by_server = {s.address: [k for k in keys if before[k] == s.address] for s in servers}
                for s in servers:
                    self.assertGreaterEqual(len(by_server[s.address]), 10, f"keys on {s.address}")
                for k in keys:
                    self.assertEqual(c.set(k, b"before")[0], b"STORED\r\n")

                os.kill(m1.proc.pid, signal.SIGKILL)
                m1.proc.wait(timeout=5)
                dead = m1.address

                # Requests for the dead server's keys fail (connect errors) until it is marked down.
                def is_down():
                    c.set(by_server[dead][0], b"probe")
                    return server_states(relay.port)[dead]["state"] == "TKO"
                wait_for(is_down, 10, f"{dead} to be marked down", interval=0.02)

                after = {k: route_of(c, k) for k in keys}
                for k in keys:
                    if before[k] != dead:
                        self.assertEqual(after[k], before[k], f"{k} hashes to a live server: it must not move")
                    else:
                        self.assertIn(after[k], (m0.address, m2.address), f"{k} of the dead server must be rehashed")
                moved_to = {after[k] for k in by_server[dead]}
                for k in keys:
                    reply, took = c.set(k, b"after-" + k.encode())
                    self.assertEqual(reply, b"STORED\r\n", f"set {k} after the ejection")
                    self.assertLess(took, 0.1)
                for k in keys:
                    reply, _ = c.get(k)
                    value = b"after-" + k.encode()
                    self.assertEqual(reply, b"VALUE %s 0 %d\r\n%s\r\nEND\r\n" % (k.encode(), len(value), value))
                # The values are where the routes say (asked directly).
                live = {m0.address: m0, m2.address: m2}
                for k in keys:
                    with TimedClient(live[after[k]].port, name=f"memcached {after[k]}") as direct:
                        reply, _ = direct.get(k)
                    self.assertEqual(parse_value_reply(reply)[0][2], b"after-" + k.encode(), k)
                relay.assert_alive()
                print(f"\n[faults] eject_down_servers: {len(by_server[dead])} keys of {dead} rehashed onto "
                      f"{sorted(moved_to)}; {len(keys) - len(by_server[dead])} keys of live servers unmoved")


if __name__ == "__main__":
    unittest.main()

"""Graceful shutdown: SIGTERM under load stops accepting, lets in-flight requests finish (bounded by
--drain-timeout-ms), closes connections and exits 0; /readyz answers 503 "draining" meanwhile; no write that
was acknowledged (STORED) is lost; a second SIGTERM stops at once.

Requests are kept in flight by a DelayProxy (fault_servers) in front of a real memcached (every request is
held 150 ms on its way to memcached), or by a FaultServer that never answers.
"""

import signal
import socket
import threading
import time
import unittest
import uuid

from fault_servers import SILENT, DelayProxy, FaultServer, TimedClient, admin_port, http_get
from mcrelay_testlib import Conn, Mcrelay, Memcached, parse_value_reply, pool_config, skip_without_proxy, wait_for

ADMIN_ARGS = ["--admin-port", "0", "--admin-address", "127.0.0.1"]


def reap(relay):
    """Release the harness's hold on an mcrelay that has exited on its own (after a SIGTERM the test sent):
    Mcrelay.stop() reports such an exit as an AssertionError, which is expected here."""
    assert not relay.is_alive()
    try:
        relay.stop()
    except AssertionError:
        pass


def connect_refused(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


def wait_for_readyz_draining(relay, port, timeout=2.0):
    """Poll /readyz from the moment the signal was sent until it says 503 (the signal is handled
    asynchronously, so the first answers may still be 200). Fails if mcrelay exits first."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        if not relay.is_alive():
            raise AssertionError(f"mcrelay exited before /readyz reported draining; answers seen: {seen}")
        try:
            status, body = http_get(port, "/readyz", timeout=1.0)
        except OSError as e:
            seen.append(repr(e))
            continue
        seen.append((status, body))
        if status == 503:
            return status, body, seen
    raise AssertionError(f"/readyz did not answer 503 within {timeout}s of SIGTERM; answers: {seen[-5:]}")


@skip_without_proxy()
class TestShutdown(unittest.TestCase):
    def test_sigterm_under_load_loses_no_acknowledged_write(self):
        drain_ms = 3000
        with Memcached() as mc, DelayProxy(mc.port, delay=0.15) as slow:
            relay = Mcrelay(pool_config([slow.address]),
                            args=["--num-proxies", "2", "-t", "2000", "--drain-timeout-ms", str(drain_ms), *ADMIN_ARGS])
            relay.start()
            self.addCleanup(lambda: relay.is_alive() and relay.stop())
            admin = admin_port(relay)
            self.assertEqual(http_get(admin, "/readyz"), (200, b"ready\n"))

            acked = {}           # key -> value, for every set answered STORED
            ack_times = []
            other_replies = []
            endings = {}         # thread -> how its connection ended
            lock = threading.Lock()
            run_tag = uuid.uuid4().hex[:8]

            def writer(tid):
                try:
                    sock = socket.create_connection(("127.0.0.1", relay.port), timeout=5)
                except OSError as e:
                    endings[tid] = f"connect failed: {e}"
                    return
                sock.settimeout(5)
                buf = b""
                n = 0
                try:
                    while True:
                        batch = []
                        for _ in range(10):
                            key = f"drain:{run_tag}:{tid}:{n}"
                            value = f"{tid}-{n}-{uuid.uuid4().hex}".encode()
                            batch.append((key, value))
                            n += 1
                        try:
                            sock.sendall(b"".join(b"set %s 0 0 %d\r\n%s\r\n" % (k.encode(), len(v), v) for k, v in batch))
                        except (BrokenPipeError, ConnectionResetError) as e:
                            endings[tid] = f"send: {e.__class__.__name__}"
                            return
                        for key, value in batch:
                            while b"\r\n" not in buf:
                                try:
                                    chunk = sock.recv(65536)
                                except ConnectionResetError:
                                    chunk = b""
                                except socket.timeout:
                                    endings[tid] = "HANG: no reply within 5 s"
                                    return
                                if not chunk:
                                    endings[tid] = "closed"
                                    return
                                buf += chunk
                            line, buf = buf.split(b"\r\n", 1)
                            with lock:
                                if line == b"STORED":
                                    acked[key] = value
                                    ack_times.append(time.monotonic())
                                else:
                                    other_replies.append((key, line))
                finally:
                    sock.close()

            idle = Conn(relay.port, name="idle client", diag=relay.diag)
            self.addCleanup(idle.close)
            self.assertEqual(idle.request(b"get nothing\r\n"), b"END\r\n")
            threads = [threading.Thread(target=writer, args=(t,), daemon=True) for t in range(8)]
            for t in threads:
                t.start()
            wait_for(lambda: len(acked) >= 300, 15, "300 acknowledged sets before the signal")

            t_sig = time.monotonic()
            relay.proc.send_signal(signal.SIGTERM)
            status, body, seen = wait_for_readyz_draining(relay, admin)
            t_ready503 = time.monotonic() - t_sig
            # Each worker closes its own acceptor when its loop takes the drain (the workers are busy with the
            # writers here), so a connect in the first moments may still reach a worker that has not: the
            # listeners must all be closed within a short bound, not at the instant /readyz turns 503.
            refused, deadline = False, time.monotonic() + 1.0
            while not refused and time.monotonic() < deadline and relay.is_alive():
                refused = connect_refused(relay.port)
                if not refused:
                    time.sleep(0.02)
            alive_when_refused = relay.is_alive()
            try:
                code = relay.proc.wait(timeout=drain_ms / 1000 + 3)
            except Exception:
                raise AssertionError(f"mcrelay still running {drain_ms / 1000 + 3}s after SIGTERM "
                                     f"(--drain-timeout-ms {drain_ms})\n{relay.stderr_text(tail=3000)}")
            exit_after = time.monotonic() - t_sig
            for t in threads:
                t.join(timeout=10)
            idle_end = idle.read_until_closed(timeout=2)
            stderr = relay.stderr_text()
            reap(relay)

            self.assertEqual(code, 0, f"exit code after SIGTERM; stderr:\n{stderr[-3000:]}")
            self.assertEqual((status, body), (503, b"draining\n"), f"/readyz during the drain: {seen}")
            if alive_when_refused:
                self.assertTrue(refused, "a new connection during the drain must be refused (listeners closed within 1 s)")
            self.assertEqual(idle_end, b"", "the idle client's connection is closed without a reply")
            self.assertLess(exit_after, drain_ms / 1000 + 1)
            self.assertEqual(sorted(endings), list(range(8)), f"writer threads still running: {endings}")
            hangs = {t: e for t, e in endings.items() if "HANG" in e or "connect" in e}
            self.assertEqual(hangs, {}, f"writers that hung: {hangs}\n{stderr[-3000:]}")
            self.assertIn("draining", stderr)
            self.assertIn("stopped", stderr)
            acks_during_drain = sum(1 for t in ack_times if t > t_sig)
            self.assertGreater(acks_during_drain, 0, "requests in flight at SIGTERM must be answered")

            # No acknowledged write lost: read memcached directly.
            missing, wrong = [], []
            keys = sorted(acked)
            with Conn(mc.port, name="memcached direct") as direct:
                for i in range(0, len(keys), 100):
                    chunk = keys[i:i + 100]
                    reply = direct.exchange(b"get %s\r\n" % b" ".join(k.encode() for k in chunk), terminator=b"END\r\n")
                    items = {k.decode(): v for k, _, v, _ in parse_value_reply(reply)}
                    for k in chunk:
                        if k not in items:
                            missing.append(k)
                        elif items[k] != acked[k]:
                            wrong.append((k, items[k], acked[k]))
            print(f"\n[shutdown] {len(acked)} acknowledged sets ({acks_during_drain} answered after SIGTERM), "
                  f"{len(other_replies)} other replies {sorted({r for _, r in other_replies})[:3]}; /readyz 503 "
                  f"{t_ready503 * 1000:.0f} ms after SIGTERM; exit code {code} after {exit_after * 1000:.0f} ms; "
                  f"writers ended: {sorted(set(endings.values()))}")
            self.assertEqual(missing, [], f"{len(missing)} acknowledged writes missing from memcached")
            self.assertEqual(wrong, [], "acknowledged writes with another value in memcached")

    def start_silent(self, drain_ms):
        silent = FaultServer(lambda req: SILENT)
        self.addCleanup(silent.stop)
        relay = Mcrelay(pool_config([silent.address]),
                        args=["--num-proxies", "1", "-t", "30000", "--drain-timeout-ms", str(drain_ms), *ADMIN_ARGS])
        relay.start()
        self.addCleanup(lambda: relay.is_alive() and relay.stop())
        admin = admin_port(relay)
        client = TimedClient(relay.port, timeout=30, name="in-flight client")
        self.addCleanup(client.close)
        client.sock.sendall(b"get never:answered\r\n")
        wait_for(lambda: silent.requests_for(b"get"), 5, "the request to reach the silent server")
        return relay, admin, client

    def test_drain_timeout_bounds_the_shutdown(self):
        drain_ms = 1000
        relay, admin, client = self.start_silent(drain_ms)
        t_sig = time.monotonic()
        relay.proc.send_signal(signal.SIGTERM)
        status, body, seen = wait_for_readyz_draining(relay, admin)
        self.assertEqual((status, body), (503, b"draining\n"))
        # Each worker closes its acceptor when its own loop takes the drain: refused within a short bound.
        refused, deadline = connect_refused(relay.port), time.monotonic() + 1.0
        while not refused and time.monotonic() < deadline:
            time.sleep(0.02)
            refused = connect_refused(relay.port)
        self.assertTrue(refused, "new connections during the drain must be refused (within 1 s)")
        self.assertTrue(relay.is_alive(), "the drain must wait for the in-flight request (up to the drain timeout)")
        try:
            code = relay.proc.wait(timeout=drain_ms / 1000 + 3)
        except Exception:
            raise AssertionError(f"mcrelay still running {drain_ms / 1000 + 3}s after SIGTERM\n{relay.stderr_text(tail=3000)}")
        took = time.monotonic() - t_sig
        stderr = relay.stderr_text()
        reap(relay)
        client.sock.settimeout(2)
        try:
            rest = client.sock.recv(1000)
        except ConnectionResetError:
            rest = b""
        print(f"\n[shutdown] in-flight request that never completes: exit code {code} {took * 1000:.0f} ms after "
              f"SIGTERM (--drain-timeout-ms {drain_ms}); the client got {rest!r}")
        self.assertEqual(code, 0, stderr[-3000:])
        self.assertGreaterEqual(took, drain_ms / 1000 - 0.05, "exited before the drain timeout")
        self.assertLess(took, drain_ms / 1000 + 1.0, "the drain timeout must bound the shutdown")
        self.assertIn("drain timeout", stderr)
        self.assertNotIn(b"VALUE", rest)

    def test_second_sigterm_stops_at_once(self):
        relay, admin, client = self.start_silent(drain_ms=20000)
        relay.proc.send_signal(signal.SIGTERM)
        wait_for_readyz_draining(relay, admin)
        time.sleep(0.3)
        self.assertTrue(relay.is_alive(), "draining: waits for the in-flight request")
        t_second = time.monotonic()
        relay.proc.send_signal(signal.SIGTERM)
        try:
            code = relay.proc.wait(timeout=2)
        except Exception:
            raise AssertionError(f"a second SIGTERM did not stop mcrelay within 2 s\n{relay.stderr_text(tail=3000)}")
        took = time.monotonic() - t_second
        stderr = relay.stderr_text()
        reap(relay)
        print(f"\n[shutdown] second SIGTERM: exit code {code} after {took * 1000:.0f} ms")
        self.assertGreaterEqual(code, 0, f"killed by signal {-code}: {stderr[-3000:]}")
        self.assertLess(took, 1.0)
        self.assertIn("second signal", stderr)

    def test_idle_connections_close_at_once(self):
        with Memcached() as mc:
            relay = Mcrelay(pool_config([mc]), args=["--num-proxies", "2", "--drain-timeout-ms", "5000"])
            relay.start()
            self.addCleanup(lambda: relay.is_alive() and relay.stop())
            conns = [Conn(relay.port, name=f"idle{i}", diag=relay.diag) for i in range(6)]
            for c in conns:
                self.addCleanup(c.close)
                self.assertEqual(c.request(b"get x\r\n"), b"END\r\n")
            t_sig = time.monotonic()
            relay.proc.send_signal(signal.SIGTERM)
            for c in conns:
                self.assertEqual(c.read_until_closed(timeout=2), b"", "an idle client is closed without a reply")
            code = relay.proc.wait(timeout=3)
            took = time.monotonic() - t_sig
            reap(relay)
            self.assertEqual(code, 0)
            self.assertLess(took, 1.0, "with nothing in flight, shutdown does not wait for the drain timeout")


if __name__ == "__main__":
    unittest.main()

"""mcrouter's command lines, run by mcrelay: an mcrouter user swaps the binary and keeps the command line.

Every command line below was collected from mcrouter's own tests and wiki, the Helm chart and public
deployments (the source is cited on each); only ports and paths are rewritten to this test's real memcached,
temporary files and free ports. Each one must start AND serve a set/get. Then the start-up and exit
behaviour: options without effect are named in one warning line, refused ones exit 2, a typo exits 2 with a
suggestion, a port another process listens on is an error, -L's file is reopened after logrotate renamed it
(SIGHUP, SIGUSR2), --validate-config=run serves, --listen-sock-fd serves on an inherited socket, and a config
that does not load gets mcrouter's words and exit status.
"""

import json
import os
import shlex
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from mcrelay_testlib import MCRELAY_BIN, STANDIN, Memcached, _die_with_parent, free_port, skip_without_proxy, wait_for

STARTUP = 10.0
_mc = None


def setUpModule():
    global _mc
    if STANDIN:
        return
    _mc = Memcached().start()


def tearDownModule():
    if _mc is not None:
        _mc.__exit__(None, None, None)


def pool_json(prefix_routes=None):
    servers = [_mc.address]
    if prefix_routes:
        return {"pools": {"A": {"servers": servers}},
                "routes": [{"aliases": list(prefix_routes), "route": "PoolRoute|A"}]}
    return {"pools": {"A": {"servers": servers}}, "route": "PoolRoute|A"}


def set_get(port, host="127.0.0.1", key=None):
    """A set then a get through the proxy; returns the get's reply (bytes)."""
    key = key or f"cmdline-{port}-{time.monotonic_ns()}"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect((host, port))
        s.sendall(f"set {key} 0 0 5\r\nhello\r\n".encode())
        buf = b""
        while not buf.endswith(b"\r\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        if buf != b"STORED\r\n":
            return buf
        s.sendall(f"get {key}\r\n".encode())
        buf = b""
        while not buf.endswith(b"END\r\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        return buf


def read(path):
    """The text of `path`, or "" when it does not exist (yet)."""
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def accepting(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Run:
    """One mcrelay process from an mcrouter command line (a list of arguments, binary excluded)."""

    def __init__(self, args, pass_fds=()):
        self.args = list(args)
        self.err = tempfile.NamedTemporaryFile(prefix="mcrelay-cmdline-", suffix=".stderr", delete=False)
        self.proc = subprocess.Popen([MCRELAY_BIN, *self.args], stdin=subprocess.DEVNULL, stdout=self.err,
                                     stderr=self.err, pass_fds=pass_fds, preexec_fn=_die_with_parent)

    def stderr(self):
        with open(self.err.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_serving(self, port, host="127.0.0.1"):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"mcrelay exited with {self.proc.returncode}\n  args: {shlex.join(self.args)}"
                                     f"\n  stderr:\n{self.stderr()}")
            return accepting(port, host)
        wait_for(ready, STARTUP, f"mcrelay to accept on {host}:{port} ({shlex.join(self.args)})")

    def wait_exit(self, timeout=STARTUP):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"mcrelay did not exit\n  args: {shlex.join(self.args)}\n  stderr:\n{self.stderr()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        code = self.wait_exit()
        self.err.close()
        os.unlink(self.err.name)
        return code


class TempDir:
    def __init__(self):
        self.td = tempfile.TemporaryDirectory(prefix="mcrelay-cmdline-")
        self.path = self.td.name

    def file(self, name, content=None):
        path = os.path.join(self.path, name)
        if content is not None:
            with open(path, "w") as f:
                f.write(content if isinstance(content, str) else json.dumps(content))
        return path

    def dir(self, name):
        path = os.path.join(self.path, name)
        os.makedirs(path, exist_ok=True)
        return path


def listen_socket(family=socket.AF_INET, bind=True):
    s = socket.socket(family, socket.SOCK_STREAM)
    if bind:
        s.bind(("127.0.0.1", 0) if family == socket.AF_INET else ("::1", 0))
    s.listen(100)  # an unbound socket is given a free port by listen(2), as mcrouter's test harness does
    return s


# Each entry: (source, argv template). Placeholders: {port} {port2} {port3} {config} (a JSON file with one pool
# in front of the test's memcached) {config_json} (the same, inline) {log} {logdir} {spool} {stats}.
# "-p {port}" as ONE argument is the Helm chart's way (YAML list item "- -p 5000").
COMMAND_LINES = [
    # facebook/mcrouter wiki, Home ("Quick start"); [::1]:5001 -> the test's memcached
    ("mcrouter wiki Home: quick start",
     ["--config-str={config_json}", "-p", "{port}"]),
    # docker-compose (quay.io/dev25/mcrouter image): mcrouter --config-str='...' -p 5000
    ("docker-compose with mcrouter_exporter", ["--config-str", "{config_json}", "-p", "{port}"]),
    # helm/charts stable/mcrouter/templates/daemonset.yaml (and statefulset.yaml)
    ("helm/charts stable/mcrouter daemonset.yaml", ["-p {port}", "--config-file={config}"]),
    # a newer mcrouter Helm chart template: "- -p {{ .Values.port }}", "- --config-file=...", extraArgs quoted
    ("mcrouter Helm chart with extraArgs", ["-p {port}", "--config-file={config}", "--num-proxies", "2"]),
    # Terraform kubernetes_deployment: args = ["-p 5000", "--config-file=/etc/mcrouter/config.json"]
    ("terraform kubernetes_deployment", ["-p {port}", "--config-file={config}"]),
    # Go Kubernetes operator (memcached proxy): "-p", port, "--config-file=/etc/mcrouter/config.json"
    ("k8s operator Go PodSpec", ["-p", "{port}", "--config-file={config}"]),
    # the same operator, later: async delete log disabled, stats root from the spec
    ("k8s operator Go PodSpec with stats", ["-p", "{port}", "--config-file={config}", "--asynclog-disable",
                                            "--stats-root={stats}"]),
    # Kubernetes DaemonSet in a blog post: --port, --route-prefix and --send-invalid-route-to-default
    ("k8s DaemonSet with routing prefix", ["--port={port}", "--config-file={config_prefix}",
                                           "--route-prefix=/default/local/", "--send-invalid-route-to-default"]),
    # systemd EnvironmentFile: MCROUTER_OPTS="-p 5000 --config-file=/etc/mcrouter/config.json" (word-split)
    ("systemd /etc/default/mcrouter", shlex.split("-p {port} --config-file={config}")),
    # Docker entrypoint script: mcrouter --config file:${CONFIG_PATH} -p "${MCROUTER_LISTEN_PORT:-5000}"
    ("docker entrypoint run_mcrouter", ["--config", "file:{config}", "-p", "{port}"]),
    # docker-compose behind haproxy: mcrouter --config-str='...' -p 11311
    ("docker-compose haproxy", ["--config-str={config_json}", "-p", "{port}"]),
    # SaltStack pillar run_args, with -p from the pillar's port
    ("salt pillar run_args", ["-p", "{port}", "--config-file={config}", "--num-proxies=8",
                              "--fibers-max-pool-size=1024", "--keepalive-count=100",
                              "--max-client-outstanding-reqs=8192", "--proxy-max-inflight-requests=8192",
                              "--connection-limit=8192"]),
    # A migration guide's "mcrouter Startup" (log path is a directory there: logging stays on stderr)
    ("migration guide mcrouter startup", ["--port", "{port}", "--config-file={config}", "--num-proxies=4",
                                          "--fibers-max-pool-size=1024", "--server-timeout=500",
                                          "--reset-inactive-connection-interval=60000", "--stats-root={stats}",
                                          "--stats-logging-interval=60", "--log-path={logdir}/"]),
    # facebook/mcrouter mcrouter/test/MCProcess.py (McrouterBase): -f CONFIG -L LOG -a SPOOL --stats-root DIR -p PORT
    ("mcrouter tests MCProcess.py with -p", ["-f", "{config}", "-L", "{log}", "-a", "{spool}", "--stats-root",
                                             "{stats}", "-p", "{port}"]),
    # mcrouter/test/test_mcrouter_basic.py test_stats_deadlock: --proxy-threads=8
    ("mcrouter tests test_stats_deadlock", ["-f", "{config}", "--proxy-threads=8", "-L", "{log}", "-a", "{spool}",
                                            "--stats-root", "{stats}", "-p", "{port}"]),
    # mcrouter/test/test_mcrouter_basic.py TestMcrouterInvalidRoute
    ("mcrouter tests TestMcrouterInvalidRoute", ["-f", "{config}", "--send-invalid-route-to-default", "-L", "{log}",
                                                 "-a", "{spool}", "--stats-root", "{stats}", "-p", "{port}"]),
    # mcrouter/test/test_mcrouter_basic.py TestMcrouterBasic2: a default route given with -R
    ("mcrouter tests TestMcrouterBasic2 (-R)", ["-f", "{config_prefix_ab}", "-R", "/a/a/", "-L", "{log}", "-a",
                                                "{spool}", "--stats-root", "{stats}", "-p", "{port}"]),
    # mcrouter/test/test_mcrouter_basic.py test_use_big_value
    ("mcrouter tests test_use_big_value", ["-f", "{config}", "--big-value-split-threshold=100", "-L", "{log}",
                                           "-a", "{spool}", "--stats-root", "{stats}", "-p", "{port}"]),
    # mcrouter/test/test_mcrouter_basic.py test_enable_logging_route
    ("mcrouter tests test_enable_logging_route", ["-f", "{config}", "--enable-logging-route", "-L", "{log}",
                                                  "-a", "{spool}", "--stats-root", "{stats}", "-p", "{port}"]),
    # mcrouter/test/test_probe_timeout.py TestProbeTimeout
    ("mcrouter tests TestProbeTimeout", ["-f", "{config}", "-t", "2000", "--timeouts-until-tko", "1", "-r", "100",
                                         "-L", "{log}", "-a", "{spool}", "--stats-root", "{stats}", "-p", "{port}"]),
    # mcrouter/test/test_probe_timeout.py TestRequestTimeout
    ("mcrouter tests TestRequestTimeout", ["-f", "{config}", "-t", "2000", "--timeouts-until-tko", "2", "-r",
                                           "100", "-L", "{log}", "-a", "{spool}", "--stats-root", "{stats}", "-p",
                                           "{port}"]),
    # mcrouter/test/test_max_shadow_requests.py
    ("mcrouter tests test_max_shadow_requests", ["-f", "{config}", "-t", "1000000", "--target-max-shadow-requests",
                                                 "2", "-L", "{log}", "-a", "{spool}", "--stats-root", "{stats}", "-p",
                                                 "{port}"]),
    # mcrouter/test/test_multiple_ports.py: three ports, comma-separated
    ("mcrouter tests test_multiple_ports", ["-L", "{log}", "-f", "{config}", "-p", "{port},{port2},{port3}",
                                            "--proxy-threads", "2"]),
    # mcrouter/test/test_config_params.py (mcrelay stores the params; the config here needs none)
    ("mcrouter tests test_config_params", ["-f", "{config}", "--config-params", "PORT:{mcport},POOL:A", "-L",
                                           "{log}", "-a", "{spool}", "--stats-root", "{stats}", "-p", "{port}"]),
    # mcrouter/test/test_validate_config.py, run variant (=run keeps serving)
    ("mcrouter tests test_validate_config, =run", ["-L", "{log}", "--config", "file:{config}", "--stats-logging-interval",
                                                   "0", "--config-dump-root", "", "--validate-config=run", "-p",
                                                   "{port}"]),
    # mcrouter wiki, Command-line options: -R, --route-prefix, -t, -r, --probe-timeout-max, --timeouts-until-tko
    ("mcrouter wiki Command-line options: timeouts and TKO", ["-f", "{config}", "-t", "500", "-r", "1000",
                                                               "--probe-timeout-max=30000", "--timeouts-until-tko=5",
                                                               "-p", "{port}"]),
    # mcrouter wiki, Command-line options: delete stream (-a, --use-asynclog-version2)
    ("mcrouter wiki Command-line options: delete stream", ["--config-file={config}", "-a", "{spool}",
                                                           "--use-asynclog-version2", "-p", "{port}"]),
    # mcrouter wiki, Command-line options: network (-K, -i, -I keepalive; --reset-inactive-connection-interval)
    ("mcrouter wiki Command-line options: keepalive", ["-f", "{config}", "-K", "5", "-i", "30", "-I", "120",
                                                       "--reset-inactive-connection-interval=10000", "-p", "{port}"]),
    # mcrouter wiki, Command-line options: queueing
    ("mcrouter wiki Command-line options: queueing", ["-f", "{config}", "--max-client-outstanding-reqs=1000",
                                                      "--target-max-inflight-requests=100",
                                                      "--target-max-pending-requests=1000", "--destination-rate-limiting",
                                                      "-p", "{port}"]),
    # mcrouter wiki, Command-line options: stats and process management
    ("mcrouter wiki Command-line options: stats", ["-f", "{config}", "--stats-root={stats}",
                                                   "--stats-logging-interval=1000",
                                                   "--logging-rtt-outlier-threshold-us=100000", "-L", "{log}",
                                                   "-n", "4096", "-p", "{port}"]),
    # mcrouter --help (StandaloneUtils.cpp): --proxy-threads auto, --validate-config=run, --service-name
    ("mcrouter --help misc options", ["--config", "file:{config}", "--proxy-threads", "auto",
                                      "--service-name", "mcrouter", "-p", "{port}"]),
    # mcrouter wiki, Routing: --disable-miss-on-get-errors, --big-value-split-threshold
    ("mcrouter wiki Command-line options: routing", ["-f", "{config}", "--disable-miss-on-get-errors",
                                                     "--big-value-split-threshold=1048576", "-p", "{port}"]),
]


@skip_without_proxy()
class TestMcrouterCommandLines(unittest.TestCase):
    def substitute(self, template, tmp):
        ports = {"port": free_port(), "port2": free_port(), "port3": free_port()}
        values = dict(ports, config=tmp.file("config.json", pool_json()),
                      config_prefix=tmp.file("config-prefix.json", pool_json(["/default/local/"])),
                      config_prefix_ab=tmp.file("config-ab.json", pool_json(["/a/a/", "/b/b/"])),
                      config_json=json.dumps(pool_json()), log=os.path.join(tmp.path, "mcrouter.log"),
                      logdir=tmp.dir("logdir"), spool=tmp.dir("spool"), stats=tmp.dir("stats"), mcport=_mc.port)
        return [a.format(**values) for a in template], ports

    def test_every_command_line_starts_and_serves(self):
        self.assertGreaterEqual(len(COMMAND_LINES), 30)
        for source, template in COMMAND_LINES:
            with self.subTest(source=source):
                tmp = TempDir()
                args, ports = self.substitute(template, tmp)
                run = Run(args)
                try:
                    served = [p for name, p in ports.items() if f"{p}" in " ".join(args)]
                    for port in served:
                        run.wait_serving(port)
                        reply = set_get(port)
                        self.assertTrue(reply.startswith(b"VALUE ") and reply.endswith(b"hello\r\nEND\r\n"),
                                        f"{source}: set/get through port {port} gave {reply!r}\n"
                                        f"  args: {shlex.join(args)}\n  stderr:\n{run.stderr()}")
                finally:
                    code = run.stop()
                self.assertEqual(code, 0, f"{source}: exit status after SIGTERM\n  args: {shlex.join(args)}")
                tmp.td.cleanup()


def log_text(run, tmp=None):
    text = run.stderr()
    if tmp is not None and os.path.exists(os.path.join(tmp.path, "mcrouter.log")):
        with open(os.path.join(tmp.path, "mcrouter.log")) as f:
            text += f.read()
    return text


@skip_without_proxy()
class TestOptionGroups(unittest.TestCase):
    """Options without meaning outside Facebook: accepted, named in one warning line, and the proxy serves."""

    GROUPS = {
        "fibers": ["--fibers-stack-size=65536", "--fibers-max-pool-size", "1024", "--disable-fibers-use-guard-pages"],
        "facebook logging": ["--enable-axonlog", "--external-carbon-connection-logging-enabled", "--test-mode",
                             "--debug-fifo-root", "/tmp"],
        "thrift and carbon": ["--use-thrift", "--thrift-port", "7000", "--carbon-router-name", "Memcache"],
        "TLS tuning": ["--ssl-verify-peers", "--ssl-connection-cache", "--ssl-handshake-offload"],
        "qos and acl": ["--enable-qos", "--default-qos-class", "2", "--acl-checker-enable"],
        "deprecated": ["--gets", "--skip-sanity-checks", "-d", "-D", "3"],
    }

    def test_each_group_warns_once_and_serves(self):
        for group, extra in self.GROUPS.items():
            with self.subTest(group=group):
                port = free_port()
                run = Run(["-p", str(port), "--listen-addresses", "127.0.0.1", "--config-str",
                           json.dumps(pool_json()), *extra])
                try:
                    run.wait_serving(port)
                    self.assertIn(b"hello", set_get(port))
                    warnings = [l for l in run.stderr().splitlines()
                                if "options accepted but without effect here:" in l]
                    self.assertEqual(len(warnings), 1, run.stderr())
                    for arg in extra:
                        if arg.startswith("--"):
                            self.assertIn(arg.split("=")[0], warnings[0])
                finally:
                    self.assertEqual(run.stop(), 0)

    def test_reply_behaviour_options_are_accepted_without_warning(self):
        port = free_port()
        run = Run(["-p", str(port), "--config-str", json.dumps(pool_json()), "--enable-flush-cmd",
                   "--allow-only-gets=0", "--send-invalid-route-to-default"])
        try:
            run.wait_serving(port)
            self.assertNotIn("without effect", run.stderr())
        finally:
            self.assertEqual(run.stop(), 0)

    def test_tls_flags_that_need_each_other_exit_2(self):
        # mcrouter's TLS listener flags work (tests/integration/test_tls.py); without its certificate the
        # TLS port cannot serve, so that is a command-line error.
        for args, why in ((["--ssl-port", "5443"], "--ssl-port needs --server-pem-cert-path"),
                          (["--ssl-require-peer-certs"], "--ssl-require-peer-certs needs --server-pem-ca-path")):
            with self.subTest(args=args):
                run = Run(["-p", str(free_port()), "--config-str", json.dumps(pool_json()), *args])
                self.assertEqual(run.wait_exit(), 2, run.stderr())
                self.assertIn(why, run.stderr())
                run.stop()

    def test_typo_exits_2_with_a_suggestion(self):
        for typo, meant in (("--num-proxys", "--num-proxies"), ("--server-timout", "--server-timeout"),
                            ("--asynclog-disabled", "--asynclog-disable")):
            with self.subTest(typo=typo):
                run = Run(["-p", str(free_port()), typo, "2"])
                self.assertEqual(run.wait_exit(), 2, run.stderr())
                self.assertIn(f'unknown option "{typo}"; did you mean "{meant}"?', run.stderr())
                run.stop()


@skip_without_proxy()
class TestStartUpAndExit(unittest.TestCase):
    def start(self, *extra, port=None, config=None):
        port = port or free_port()
        run = Run(["-p", str(port), "--listen-addresses", "127.0.0.1", "--config-str",
                   json.dumps(config or pool_json()), *extra])
        return run, port

    def test_port_in_use_by_another_mcrelay(self):
        first, port = self.start()
        try:
            first.wait_serving(port)
            second, _ = self.start(port=port)
            self.assertEqual(second.wait_exit(), 1, second.stderr())
            self.assertIn(f"cannot listen on 127.0.0.1:{port}: address already in use", second.stderr())
            self.assertIn("is another mcrelay or mcrouter running on this port?", second.stderr())
            second.stop()
            self.assertIn(b"hello", set_get(port))  # the first one still has the port, alone
        finally:
            self.assertEqual(first.stop(), 0)

    def test_port_in_use_by_a_process_sharing_with_so_reuseport(self):
        # What a second mcrelay used to do silently: join the port with SO_REUSEPORT (same user).
        other = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen(10)
        port = other.getsockname()[1]
        try:
            run, _ = self.start(port=port)
            self.assertEqual(run.wait_exit(), 1, run.stderr())
            self.assertIn(f"another process listens on 127.0.0.1:{port}", run.stderr())
            run.stop()
        finally:
            other.close()

    def test_port_in_use_by_a_plain_listener(self):
        other = listen_socket()
        port = other.getsockname()[1]
        try:
            run, _ = self.start(port=port)
            self.assertEqual(run.wait_exit(), 1, run.stderr())
            self.assertIn(f"cannot listen on 127.0.0.1:{port}: Address already in use", run.stderr())
            run.stop()
        finally:
            other.close()

    def test_log_file_reopened_after_rename(self):
        tmp = TempDir()
        log = os.path.join(tmp.path, "mcrelay.log")
        run, port = self.start("-L", log)
        try:
            run.wait_serving(port)
            wait_for(lambda: "listening on" in read(log), 5, "the start-up lines in -L's file")
            self.assertNotIn("listening on", run.stderr(), "with -L, lines go to the file")
            for n, sig in enumerate((signal.SIGHUP, signal.SIGUSR2), start=1):
                rotated = f"{log}.{n}"
                os.rename(log, rotated)
                run.proc.send_signal(sig)
                wait_for(lambda: "reopened" in read(log), 5, f"a new {log} after {sig.name}")
                self.assertIn(f"log file {log} reopened ({sig.name})", read(log))
                self.assertIn(b"hello", set_get(port))
            self.assertIn("listening on", read(f"{log}.1"))
        finally:
            self.assertEqual(run.stop(), 0)
            tmp.td.cleanup()

    def test_unusable_log_path_keeps_stderr(self):
        tmp = TempDir()
        run, port = self.start("-L", tmp.path)  # a directory, as in some guides ("--log-path=/var/log/mcrouter/")
        try:
            run.wait_serving(port)
            self.assertIn(f"Couldn't open log file {tmp.path} for writing: Is a directory", run.stderr())
            wait_for(lambda: "listening on" in run.stderr(), 5, "the start-up lines on stderr")
        finally:
            self.assertEqual(run.stop(), 0)
            tmp.td.cleanup()

    def test_log_file_in_a_missing_directory_opened_on_sigusr2(self):
        tmp = TempDir()
        log = os.path.join(tmp.path, "later", "mcrelay.log")
        run, port = self.start("-L", log)
        try:
            run.wait_serving(port)
            self.assertIn(f"Couldn't open log file {log} for writing: No such file or directory", run.stderr())
            os.mkdir(os.path.dirname(log))
            run.proc.send_signal(signal.SIGUSR2)
            wait_for(lambda: "reopened (SIGUSR2)" in read(log), 5, f"{log} opened after SIGUSR2")
        finally:
            self.assertEqual(run.stop(), 0)
            tmp.td.cleanup()

    def test_validate_config_run_serves_and_exit_exits(self):
        run, port = self.start("--validate-config=run")
        try:
            run.wait_serving(port)
            self.assertIn(b"hello", set_get(port))
        finally:
            self.assertEqual(run.stop(), 0)
        for flag in ("--validate-config", "--validate-config=exit"):
            with self.subTest(flag=flag):
                done, port = self.start(flag)
                self.assertEqual(done.wait_exit(), 0, done.stderr())
                self.assertIn("config OK", done.stderr() or "")  # stdout shares the file here
                self.assertFalse(accepting(port))
                done.stop()

    def test_listen_sock_fd_ipv4_and_unbound_ipv6(self):
        # mcrouter's own test harness (MCProcess.py create_listen_socket) passes an IPv6 socket that was never
        # bound: listen(2) gave it a free port on [::].
        for family in (socket.AF_INET, socket.AF_INET6):
            with self.subTest(family=family.name):
                try:
                    sock = listen_socket(family, bind=(family == socket.AF_INET))
                except OSError as e:
                    self.skipTest(f"no {family.name}: {e}")
                port = sock.getsockname()[1]
                run = Run(["--config-str", json.dumps(pool_json()), "--listen-sock-fd", str(sock.fileno()),
                           "--num-proxies", "2"], pass_fds=(sock.fileno(),))
                sock.close()  # the child has its own copy
                try:
                    run.wait_serving(port)
                    for _ in range(4):  # both workers accept on the shared socket
                        self.assertIn(b"hello", set_get(port))
                    self.assertIn("inherited socket", run.stderr())
                finally:
                    self.assertEqual(run.stop(), 0)

    def test_listen_sock_fd_not_a_socket(self):
        run = Run(["--config-str", json.dumps(pool_json()), "--listen-sock-fd", "0"])
        self.assertEqual(run.wait_exit(), 1, run.stderr())
        self.assertIn("--listen-sock-fd 0: not a TCP socket", run.stderr())
        run.stop()

    def test_unreadable_config_says_what_mcrouter_says(self):
        # facebook/mcrouter mcrouter/test/test_bad_params.py: -f /dev/null/doesnotexist -> "Can not read config"
        sock = listen_socket()
        run = Run(["-f", "/dev/null/doesnotexist", "--listen-sock-fd", str(sock.fileno())], pass_fds=(sock.fileno(),))
        sock.close()
        self.assertEqual(run.wait_exit(), 2, run.stderr())
        self.assertIn("Can not read config from /dev/null/doesnotexist", run.stderr())
        self.assertIn("cannot read /dev/null/doesnotexist: Not a directory", run.stderr())
        run.stop()

    def test_unknown_route_handle_says_what_mcrouter_says(self):
        tmp = TempDir()
        config = tmp.file("bad.json", '{"pools": {"A": {"servers": ["%s"]}},\n "route": {"type": "XYZRoute"}}' % _mc.address)
        for extra, code in (([], 2), (["--validate-config"], 3)):
            with self.subTest(extra=extra):
                run = Run(["-p", str(free_port()), "--config", f"file:{config}", *extra])
                self.assertEqual(run.wait_exit(), code, run.stderr())
                self.assertIn("Failed to reconfigure: Unknown RouteHandle: XYZRoute", run.stderr())
                self.assertIn(f'{config}: route: unknown route handle type "XYZRoute"', run.stderr())
                run.stop()
        tmp.td.cleanup()

    def test_stats_files(self):
        tmp = TempDir()
        stats = os.path.join(tmp.path, "stats")  # created by mcrelay, as mcrouter does
        run, port = self.start("--stats-root", stats, "--stats-logging-interval", "100")
        try:
            run.wait_serving(port)
            set_get(port)
            path = os.path.join(stats, f"libmcrouter.mcrouter.{port}.stats")

            def counted():
                try:
                    with open(path) as f:
                        return json.load(f).get(f"libmcrouter.mcrouter.{port}.cmd_get_count", 0) >= 1
                except (OSError, ValueError):
                    return False
            wait_for(counted, 5, f"{path} with the get counted")
            with open(os.path.join(stats, f"libmcrouter.mcrouter.{port}.startup_options")) as f:
                self.assertEqual(json.load(f)["pid"], str(run.proc.pid))
        finally:
            self.assertEqual(run.stop(), 0)
            tmp.td.cleanup()

    def test_background_and_pid_file(self):
        # facebook/mcrouter mcrouter/test/test_mcrouter_background.py: -b
        tmp = TempDir()
        pid_file = os.path.join(tmp.path, "mcrouter.pid")
        log = os.path.join(tmp.path, "mcrouter.log")
        run, port = self.start("-b", "-P", pid_file, "-L", log)
        self.assertEqual(run.wait_exit(), 0, run.stderr())  # the parent returns at once
        wait_for(lambda: read(pid_file).strip(), 5, "the pid file")
        pid = int(read(pid_file))
        try:
            wait_for(lambda: accepting(port), STARTUP, "the background mcrelay to accept")
            self.assertIn(b"hello", set_get(port))
            second, _ = self.start("-P", pid_file)  # the same pid file: refused while the first one runs
            self.assertEqual(second.wait_exit(), 2, second.stderr())
            self.assertIn(f"pid file {pid_file} is locked: another instance is running", second.stderr())
            second.stop()
        finally:
            os.kill(pid, signal.SIGTERM)
            wait_for(lambda: "zombie" in read(f"/proc/{pid}/status").lower() or not os.path.exists(f"/proc/{pid}"),
                     10, "the background mcrelay to exit")
            run.stop()
            tmp.td.cleanup()

    def test_reset_inactive_connection_interval(self):
        # mcrouter closes a server connection that saw no request for 1 to 2 intervals; the next one reconnects.
        def upstream_conns():
            return int(_mc.stats()["curr_connections"])
        base = upstream_conns()
        run, port = self.start("--reset-inactive-connection-interval=150", "--num-proxies", "1")
        try:
            run.wait_serving(port)
            self.assertIn(b"hello", set_get(port))
            self.assertEqual(upstream_conns(), base + 1, "one worker, one connection to the server")
            wait_for(lambda: upstream_conns() == base, 3, "the inactive server connection to be closed")
            self.assertIn(b"hello", set_get(port))  # reconnects
        finally:
            self.assertEqual(run.stop(), 0)
        run, port = self.start("--reset-inactive-connection-interval=0", "--num-proxies", "1")
        try:
            run.wait_serving(port)
            self.assertIn(b"hello", set_get(port))
            time.sleep(0.5)
            self.assertEqual(upstream_conns(), base + 1, "0: never closed")
        finally:
            self.assertEqual(run.stop(), 0)

    def test_keepalive_options(self):
        # -K/-i/-I set TCP keepalive on the connections to servers; ss(8) shows each socket's keepalive timer.
        def upstream_timers():
            out = subprocess.run(["ss", "-tnoH", "state", "established", "dport", f"= :{_mc.port}"],
                                 capture_output=True, text=True, timeout=5).stdout
            return [line for line in out.splitlines() if line.strip()]
        try:
            subprocess.run(["ss", "-V"], capture_output=True, timeout=5)
        except OSError:
            self.skipTest("no ss(8)")
        for extra, expect in (([], r"keepalive,(29|30)sec"), (["-I", "7200", "-i", "5", "-K", "2"], r"keepalive,(119|120)min"),
                              (["-K", "0"], None)):
            with self.subTest(args=extra):
                run, port = self.start("--num-proxies", "1", *extra)
                try:
                    run.wait_serving(port)
                    self.assertIn(b"hello", set_get(port))
                    lines = upstream_timers()
                    self.assertEqual(len(lines), 1, lines)
                    if expect is None:
                        self.assertNotIn("keepalive", lines[0])
                    else:
                        # default: probes after 30 s idle ("keepalive,29sec", or 30sec when read at once);
                        # -I 7200: after 2 h ("keepalive,119min")
                        self.assertRegex(lines[0], r"timer:\(" + expect)
                finally:
                    self.assertEqual(run.stop(), 0)

    def test_disable_tko_tracking(self):
        dead = f"127.0.0.1:{free_port()}"  # nothing listens there: every request is a connect error
        config = {"pools": {"A": {"servers": [dead]}}, "route": "PoolRoute|A"}
        for extra, marked in ((["--timeouts-until-tko", "1"], True),
                              (["--timeouts-until-tko", "1", "--disable-tko-tracking"], False)):
            with self.subTest(args=extra):
                run, port = self.start("--num-proxies", "1", *extra, config=config)
                try:
                    run.wait_serving(port)
                    for _ in range(3):
                        self.assertTrue(set_get(port).startswith(b"SERVER_ERROR"))
                    if marked:
                        wait_for(lambda: "marked down (TKO)" in run.stderr(), 5, "the server marked down")
                    else:
                        self.assertNotIn("marked down", run.stderr())
                finally:
                    self.assertEqual(run.stop(), 0)

    def test_asynclog_disable(self):
        # A delete to a dead server: spooled and answered NOT_FOUND with -a; with --asynclog-disable too, the
        # error is returned to the client and nothing is spooled (mcrouter's "errors will be returned").
        dead = f"127.0.0.1:{free_port()}"
        config = {"pools": {"A": {"servers": [dead]}}, "route": "PoolRoute|A"}
        for extra, want, spooled in (([], b"NOT_FOUND\r\n", True),
                                     (["--asynclog-disable"], b"SERVER_ERROR", False)):
            with self.subTest(args=extra):
                tmp = TempDir()
                spool = tmp.dir("spool")
                run, port = self.start("--num-proxies", "1", "-a", spool, *extra, config=config)
                try:
                    run.wait_serving(port)
                    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                        s.sendall(b"delete gone\r\n")
                        reply = b""
                        while not reply.endswith(b"\r\n"):
                            reply += s.recv(4096)
                    self.assertTrue(reply.startswith(want), reply)
                    files = [f for _, _, fs in os.walk(spool) for f in fs]
                    self.assertEqual(bool(files), spooled, files)
                finally:
                    self.assertEqual(run.stop(), 0)
                    tmp.td.cleanup()

    def test_reconfiguration_delay(self):
        tmp = TempDir()
        path = tmp.file("config.json", pool_json())
        port = free_port()
        run = Run(["-p", str(port), "--listen-addresses", "127.0.0.1", "-f", path, "--reconfiguration-delay-ms",
                   "1500"])
        try:
            run.wait_serving(port)
            changed = pool_json()
            changed["pools"]["B"] = {"servers": [_mc.address]}
            with open(path + ".tmp", "w") as f:
                json.dump(changed, f)
            os.rename(path + ".tmp", path)
            start = time.monotonic()
            wait_for(lambda: "config reloaded" in run.stderr(), 10, "the changed config to be loaded")
            self.assertGreaterEqual(time.monotonic() - start, 1.2, "loaded before --reconfiguration-delay-ms")
        finally:
            self.assertEqual(run.stop(), 0)
            tmp.td.cleanup()

    def test_max_conns_1_derives_from_the_open_files_limit(self):
        run, port = self.start("--max-conns", "1")
        try:
            run.wait_serving(port)
            self.assertIn("--max-conns 1: limit derived from the open-files limit", run.stderr())
            self.assertIn(b"hello", set_get(port))  # not "one connection"
            self.assertIn(b"hello", set_get(port))
        finally:
            self.assertEqual(run.stop(), 0)


if __name__ == "__main__":
    unittest.main()

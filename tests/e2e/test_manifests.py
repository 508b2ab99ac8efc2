"""Checks deploy/: the Kubernetes manifests, the container image recipe, and how they fit the mcrelay binary.

What it does, with no cluster:
  - renders every kustomization under deploy/ with `kubectl kustomize` (with every kubectl named in
    MCRELAY_KUBECTLS, and checks they all render the same objects),
  - validates every rendered object against the Kubernetes API schemas, unknown fields included
    (tests/e2e/manifests/validate.mjs; its self-test proves it rejects unknown fields, wrong types, missing
    required fields),
  - checks the deployment's invariants (hostPort, rollout, drain budget, no CPU limit, security contexts,
    probes on the admin port, the ConfigMap mounted as a directory, the downward API in the sample app ...),
  - runs the binary: every mcrelay arg of the DaemonSet must be a flag `mcrelay --help` lists, and the
    config of every ConfigMap must pass `mcrelay --validate-config`,
  - checks deploy/Containerfile's stages, and that its runtime packages provide every library
    `ldd mcrelay` lists.

kubectl, node and the validator's npm packages are required: without them the test FAILS (CI installs them
with scripts/install-k8s-tools.sh). Nothing is skipped silently; the one skip is a feature mcrelay does not
have yet (pool discovery), and its message names it.

Environment:
  MCRELAY_BIN         the mcrelay binary (default: <source dir>/build/mcrelay)
  MCRELAY_SOURCE_DIR  the source tree (default: two levels above this file)
  MCRELAY_KUBECTLS    colon-separated kubectl binaries to render with (default: `kubectl` on PATH), e.g.
                      /usr/bin/kubectl:/opt/kubectl-1.20/kubectl to check kustomize v5 and v2 agree
  MCRELAY_NODE        the node binary for the validator (default: `node` on PATH)
"""

import copy
import sys
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import unittest

try:
    import yaml
except ImportError:  # python3-yaml; reported by the tests that need it
    yaml = None

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("MCRELAY_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
MCRELAY_BIN = os.environ.get("MCRELAY_BIN") or os.path.join(SOURCE_DIR, "build", "mcrelay")
DEPLOY_DIR = os.path.join(SOURCE_DIR, "deploy")
VALIDATOR_DIR = os.path.join(HERE, "manifests")
VALIDATOR = os.path.join(VALIDATOR_DIR, "validate.mjs")
CONTAINERFILE = os.path.join(DEPLOY_DIR, "Containerfile")
INSTALL_HINT = "install it with: bash scripts/install-k8s-tools.sh"

# Kustomizations that deliberately have no hostPort (a Service with internalTrafficPolicy: Local instead).
NO_HOSTPORT = {"overlays/no-hostport"}
# The lab's names.
STATEFULSET = "mycache-memcached"
DAEMONSET = "mcrelay"
NAMESPACE_IN_CONFIG = "default"
PROXY_PORT = 5000
MEMCACHED_PORT = 11211
RUN_AS_USER = 10001
TIMEOUT = 120


def run(cmd, input_text=None, cwd=None, timeout=TIMEOUT):
    return subprocess.run(cmd, input=input_text, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def kubectls():
    env = os.environ.get("MCRELAY_KUBECTLS", "")
    if env:
        return [p for p in env.split(":") if p]
    found = shutil.which("kubectl")
    return [found] if found else []


def node_binary():
    return os.environ.get("MCRELAY_NODE") or shutil.which("node")


def kustomizations():
    """Every directory under deploy/ with a kustomization, as a path relative to deploy/."""
    out = []
    for dirpath, _dirs, files in os.walk(DEPLOY_DIR):
        if any(f in files for f in ("kustomization.yaml", "kustomization.yml", "Kustomization")):
            out.append(os.path.relpath(dirpath, DEPLOY_DIR))
    return sorted(out)


def render(kubectl, kdir):
    proc = run([kubectl, "kustomize", os.path.join(DEPLOY_DIR, kdir)])
    if proc.returncode != 0:
        raise AssertionError(f"{kubectl} kustomize deploy/{kdir} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout, [d for d in yaml.safe_load_all(proc.stdout) if d is not None]


def normalized(objs):
    """Objects in a canonical form, so two kustomize versions' output can be compared: sorted, and without the
    empty labels/annotations maps old kustomize adds to replaced generated objects."""

    def clean(o):
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items() if not (k in ("labels", "annotations") and v == {})}
        if isinstance(o, list):
            return [clean(v) for v in o]
        return o

    return sorted(json.dumps(clean(o), sort_keys=True) for o in objs)


def find(objs, kind, name=None):
    hits = [o for o in objs if o.get("kind") == kind and (name is None or o["metadata"]["name"] == name)]
    return hits


def one(testcase, objs, kind, name=None, where=""):
    hits = find(objs, kind, name)
    testcase.assertEqual(len(hits), 1, f"{where}: expected exactly one {kind} {name or ''}, found {len(hits)}")
    return hits[0]


def relaxed_json(text):
    """mcrouter-format JSON (// and /* */ comments, trailing commas) -> Python, for cross-checks only; mcrelay
    itself is what decides whether a config is valid."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
        else:
            out.append(c)
            i += 1
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", "".join(out)))


def pod_spec(obj):
    return obj["spec"]["template"]["spec"]


def container(obj, name):
    for c in pod_spec(obj)["containers"]:
        if c["name"] == name:
            return c
    raise AssertionError(f"{obj['kind']} {obj['metadata']['name']} has no container {name!r}")


def resolve_port(c, port):
    """A probe/targetPort value (number or port name) -> the container port number."""
    if isinstance(port, int):
        return port
    for p in c.get("ports", []):
        if p.get("name") == port:
            return p["containerPort"]
    raise AssertionError(f"container {c['name']} has no port named {port!r}")


def labels_match(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


# ---- mcrelay's flags, read from --help ----------------------------------------------------------------

HELP_LINE = re.compile(
    r"^\s+(?:(?P<short>-[A-Za-z0-9])(?:,\s+)?)?(?P<long>--[A-Za-z0-9][\w-]*)?(?P<meta>(?: (?!\s)\S+)*)")


def help_flags(binary):
    """{flag: number of values it takes}, for every -x / --long flag that `mcrelay --help` lists."""
    proc = run([binary, "--help"], timeout=30)
    if proc.returncode != 0:
        raise AssertionError(f"{binary} --help exited {proc.returncode}: {proc.stderr}")
    flags = {}
    for line in proc.stdout.splitlines():
        if not re.match(r"^\s+-", line):
            continue
        m = HELP_LINE.match(line)
        if not m or not (m.group("short") or m.group("long")):
            continue
        meta = m.group("meta").split()
        arity = len(meta)
        for name in (m.group("short"), m.group("long")):
            if name:
                flags[name] = max(flags.get(name, 0), arity)
    return flags


def parse_args(args, flags):
    """Walks a container's args the way mcrelay reads them. Returns ({flag: [values]}, unknown flags, errors)."""
    seen, unknown, errors = {}, [], []
    i = 0
    while i < len(args):
        tok = str(args[i])
        if tok.startswith("--"):
            name, eq, attached = tok.partition("=")
            has_attached = bool(eq)
        elif tok.startswith("-") and len(tok) >= 2:
            name, attached, has_attached = tok[:2], tok[2:], len(tok) > 2
        else:
            errors.append(f"stray argument {tok!r} (not a flag, not a flag's value)")
            i += 1
            continue
        if name not in flags:
            unknown.append(name)
            # Unknown arity: assume the usual "--flag VALUE" when a value follows.
            if not has_attached and i + 1 < len(args) and not str(args[i + 1]).startswith("-"):
                seen[name] = [str(args[i + 1])]
                i += 2
            else:
                seen[name] = [attached] if has_attached else []
                i += 1
            continue
        arity = flags[name]
        if has_attached:
            values = [attached]
            i += 1
        else:
            values = [str(v) for v in args[i + 1:i + 1 + arity]]
            if len(values) < arity:
                errors.append(f"{name} needs {arity} value(s)")
            i += 1 + arity
        seen[name] = values
    return seen, unknown, errors


def flag_value(seen, *names):
    for n in names:
        if n in seen and seen[n]:
            return seen[n][0]
    return None


def prestop_sleep_seconds(c):
    pre = c.get("lifecycle", {}).get("preStop")
    if not pre:
        return None
    if "sleep" in pre:
        return int(pre["sleep"]["seconds"])
    if "exec" in pre:
        cmd = " ".join(str(x) for x in pre["exec"]["command"])
        m = re.search(r"\bsleep\s+(\d+(?:\.\d+)?)\b", cmd)
        if m:
            return float(m.group(1))
    return 0


_discovery_probe = None


def discovery_supported():
    """(supported, message): whether this mcrelay accepts a pool with "discover" instead of "servers"."""
    global _discovery_probe
    if _discovery_probe is None:
        probe = {"pools": {"p": {"discover": {"service": "probe.default.svc.cluster.local", "port": MEMCACHED_PORT,
                                              "refresh_ms": 5000}}}, "route": "PoolRoute|p"}
        proc = run([MCRELAY_BIN, "--validate-config", "--config", json.dumps(probe)], timeout=30)
        _discovery_probe = (proc.returncode == 0, (proc.stdout + proc.stderr).strip())
    return _discovery_probe


def validate_config(config_text):
    proc = run([MCRELAY_BIN, "--validate-config", "--config", config_text], timeout=30)
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def run_validator(testcase, args, input_text=None):
    """Runs validate.mjs; returns (exit code, JSON report), failing the test if the validator cannot run."""
    node = node_binary()
    testcase.assertTrue(node, f"node not found on PATH; {INSTALL_HINT}")
    proc = run([node, VALIDATOR, *args], input_text=input_text, cwd=VALIDATOR_DIR)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        report = None
    if proc.returncode not in (0, 1) or report is None:
        testcase.fail(f"validate.mjs could not run (exit {proc.returncode}); {INSTALL_HINT}\n{proc.stderr[-2000:]}")
    return proc.returncode, report


# ---- the tools ----------------------------------------------------------------------------------------

class Tools(unittest.TestCase):
    """The tools this test needs are present (it fails, not skips, without them)."""

    def test_kubectl_is_installed(self):
        self.assertTrue(kubectls(), f"kubectl not found on PATH; {INSTALL_HINT}")
        for k in kubectls():
            proc = run([k, "version", "--client"])
            self.assertEqual(proc.returncode, 0, f"{k} version --client failed: {proc.stderr}")

    def test_python_yaml_is_installed(self):
        self.assertIsNotNone(yaml, f"python3-yaml is missing for {sys.executable}; {INSTALL_HINT}")

    def test_node_validator_is_installed(self):
        node = node_binary()
        self.assertTrue(node, f"node not found on PATH; {INSTALL_HINT}")
        for pkg in ("kubernetes-models", "@kubernetes/client-node", "yaml"):
            self.assertTrue(os.path.isdir(os.path.join(VALIDATOR_DIR, "node_modules", pkg)),
                            f"npm package {pkg} missing from tests/e2e/manifests/node_modules; {INSTALL_HINT}")

    def test_validator_rejects_what_the_api_server_rejects(self):
        """validate.mjs --self-test: a correct object passes; unknown fields (top level, nested, in a port, in
        a downward-API selector), a wrong type, a list for an object, a missing required field, an enum
        violation and an unknown kind are each rejected, naming the offending field."""
        rc, report = run_validator(self, ["--self-test"])
        failed = [c for c in report["selfTest"] if not c["passed"]]
        self.assertFalse(failed, "validator self-test cases failed:\n" + json.dumps(failed, indent=2))
        self.assertEqual(rc, 0)


# ---- the rendered manifests ---------------------------------------------------------------------------

class Manifests(unittest.TestCase):
    renders = {}        # kustomization -> objects (rendered with the first kubectl)
    texts = {}          # kustomization -> rendered YAML text
    render_errors = []  # problems found while rendering, reported by test_every_kustomization_renders

    @classmethod
    def setUpClass(cls):
        if yaml is None:
            raise AssertionError(f"python3-yaml is missing; {INSTALL_HINT}")
        ks = kubectls()
        if not ks:
            raise AssertionError(f"kubectl not found on PATH; {INSTALL_HINT}")
        cls.kustomizations = kustomizations()
        if not cls.kustomizations:
            raise AssertionError(f"no kustomization.yaml under {DEPLOY_DIR}")
        cls.renders, cls.texts, cls.render_errors, cls.by_kubectl = {}, {}, [], {}
        for kdir in cls.kustomizations:
            for k in ks:
                try:
                    text, objs = render(k, kdir)
                except AssertionError as e:
                    cls.render_errors.append(str(e))
                    continue
                cls.by_kubectl[(k, kdir)] = objs
                if kdir not in cls.renders:
                    cls.renders[kdir], cls.texts[kdir] = objs, text

    def rendered(self):
        """(kustomization, objects) for each kustomization that rendered."""
        self.assertFalse(self.render_errors, "\n".join(self.render_errors))
        return sorted(self.renders.items())

    # -- rendering and schemas --

    def test_every_kustomization_renders_with_every_kubectl(self):
        self.assertIn("base", self.kustomizations)
        self.assertFalse(self.render_errors, "\n".join(self.render_errors))
        ks = kubectls()
        for kdir in self.kustomizations:
            with self.subTest(kustomization=kdir):
                objs = self.renders[kdir]
                self.assertTrue(objs, f"deploy/{kdir} renders no objects")
                for k in ks[1:]:
                    self.assertEqual(normalized(self.by_kubectl[(k, kdir)]), normalized(objs),
                                     f"deploy/{kdir}: {k} renders different objects than {ks[0]}")

    def test_every_object_passes_the_kubernetes_schemas(self):
        for kdir, _objs in self.rendered():
            with self.subTest(kustomization=kdir):
                rc, report = run_validator(self, ["-"], self.texts[kdir])
                bad = [f"{o['kind']} {o['name']}: " + "; ".join(o["errors"]) for o in report["objects"] if o["errors"]]
                self.assertFalse(bad, f"deploy/{kdir}: objects the API server would reject:\n" + "\n".join(bad))
                self.assertEqual(rc, 0)
                self.assertEqual(len(report["objects"]), len(self.renders[kdir]))

    def test_validator_rejects_a_typo_in_our_daemonset(self):
        """The schema check above is not vacuous: our own DaemonSet with one misspelled field fails it."""
        ds = copy.deepcopy(one(self, self.renders["base"], "DaemonSet", DAEMONSET, "base"))
        ds["spec"]["template"]["spec"]["containers"][0]["ports"][0]["hostPorts"] = PROXY_PORT
        rc, report = run_validator(self, ["-"], json.dumps(ds))
        self.assertEqual(rc, 1, json.dumps(report))
        errors = report["objects"][0]["errors"]
        self.assertTrue(any("containers[0].ports[0].hostPorts" in e for e in errors), errors)

    # -- what is in the base --

    def test_base_has_the_lab_objects_and_no_namespace(self):
        objs = self.renders["base"]
        kinds = sorted((o["kind"], o["metadata"]["name"]) for o in objs)
        for want in [("StatefulSet", STATEFULSET), ("Service", STATEFULSET), ("PodDisruptionBudget", STATEFULSET),
                     ("DaemonSet", DAEMONSET), ("ConfigMap", "mcrelay-config"),
                     ("PriorityClass", "mcrelay-node-critical"), ("Deployment", "sample-application-py")]:
            self.assertIn(want, kinds)
        for kdir, objs in self.rendered():
            with self.subTest(kustomization=kdir):
                self.assertFalse(find(objs, "Namespace"), "the namespace is the user's choice: no Namespace object")
                pinned = [o["metadata"]["name"] for o in objs if o["metadata"].get("namespace")]
                self.assertFalse(pinned, f"objects with a fixed namespace: {pinned}")

    def test_memcached_statefulset_and_headless_service(self):
        for kdir, objs in self.rendered():
            with self.subTest(kustomization=kdir):
                sts = one(self, objs, "StatefulSet", STATEFULSET, kdir)
                svc = one(self, objs, "Service", sts["spec"]["serviceName"], kdir)
                self.assertEqual(sts["spec"]["replicas"], 3)
                self.assertEqual(svc["spec"].get("clusterIP"), "None", "the memcached Service must be headless")
                self.assertIs(svc["spec"].get("publishNotReadyAddresses"), False,
                              "publishNotReadyAddresses must be explicitly false")
                labels = sts["spec"]["template"]["metadata"]["labels"]
                self.assertTrue(labels_match(sts["spec"]["selector"]["matchLabels"], labels))
                self.assertTrue(labels_match(svc["spec"]["selector"], labels), "Service selects no memcached pod")
                c = container(sts, "memcached")
                (port,) = [p for p in svc["spec"]["ports"] if p["port"] == MEMCACHED_PORT]
                self.assertEqual(resolve_port(c, port.get("targetPort", port["port"])), MEMCACHED_PORT)
                for probe in ("readinessProbe", "livenessProbe"):
                    self.assertIn("tcpSocket", c.get(probe, {}), f"memcached {probe} must be a TCP probe")
                    self.assertEqual(resolve_port(c, c[probe]["tcpSocket"]["port"]), MEMCACHED_PORT)
                spec = pod_spec(sts)
                spread = [t for t in spec.get("topologySpreadConstraints", [])
                          if t["topologyKey"] == "kubernetes.io/hostname"
                          and labels_match(t["labelSelector"]["matchLabels"], labels)]
                anti = spec.get("affinity", {}).get("podAntiAffinity", {})
                anti_terms = [t.get("podAffinityTerm", t) for k in anti.values() for t in k]
                anti_terms = [t for t in anti_terms if t["topologyKey"] == "kubernetes.io/hostname"
                              and labels_match(t["labelSelector"]["matchLabels"], labels)]
                self.assertTrue(spread or anti_terms, "memcached pods are not spread across nodes")
                self.assert_restricted(spec, c, f"{kdir} memcached")

    def test_memcached_item_memory_fits_its_memory_limit(self):
        for kdir, objs in self.rendered():
            with self.subTest(kustomization=kdir):
                c = container(one(self, objs, "StatefulSet", STATEFULSET, kdir), "memcached")
                limit = c.get("resources", {}).get("limits", {}).get("memory")
                self.assertTrue(limit, "memcached needs a memory limit")
                self.assertIn("memory", c["resources"].get("requests", {}))
                self.assertIn("cpu", c["resources"].get("requests", {}))
                limit_mib = quantity_mib(limit)
                args = [str(a) for a in c.get("args", []) + c.get("command", [])]
                self.assertIn("-m", args, "memcached must be given -m (its item memory, MiB)")
                m = int(args[args.index("-m") + 1])
                # Items get 75-90% of the limit: the rest is hash table, connection buffers, per-thread caches.
                self.assertTrue(0.75 * limit_mib <= m <= 0.9 * limit_mib,
                                f"memcached -m {m} does not match its memory limit {limit} ({limit_mib:.0f} MiB): "
                                f"want 75-90% of it")

    def test_memcached_disruption_budget(self):
        for kdir, objs in self.rendered():
            with self.subTest(kustomization=kdir):
                pdb = one(self, objs, "PodDisruptionBudget", STATEFULSET, kdir)
                self.assertEqual(pdb["apiVersion"], "policy/v1")
                self.assertEqual(pdb["spec"].get("maxUnavailable"), 1)
                sts = one(self, objs, "StatefulSet", STATEFULSET, kdir)
                self.assertTrue(labels_match(pdb["spec"]["selector"]["matchLabels"],
                                             sts["spec"]["template"]["metadata"]["labels"]))

    # -- the mcrelay DaemonSet --

    def daemonsets(self):
        for kdir, objs in self.rendered():
            yield kdir, objs, one(self, objs, "DaemonSet", DAEMONSET, kdir)

    def test_daemonset_ports_and_rollout(self):
        for kdir, objs, ds in self.daemonsets():
            with self.subTest(kustomization=kdir):
                c = container(ds, "mcrelay")
                (port,) = [p for p in c["ports"] if p["containerPort"] == PROXY_PORT]
                if kdir in NO_HOSTPORT:
                    for other in pod_spec(ds)["containers"]:
                        self.assertFalse([p for p in other.get("ports", []) if p.get("hostPort")],
                                         f"{kdir} must not use a hostPort")
                else:
                    self.assertEqual(port.get("hostPort"), PROXY_PORT, f"{kdir}: hostPort {PROXY_PORT} missing")
                self.assertFalse(pod_spec(ds).get("hostNetwork"), "hostPort, not hostNetwork")
                ru = ds["spec"]["updateStrategy"]
                self.assertEqual(ru["type"], "RollingUpdate")
                self.assertEqual(ru["rollingUpdate"].get("maxUnavailable"), 1)
                self.assertEqual(ru["rollingUpdate"].get("maxSurge"), 0,
                                 "maxSurge must be 0: a surge pod could never bind the node's hostPort")
                self.assertIn("prometheus.io/scrape", ds["spec"]["template"]["metadata"].get("annotations", {}))

    def test_daemonset_resources_have_no_cpu_limit(self):
        for kdir, objs, ds in self.daemonsets():
            with self.subTest(kustomization=kdir):
                res = container(ds, "mcrelay").get("resources", {})
                self.assertIn("cpu", res.get("requests", {}))
                self.assertIn("memory", res.get("requests", {}))
                self.assertIn("memory", res.get("limits", {}))
                self.assertNotIn("cpu", res.get("limits", {}),
                                 "no CPU limit on the proxy: CFS throttling stalls a latency-critical proxy")

    def test_daemonset_drain_fits_the_grace_period(self):
        flags = help_flags(MCRELAY_BIN)
        for kdir, objs, ds in self.daemonsets():
            with self.subTest(kustomization=kdir):
                c = container(ds, "mcrelay")
                seen, _unknown, _errors = parse_args(c.get("args", []), flags)
                sleep = prestop_sleep_seconds(c)
                self.assertIsNotNone(sleep, "mcrelay needs a preStop hook (a short sleep before SIGTERM)")
                self.assertGreater(sleep, 0, "the preStop hook should sleep a few seconds")
                drain_ms = flag_value(seen, "--drain-timeout-ms")
                self.assertIsNotNone(drain_ms, "the DaemonSet must set --drain-timeout-ms")
                grace = pod_spec(ds).get("terminationGracePeriodSeconds", 30)
                self.assertGreater(grace, int(drain_ms) / 1000 + sleep,
                                   f"terminationGracePeriodSeconds {grace} must exceed the preStop sleep ({sleep} s) "
                                   f"+ --drain-timeout-ms ({drain_ms} ms)")

    def test_daemonset_probes_and_metrics_use_the_admin_port(self):
        flags = help_flags(MCRELAY_BIN)
        for kdir, objs, ds in self.daemonsets():
            with self.subTest(kustomization=kdir):
                c = container(ds, "mcrelay")
                seen, _unknown, _errors = parse_args(c.get("args", []), flags)
                self.assertEqual(flag_value(seen, "-p", "--port"), str(PROXY_PORT))
                admin = flag_value(seen, "--admin-port")
                self.assertIsNotNone(admin, "the DaemonSet must set --admin-port")
                admin = int(admin)
                self.assertIn(admin, [p["containerPort"] for p in c["ports"]], "admin port not declared")
                for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
                    get = c.get(probe, {}).get("httpGet")
                    self.assertTrue(get, f"{probe} must be an httpGet on the admin port")
                    self.assertEqual(get["path"], path)
                    self.assertEqual(resolve_port(c, get["port"]), admin)
                notes = ds["spec"]["template"]["metadata"].get("annotations", {})
                self.assertEqual(notes.get("prometheus.io/port"), str(admin))
                self.assertEqual(notes.get("prometheus.io/path", "/metrics"), "/metrics")

    def test_daemonset_admin_listener_needs_the_token_from_a_secret(self):
        """Off loopback the admin listener answers only with a token (issue 12): the DaemonSet's must come from
        a Secret mounted as a directory (a rotation is then seen by mcrelay), readable by mcrelay's user, and
        the PodMonitor must scrape /metrics with the same Secret."""
        flags = help_flags(MCRELAY_BIN)
        monitor_path = os.path.join(DEPLOY_DIR, "monitoring", "podmonitor.yaml")
        with open(monitor_path) as f:
            monitor = yaml.safe_load(f)
        for kdir, objs, ds in self.daemonsets():
            with self.subTest(kustomization=kdir):
                c = container(ds, "mcrelay")
                seen, _unknown, _errors = parse_args(c.get("args", []), flags)
                address = flag_value(seen, "--admin-address") or "127.0.0.1"
                self.assertNotIn(address, ("127.0.0.1", "::1"), "the kubelet's probes reach the pod IP, not loopback")
                token = flag_value(seen, "--admin-token-file")
                self.assertTrue(token, "--admin-address off loopback needs --admin-token-file (mcrelay exits 2)")
                (mount,) = [m for m in c.get("volumeMounts", []) if token.startswith(m["mountPath"].rstrip("/") + "/")]
                self.assertNotIn("subPath", mount, "a subPath mount never sees a rotated Secret: mount the directory")
                volume = {v["name"]: v for v in pod_spec(ds).get("volumes", [])}[mount["name"]]
                secret = volume.get("secret")
                self.assertTrue(secret, f"{mount['mountPath']} is not a Secret volume")
                key = os.path.relpath(token, mount["mountPath"])
                items = {i["path"]: i["key"] for i in secret.get("items", [])}
                secret_key = items.get(key, key)
                mode = secret.get("defaultMode", 0o644)
                fs_group = pod_spec(ds).get("securityContext", {}).get("fsGroup")
                self.assertTrue(mode & 0o004 or (mode & 0o040 and fs_group == RUN_AS_USER),
                                f"the token file (mode {oct(mode)}, fsGroup {fs_group}) is not readable by user "
                                f"{RUN_AS_USER}")
                self.assertFalse(find(objs, "Secret", secret["secretName"]),
                                 "no token in the repository: each cluster creates its own Secret")
                for endpoint in monitor["spec"]["podMetricsEndpoints"]:
                    creds = endpoint.get("authorization", {}).get("credentials") or endpoint.get("bearerTokenSecret")
                    self.assertTrue(creds, "the PodMonitor must send the admin token")
                    self.assertEqual((creds["name"], creds["key"]), (secret["secretName"], secret_key))

    def test_daemonset_security_and_priority(self):
        for kdir, objs, ds in self.daemonsets():
            with self.subTest(kustomization=kdir):
                spec, c = pod_spec(ds), container(ds, "mcrelay")
                self.assert_restricted(spec, c, f"{kdir} mcrelay")
                sc = {**spec.get("securityContext", {}), **c.get("securityContext", {})}
                self.assertEqual(sc.get("runAsUser"), RUN_AS_USER)
                pc = one(self, objs, "PriorityClass", spec.get("priorityClassName"), kdir)
                self.assertEqual(pc["metadata"]["name"], "mcrelay-node-critical")
                self.assertLessEqual(pc["value"], 1_000_000_000, "user PriorityClasses stop at 1e9")
                self.assertFalse(pc.get("globalDefault", False))

    def test_daemonset_mounts_the_configmap_as_a_directory(self):
        flags = help_flags(MCRELAY_BIN)
        for kdir, objs, ds in self.daemonsets():
            with self.subTest(kustomization=kdir):
                c = container(ds, "mcrelay")
                seen, _unknown, _errors = parse_args(c.get("args", []), flags)
                config = flag_value(seen, "--config")
                self.assertTrue(config and config.startswith("file:"), "--config file:PATH expected")
                path = config[len("file:"):]
                volumes = {v["name"]: v for v in pod_spec(ds).get("volumes", [])}
                (mount,) = [m for m in c.get("volumeMounts", []) if path.startswith(m["mountPath"].rstrip("/") + "/")]
                self.assertNotIn("subPath", mount, "a subPath mount never sees ConfigMap updates: mount the directory")
                cm_ref = volumes[mount["name"]].get("configMap")
                self.assertTrue(cm_ref, f"{mount['mountPath']} is not a ConfigMap volume")
                cm = one(self, objs, "ConfigMap", cm_ref["name"], kdir)
                key = os.path.relpath(path, mount["mountPath"])
                items = {i["path"]: i["key"] for i in cm_ref.get("items", [])} or None
                self.assertIn(items[key] if items else key, cm.get("data", {}),
                              f"ConfigMap {cm_ref['name']} has no {key}")

    def test_mcrelay_args_are_flags_mcrelay_help_lists(self):
        flags = help_flags(MCRELAY_BIN)
        problems = []
        for kdir, objs, ds in self.daemonsets():
            c = container(ds, "mcrelay")
            self.assertFalse(c.get("command"), "use args, keep the image's ENTRYPOINT (mcrelay)")
            _seen, unknown, errors = parse_args(c.get("args", []), flags)
            if unknown:
                problems.append(f"deploy/{kdir}: the DaemonSet passes flags that `mcrelay --help` does not list "
                                f"(not implemented yet?): {', '.join(unknown)}")
            problems += [f"deploy/{kdir}: {e}" for e in errors]
        self.assertFalse(problems, "\n".join(problems))

    def test_daemonset_args_are_accepted_by_the_binary(self):
        """The DaemonSet's exact args plus --validate-config, with the ConfigMap's file in a temp directory."""
        flags = help_flags(MCRELAY_BIN)
        for kdir, objs, ds in self.daemonsets():
            with self.subTest(kustomization=kdir):
                args = [str(a) for a in container(ds, "mcrelay").get("args", [])]
                _seen, unknown, _errors = parse_args(args, flags)
                if unknown:
                    self.skipTest(f"not run: mcrelay --help lacks {', '.join(unknown)} "
                                  f"(test_mcrelay_args_are_flags_mcrelay_help_lists fails for that)")
                cm = one(self, objs, "ConfigMap", "mcrelay-config", kdir)
                text = cm["data"]["config.json"]
                if '"discover"' in text and not discovery_supported()[0]:
                    self.skipTest("not run: mcrelay has no pool discovery yet (see the discovery test)")
                with tempfile.TemporaryDirectory() as tmp:
                    with open(os.path.join(tmp, "config.json"), "w") as f:
                        f.write(text)
                    args = [a.replace("file:/etc/mcrelay/", f"file:{tmp}/") for a in args]
                    proc = run([MCRELAY_BIN, *args, "--validate-config"], timeout=30)
                self.assertEqual(proc.returncode, 0,
                                 f"mcrelay {shlex.join(args)} --validate-config: {proc.stdout}{proc.stderr}")

    # -- the route configs --

    def configmaps(self):
        for kdir, objs in self.rendered():
            cm = one(self, objs, "ConfigMap", "mcrelay-config", kdir)
            yield kdir, objs, cm["data"]["config.json"]

    def test_configs_name_the_statefulset_pods(self):
        for kdir, objs, text in self.configmaps():
            with self.subTest(kustomization=kdir):
                sts = one(self, objs, "StatefulSet", STATEFULSET, kdir)
                svc = sts["spec"]["serviceName"]
                fqdn = f"{svc}.{NAMESPACE_IN_CONFIG}.svc.cluster.local"
                pools = relaxed_json(text)["pools"]
                self.assertTrue(pools)
                for name, pool in pools.items():
                    if "discover" in pool:
                        d = pool["discover"]
                        self.assertEqual(d.get("service"), fqdn, f"pool {name} discovers the wrong Service")
                        self.assertEqual(d.get("port"), MEMCACHED_PORT)
                        self.assertIsInstance(d.get("refresh_ms"), int)
                        self.assertGreater(d["refresh_ms"], 0)
                    else:
                        want = [f"{STATEFULSET}-{i}.{fqdn}:{MEMCACHED_PORT}" for i in range(sts["spec"]["replicas"])]
                        self.assertEqual(pool.get("servers"), want,
                                         f"pool {name}: the servers must be the StatefulSet's pods in ordinal order")

    def test_static_server_configs_pass_validate_config(self):
        checked = 0
        for kdir, _objs, text in self.configmaps():
            if '"discover"' in text:
                continue
            checked += 1
            with self.subTest(kustomization=kdir):
                rc, out = validate_config(text)
                self.assertEqual(rc, 0, f"deploy/{kdir}: mcrelay --validate-config rejects the ConfigMap: {out}")
        self.assertGreater(checked, 0, "no kustomization has an explicit-servers config (overlays/static-servers)")

    def test_discovery_configs_pass_validate_config(self):
        discovering = [(k, o, t) for k, o, t in self.configmaps() if '"discover"' in t]
        self.assertTrue(discovering, "the base's ConfigMap should use discovery")
        supported, probe_output = discovery_supported()
        for kdir, objs, text in discovering:
            with self.subTest(kustomization=kdir):
                if supported:
                    rc, out = validate_config(text)
                    self.assertEqual(rc, 0, f"deploy/{kdir}: mcrelay --validate-config rejects the ConfigMap: {out}")
                else:
                    # What can be checked today: the same config with each discovered pool spelled out.
                    sts = one(self, objs, "StatefulSet", STATEFULSET, kdir)
                    config = relaxed_json(text)
                    for pool in config["pools"].values():
                        d = pool.pop("discover", None)
                        if d:
                            pool["servers"] = [f"{STATEFULSET}-{i}.{d['service']}:{d['port']}"
                                               for i in range(sts["spec"]["replicas"])]
                    rc, out = validate_config(json.dumps(config))
                    self.assertEqual(rc, 0, f"deploy/{kdir}: even with explicit servers the config fails: {out}")
        if not supported:
            self.skipTest("missing feature: pool discovery ({\"discover\": {\"service\", \"port\", \"refresh_ms\"}} "
                          f"instead of \"servers\"); mcrelay says: {probe_output}. The rest of each discovery "
                          "config was validated with explicit servers instead.")

    # -- the application side --

    def test_sample_application_gets_its_node_from_the_downward_api(self):
        for kdir, objs in self.rendered():
            with self.subTest(kustomization=kdir):
                app = one(self, objs, "Deployment", "sample-application-py", kdir)
                c = pod_spec(app)["containers"][0]
                self.assertRegex(c["image"], r"^python:3[.\d]*-alpine")
                env = {e["name"]: e for e in c.get("env", [])}
                for name, path in (("NODE_NAME", "spec.nodeName"), ("HOST_IP", "status.hostIP")):
                    self.assertIn(name, env)
                    self.assertEqual(env[name].get("valueFrom", {}).get("fieldRef", {}).get("fieldPath"), path)

    def test_no_hostport_overlay_uses_a_node_local_service(self):
        for kdir in NO_HOSTPORT:
            with self.subTest(kustomization=kdir):
                self.assertIn(kdir, self.renders, f"deploy/{kdir} is missing")
                objs = self.renders[kdir]
                ds = one(self, objs, "DaemonSet", DAEMONSET, kdir)
                svc = one(self, objs, "Service", "mcrelay", kdir)
                self.assertEqual(svc["spec"].get("internalTrafficPolicy"), "Local")
                self.assertIn(svc["spec"].get("type", "ClusterIP"), ("ClusterIP",))
                self.assertTrue(labels_match(svc["spec"]["selector"], ds["spec"]["template"]["metadata"]["labels"]),
                                "the Service selects no mcrelay pod")
                (port,) = [p for p in svc["spec"]["ports"] if p["port"] == PROXY_PORT]
                c = container(ds, "mcrelay")
                self.assertEqual(resolve_port(c, port.get("targetPort", port["port"])), PROXY_PORT)

    # -- helpers --

    def assert_restricted(self, spec, c, what):
        """Pod Security "restricted" settings (hostPort aside, which only "privileged" allows)."""
        sc = {**spec.get("securityContext", {}), **c.get("securityContext", {})}
        self.assertIs(sc.get("runAsNonRoot"), True, f"{what}: runAsNonRoot")
        self.assertTrue(sc.get("runAsUser"), f"{what}: a numeric non-root runAsUser")
        self.assertIs(c.get("securityContext", {}).get("readOnlyRootFilesystem"), True, f"{what}: readOnlyRootFilesystem")
        self.assertIs(c.get("securityContext", {}).get("allowPrivilegeEscalation"), False, f"{what}: allowPrivilegeEscalation")
        caps = c.get("securityContext", {}).get("capabilities", {})
        self.assertIn("ALL", caps.get("drop", []), f"{what}: capabilities.drop ALL")
        self.assertFalse(caps.get("add"), f"{what}: no added capabilities")
        self.assertFalse(sc.get("privileged"), f"{what}: not privileged")
        self.assertEqual(sc.get("seccompProfile", {}).get("type"), "RuntimeDefault", f"{what}: seccomp RuntimeDefault")
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            self.assertFalse(spec.get(host), f"{what}: {host}")


def quantity_mib(q):
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1024 * 1024,
             "k": 1000 / 1048576, "M": 1e6 / 1048576, "G": 1e9 / 1048576, "T": 1e12 / 1048576}
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]i?|k)?", str(q))
    if not m:
        raise AssertionError(f"cannot read memory quantity {q!r}")
    return float(m.group(1)) * (units[m.group(2)] if m.group(2) else 1 / 1048576)


# ---- the container image ------------------------------------------------------------------------------

def containerfile_stages(path):
    """[(image, alias, [instructions])] with continuation lines joined and comments dropped."""
    with open(path) as f:
        text = f.read()
    text = re.sub(r"^\s*#.*\n", "", text, flags=re.M)
    text = re.sub(r"\\\s*\n", " ", text)
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            m = re.match(r"(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", rest, re.I)
            stages.append((m.group(1), m.group(2), []))
        elif stages:
            stages[-1][2].append((word.upper(), rest.strip()))
    return stages


def apt_packages(instructions):
    pkgs = []
    for word, rest in instructions:
        if word != "RUN":
            continue
        for cmd in re.split(r"&&|;|\|\|", rest):
            toks = cmd.split()
            if "apt-get" in toks and "install" in toks:
                pkgs += [t for t in toks[toks.index("install") + 1:] if not t.startswith("-")]
    return pkgs


def linked_library_packages(binary):
    """{library path: Debian package} for what `ldd binary` lists (sanitizer runtimes left out)."""
    proc = run(["ldd", binary], timeout=30)
    if proc.returncode != 0:
        raise AssertionError(f"ldd {binary}: {proc.stderr}")
    out = {}
    for line in proc.stdout.splitlines():
        m = re.search(r"(/\S+)\s+\(0x", line)
        if not m or re.search(r"lib(a|ub|l|t|hwa)san\.so", m.group(1)):
            continue
        path = m.group(1)
        candidates = [path, os.path.realpath(path)]
        candidates += ["/usr" + c for c in candidates if c.startswith("/lib")]
        candidates += [c[len("/usr"):] for c in candidates if c.startswith("/usr/lib")]
        for cand in candidates:
            q = run(["dpkg-query", "-S", cand], timeout=30)
            if q.returncode == 0:
                out[path] = q.stdout.split(":", 1)[0].strip()
                break
        else:
            out[path] = None
    return out


class Containerfile(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.path.isfile(CONTAINERFILE), f"{CONTAINERFILE} is missing")
        self.stages = containerfile_stages(CONTAINERFILE)

    def test_build_stage(self):
        self.assertGreaterEqual(len(self.stages), 2, "multi-stage: a build stage and a runtime stage")
        image, alias, instructions = self.stages[0]
        self.assertEqual(image, "debian:bookworm")
        self.assertTrue(alias)
        pkgs = apt_packages(instructions)
        for p in ("libboost1.81-dev", "nlohmann-json3-dev", "libfmt-dev", "cmake", "g++"):
            self.assertIn(p, pkgs, f"the build stage must install {p}")
        runs = " ".join(rest for word, rest in instructions if word == "RUN")
        self.assertRegex(runs, r"cmake .*-DMCRELAY_BUILD_TESTS=OFF")
        self.assertRegex(runs, r"cmake --build")

    def test_runtime_stage(self):
        build_alias = self.stages[0][1]
        image, _alias, instructions = self.stages[-1]
        self.assertEqual(image, "debian:bookworm-slim")
        words = dict((w, r) for w, r in instructions)
        self.assertRegex(words.get("USER", ""), rf"^{RUN_AS_USER}(:\d+)?$", "numeric non-root USER 10001")
        self.assertIn(str(PROXY_PORT), words.get("EXPOSE", "").split())
        self.assertIn("mcrelay", words.get("ENTRYPOINT", ""))
        copies = [r for w, r in instructions if w == "COPY"]
        self.assertTrue(any(f"--from={build_alias}" in r and "mcrelay" in r for r in copies),
                        "the runtime stage copies the binary from the build stage")
        pkgs = apt_packages(instructions)
        dev = [p for p in pkgs if p.endswith("-dev") or p in ("g++", "gcc", "cmake", "make")]
        self.assertFalse(dev, f"the runtime stage installs build tools: {dev}")

    def test_runtime_packages_provide_every_linked_library(self):
        self.assertTrue(os.path.exists(MCRELAY_BIN), f"{MCRELAY_BIN} not built")
        self.assertTrue(shutil.which("dpkg-query"), "needs Debian's dpkg-query to map libraries to packages")
        pkgs = set(apt_packages(self.stages[-1][2]))
        libs = linked_library_packages(MCRELAY_BIN)
        self.assertTrue(libs)
        unowned = [lib for lib, pkg in libs.items() if pkg is None]
        self.assertFalse(unowned, f"libraries no Debian package provides (cannot be installed in the image): {unowned}")
        # libc6 is in every Debian image; everything else must be named in the runtime stage.
        missing = {lib: pkg for lib, pkg in libs.items() if pkg not in pkgs and pkg != "libc6"}
        self.assertFalse(missing, f"the runtime stage does not install these linked libraries' packages: {missing}")


# ---- the documentation ----------------------------------------------------------------------------------

class Docs(unittest.TestCase):
    def test_walkthrough_matches_the_manifests(self):
        path = os.path.join(SOURCE_DIR, "docs", "kubernetes.md")
        self.assertTrue(os.path.isfile(path), "docs/kubernetes.md is missing")
        with open(path) as f:
            text = f.read()
        # The Pod Security label the hostPort needs: baseline (and so restricted) forbid any hostPort.
        self.assertIn("pod-security.kubernetes.io/enforce=privileged", text.replace(": ", "="))
        for target in re.findall(r"kubectl apply -k ([\w./-]+)", text):
            self.assertTrue(os.path.isdir(os.path.join(SOURCE_DIR, target)), f"docs apply a missing {target}")


if __name__ == "__main__":
    unittest.main()

// Validates Kubernetes objects against the Kubernetes API schemas, offline.
//
//   kubectl kustomize deploy/base | node tests/e2e/manifests/validate.mjs -
//   node tests/e2e/manifests/validate.mjs rendered.yaml [more.yaml ...]
//   node tests/e2e/manifests/validate.mjs --self-test
//
// Two checks per object, each from a package generated from the Kubernetes OpenAPI spec:
//   1. kubernetes-models (its compiled JSON-schema validators): required fields, types, enums, formats
//      (int32, quantities, int-or-string). It does NOT reject unknown fields: its schemas have no
//      additionalProperties: false (the self-test below proves both points).
//   2. @kubernetes/client-node's generated model metadata (attributeTypeMap, one per API type): walked
//      alongside the object, it rejects every field the API does not define, at any depth, and checks
//      that objects, arrays and maps are where the API has them. This is what `kubectl apply` does with
//      the server's field validation ("strict"), where a typo such as `imagee:` is an error, not a no-op.
//
// Output: one JSON document on stdout, {"ok": bool, "validators": {...}, "objects": [{"index", "apiVersion",
// "kind", "name", "errors": [...]}]}. Exit 0 when every object is valid, 1 when some is not, 2 when the
// validator itself could not run (bad input, missing packages).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseAllDocuments } from "yaml";

const require = createRequire(import.meta.url);

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")).version;
  } catch {
    // Packages whose "exports" hide package.json: find it next to the resolved entry point.
    const entry = require.resolve(name);
    const root = entry.slice(0, entry.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length);
    return JSON.parse(readFileSync(`${root}package.json`, "utf8")).version;
  }
}

// ---- check 1: kubernetes-models ------------------------------------------------------------------------

function splitApiVersion(apiVersion) {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

const modelCache = new Map();
async function kubernetesModelsClass(apiVersion, kind) {
  const { group, version } = splitApiVersion(apiVersion);
  const spec = group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
  if (!modelCache.has(spec)) {
    let cls = null;
    try {
      cls = (await import(spec))[kind] ?? null;
    } catch {
      cls = null;
    }
    modelCache.set(spec, cls);
  }
  return modelCache.get(spec);
}

async function checkKubernetesModels(obj) {
  const cls = await kubernetesModelsClass(obj.apiVersion, obj.kind);
  if (!cls) return [`unknown apiVersion/kind ${obj.apiVersion} ${obj.kind} (no such type in the Kubernetes API)`];
  try {
    new cls(structuredClone(obj)).validate();
    return [];
  } catch (e) {
    // ajv's messages: "data/spec/replicas must be integer"; several are joined by ", ".
    return String(e.message)
      .split(/,\s(?=data[/ ])/)
      .map((m) => `schema: ${m.replace(/^data/, "")}`);
  }
}

// ---- check 2: unknown fields, from @kubernetes/client-node's model metadata ----------------------------

const CLIENT_MODELS = "@kubernetes/client-node/dist/gen/models";
const typeCache = new Map();
async function attributeMap(typeName) {
  if (!typeCache.has(typeName)) {
    let attrs = null;
    try {
      const mod = await import(`${CLIENT_MODELS}/${typeName}.js`);
      const cls = mod[typeName];
      if (cls && typeof cls.getAttributeTypeMap === "function") attrs = cls.getAttributeTypeMap();
    } catch {
      attrs = null;
    }
    typeCache.set(typeName, attrs);
  }
  return typeCache.get(typeName);
}

// The client's class name for a top-level kind: "apps/v1" DaemonSet -> V1DaemonSet.
function clientTypeName(apiVersion, kind) {
  const { version } = splitApiVersion(apiVersion);
  return version.charAt(0).toUpperCase() + version.slice(1) + kind;
}

const SCALARS = new Set(["string", "number", "boolean", "Date", "IntOrString", "any", "object"]);

function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

async function walk(value, type, path, errors) {
  if (value === null || value === undefined) return; // null = unset, as the API server reads it
  if (SCALARS.has(type)) {
    // Scalar types and formats are check 1's job (it knows quantities and int-or-string); here only the
    // shape: a scalar field must not hold a list or an object (except free-form "any"/"object").
    if (type !== "any" && type !== "object" && typeof value === "object") {
      errors.push(`${path}: expected ${type === "IntOrString" ? "an int or a string" : `a ${type}`}, got ${describe(value)}`);
    }
    return;
  }
  let m = /^Array<(.+)>$/.exec(type);
  if (m) {
    if (!Array.isArray(value)) {
      errors.push(`${path}: expected a list, got ${describe(value)}`);
      return;
    }
    for (let i = 0; i < value.length; i++) await walk(value[i], m[1], `${path}[${i}]`, errors);
    return;
  }
  m = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (m) {
    if (typeof value !== "object" || Array.isArray(value)) {
      errors.push(`${path}: expected a map, got ${describe(value)}`);
      return;
    }
    for (const [k, v] of Object.entries(value)) await walk(v, m[1], `${path}[${JSON.stringify(k)}]`, errors);
    return;
  }
  const attrs = await attributeMap(type);
  if (!attrs) {
    errors.push(`${path}: validator cannot interpret API type "${type}"`);
    return;
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    errors.push(`${path}: expected an object (${type}), got ${describe(value)}`);
    return;
  }
  const fields = new Map(attrs.map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    const child = path ? `${path}.${k}` : k;
    if (!fields.has(k)) {
      errors.push(`${child}: unknown field "${k}" (not in ${type}; known: ${[...fields.keys()].join(", ")})`);
      continue;
    }
    await walk(v, fields.get(k), child, errors);
  }
}

async function checkUnknownFields(obj) {
  const typeName = clientTypeName(obj.apiVersion, obj.kind);
  if (!(await attributeMap(typeName))) {
    return [`unknown apiVersion/kind ${obj.apiVersion} ${obj.kind} (no API type ${typeName})`];
  }
  const errors = [];
  await walk(obj, typeName, "", errors);
  return errors.map((e) => `strict: ${e}`);
}

// ---- driver ---------------------------------------------------------------------------------------------

async function validateObject(obj, index) {
  const result = {
    index,
    apiVersion: obj?.apiVersion ?? null,
    kind: obj?.kind ?? null,
    name: obj?.metadata?.name ?? null,
    errors: [],
  };
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) {
    result.errors.push(`document ${index} is ${describe(obj)}, not a Kubernetes object`);
    return result;
  }
  if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
    result.errors.push("apiVersion and kind are required strings");
    return result;
  }
  if (!result.name) result.errors.push("metadata.name is required");
  if (!(await kubernetesModelsClass(obj.apiVersion, obj.kind))) {
    result.errors.push(`unknown apiVersion/kind: ${obj.apiVersion} ${obj.kind} is not a type of the Kubernetes API`);
    return result;
  }
  result.errors.push(...(await checkKubernetesModels(obj)), ...(await checkUnknownFields(obj)));
  return result;
}

function validators() {
  return {
    "kubernetes-models": packageVersion("kubernetes-models"),
    "@kubernetes/client-node": packageVersion("@kubernetes/client-node"),
    yaml: packageVersion("yaml"),
  };
}

async function validateAll(objects) {
  const results = [];
  for (let i = 0; i < objects.length; i++) results.push(await validateObject(objects[i], i));
  return { ok: results.every((r) => r.errors.length === 0), validators: validators(), objects: results };
}

function parseYamlStream(text, source) {
  const objects = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`${source}: YAML error: ${doc.errors[0].message}`);
    const value = doc.toJS();
    if (value === null || value === undefined) continue; // empty document (e.g. a trailing "---")
    if (value.kind === "List" && Array.isArray(value.items)) objects.push(...value.items);
    else objects.push(value);
  }
  return objects;
}

// The self-test: the validator must accept a correct object and reject each kind of mistake. If a package
// upgrade ever weakened a check, this fails instead of every manifest silently "passing".
async function selfTest() {
  const good = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "ok", labels: { app: "x" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "x" } },
      template: {
        metadata: { labels: { app: "x" } },
        spec: {
          containers: [
            {
              name: "c",
              image: "busybox",
              ports: [{ containerPort: 5000, hostPort: 5000 }],
              resources: { requests: { cpu: "250m", memory: 64 }, limits: { memory: "1Gi" } },
              env: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
            },
          ],
        },
      },
    },
  };
  const mutate = (f) => {
    const o = structuredClone(good);
    f(o);
    return o;
  };
  const container = (o) => o.spec.template.spec.containers[0];
  const cases = [
    { name: "a correct Deployment is accepted", obj: good, valid: true },
    { name: "unknown field in spec", obj: mutate((o) => (o.spec.replica = 2)), valid: false, mention: "spec.replica" },
    { name: "unknown top-level field", obj: mutate((o) => (o.specs = {})), valid: false, mention: "specs" },
    { name: "unknown field in a container (typo)", obj: mutate((o) => (container(o).imagee = "x")), valid: false, mention: "imagee" },
    { name: "unknown field in a port", obj: mutate((o) => (container(o).ports[0].hostport = 1)), valid: false, mention: "hostport" },
    { name: "unknown field under a downward-API env", obj: mutate((o) => (container(o).env[0].valueFrom.fieldRef.path = "x")), valid: false, mention: "fieldRef.path" },
    { name: "wrong type (replicas as a string)", obj: mutate((o) => (o.spec.replicas = "two")), valid: false, mention: "replicas" },
    { name: "a list where an object belongs", obj: mutate((o) => (o.spec.selector = [])), valid: false, mention: "selector" },
    { name: "missing required field (container name)", obj: mutate((o) => delete container(o).name), valid: false, mention: "name" },
    { name: "enum violation (port protocol)", obj: mutate((o) => (container(o).ports[0].protocol = "QUIC")), valid: false, mention: "protocol" },
    { name: "unknown kind", obj: mutate((o) => (o.kind = "Deploymnet")), valid: false, mention: "Deploymnet" },
  ];
  const report = [];
  let ok = true;
  for (const c of cases) {
    const r = await validateObject(c.obj, 0);
    const valid = r.errors.length === 0;
    const mentioned = c.mention ? r.errors.some((e) => e.includes(c.mention)) : true;
    const passed = valid === c.valid && (c.valid || mentioned);
    ok &&= passed;
    report.push({ case: c.name, passed, expected: c.valid ? "valid" : `invalid, mentioning "${c.mention}"`, errors: r.errors });
  }
  return { ok, validators: validators(), selfTest: report };
}

async function main(argv) {
  if (argv.includes("--self-test")) return selfTest();
  const sources = argv.length ? argv : ["-"];
  const objects = [];
  for (const src of sources) {
    const text = readFileSync(src === "-" ? 0 : src, "utf8");
    objects.push(...parseYamlStream(text, src === "-" ? "<stdin>" : src));
  }
  if (objects.length === 0) throw new Error("no Kubernetes objects in the input");
  return validateAll(objects);
}

main(process.argv.slice(2)).then(
  (out) => {
    process.stdout.write(JSON.stringify(out, null, 2) + "\n");
    process.exitCode = out.ok ? 0 : 1;
  },
  (err) => {
    process.stderr.write(`validate.mjs: ${err.stack || err}\n`);
    process.exitCode = 2;
  },
);

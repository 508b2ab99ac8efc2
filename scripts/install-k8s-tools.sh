#!/usr/bin/env bash
# Installs what tests/e2e/test_manifests.py needs to check deploy/ on Debian 12 (bookworm), as root:
#   - kubectl, to render the kustomizations. An installed kubectl is kept as it is; otherwise Debian's
#     kubernetes-client (kubectl 1.20, built-in kustomize v2.0.3, which deploy/ is written to support).
#   - node and npm (Debian's nodejs 18 and npm 9 unless a node is already installed),
#   - python3-yaml for /usr/bin/python3,
#   - the npm packages of the schema validator (tests/e2e/manifests/package.json, pinned by its committed
#     package-lock.json), installed into tests/e2e/manifests/node_modules with `npm ci`.
# Idempotent: what is present is skipped, and `npm ci` only runs again when package-lock.json changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VALIDATOR_DIR="$ROOT/tests/e2e/manifests"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
# A node from elsewhere (NodeSource) brings its own npm; Debian's nodejs does not.
command -v npm >/dev/null 2>&1 || missing+=(npm)
/usr/bin/python3 -c 'import yaml' >/dev/null 2>&1 || missing+=(python3-yaml)
command -v dpkg-query >/dev/null 2>&1 || { echo "install-k8s-tools: needs Debian (dpkg)" >&2; exit 1; }

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-k8s-tools: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
  echo "install-k8s-tools: node $(node --version) is too old; the validator needs node >= 18" >&2
  exit 1
fi

# The validator's packages. A stamp holding the lock file's checksum tells whether node_modules is current.
stamp="$VALIDATOR_DIR/node_modules/.mcrelay-lock.sha256"
want="$(sha256sum "$VALIDATOR_DIR/package-lock.json" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "install-k8s-tools: npm ci in ${VALIDATOR_DIR#"$ROOT"/}" >&2
  (cd "$VALIDATOR_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

echo "install-k8s-tools: kubectl $(kubectl version --client 2>/dev/null | head -n1 | sed 's/^Client Version: //'), node $(node --version), npm $(npm --version 2>/dev/null)" >&2

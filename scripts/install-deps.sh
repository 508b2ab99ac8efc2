#!/usr/bin/env bash
# Installs everything mcrelay needs to build, run, test and benchmark on Debian 12 (bookworm).
# Idempotent: packages already present are skipped quickly. Must run as root (or with sudo available).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PKGS=(
  # build
  build-essential cmake pkg-config git
  libboost1.81-dev nlohmann-json3-dev libfmt-dev catch2
  # twemproxy YAML configs (the parser nutcracker itself uses)
  libyaml-dev
  # TLS to clients and to servers (OpenSSL 3 through Boost.Asio's ssl); the openssl CLI makes the tests'
  # and the benchmark's certificates
  libssl-dev openssl
  # sanitizers/fuzzing toolchain (clang's runtime for ASan/UBSan/libFuzzer)
  clang libclang-rt-14-dev
  # real servers and clients for tests
  memcached python3 python3-pymemcache python3-prometheus-client libmemcached-tools
  # benchmark peers and load generator; strace counts system calls per request (bench/run_bench.py --strace)
  nutcracker strace
  # network namespaces + cluster DNS for the Kubernetes lab test
  iproute2 dnsmasq-base procps
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The Debian memcached package starts a system service on 11211; tests never depend on it and it would
# only hold a port and memory, so stop it when systemd/service is present (ignore failure in containers).
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now memcached >/dev/null 2>&1 || true; fi

# Tools for the Kubernetes manifest tests (kubectl/kustomize, node + the schema validator packages).
bash "$(dirname "$0")/install-k8s-tools.sh"

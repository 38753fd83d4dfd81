#!/usr/bin/env bash
# Installs what netlab needs on Debian 12 or Ubuntu 24.04: the system tools it
# runs and the project's npm dependencies (which also builds dist/). Safe to run
# again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# iproute2: ip and bridge; procps: sysctl; python3: the container runtime;
# iputils-ping, tcpdump: the checks; nftables: the root-namespace fingerprint;
# graphviz: `netlab graph` renders SVG with dot; curl: the workshop exercises.
# nftables and iptables: kube-proxy's two modes for Services; dnsmasq-base:
# cluster DNS; dnsutils: dig and nslookup, for DNS tests and students;
# bird2: Calico's BGP daemon, one per node namespace in calico labs;
# containernetworking-plugins: the CNI reference plugins (/usr/lib/cni), for
# network.cni reference and conflists; netcat-openbsd: `nc`, as the README's
# examples talk to a pod's port (and util-linux's nsenter, essential anyway);
# nginx: ingress-nginx's controller and the Gateways' data plane, one nginx per
# pod namespace; openssl: the certificates of the Ingresses' TLS hosts.
PACKAGES=(iproute2 procps python3 iputils-ping tcpdump nftables iptables dnsmasq-base dnsutils graphviz curl bird2 containernetworking-plugins netcat-openbsd util-linux nginx openssl)

# --tests: also what the test suite needs beyond netlab itself. chromium: the
# browser the test of `netlab ui` drives headless (playwright-core, an npm
# dev dependency, points at Debian's binary; nothing downloads a browser).
if [ "${1:-}" = "--tests" ]; then
  PACKAGES+=(chromium)
elif [ $# -gt 0 ]; then
  echo "setup.sh: unknown option $1 (the only one is --tests)" >&2
  exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: run as root (sudo $0): it installs system packages" >&2
  exit 3
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # bird2 ships a service that a systemd machine starts at once, in the host's
  # own namespace. netlab runs BIRD only inside its labs' node namespaces:
  # stop the one the package just started (never one that ran before).
  if [[ " ${missing[*]} " == *" bird2 "* ]] && [ -d /run/systemd/system ]; then
    systemctl disable --now bird.service >/dev/null 2>&1 || true
  fi
  # nginx likewise: netlab runs it only in its labs' controller pods.
  if [[ " ${missing[*]} " == *" nginx "* ]]; then
    if [ -d /run/systemd/system ]; then
      systemctl disable --now nginx.service >/dev/null 2>&1 || true
    else
      invoke-rc.d nginx stop >/dev/null 2>&1 || true
    fi
  fi
fi

if ! command -v node >/dev/null 2>&1; then
  echo "setup.sh: Node.js 20 or newer is needed and none is installed" >&2
  exit 3
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "setup.sh: Node.js $(node --version) is too old: netlab needs 20 or newer" >&2
  exit 3
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm run --silent build
fi

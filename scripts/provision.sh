#!/usr/bin/env bash
# Makes a machine ready for netlab: the system tools, Node.js 20 or newer,
# the npm dependencies, `netlab` on the PATH, and a smoke test at the end so a
# broken machine shows at `vagrant up`, not in class.
#
#   sudo scripts/provision.sh [REPO_DIR]
#
# Used by the Vagrantfile, and fine on a plain Debian 12 or Ubuntu 24.04
# machine. Idempotent: a second run installs nothing new and succeeds.
set -euo pipefail
repo="$(cd "${1:-$(dirname "$0")/..}" && pwd)"
cd "$repo"
export DEBIAN_FRONTEND=noninteractive
say() { printf 'provision: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "provision.sh: run as root (sudo $0)" >&2
  exit 3
fi
if [ -r /etc/os-release ]; then
  . /etc/os-release
  case "${ID:-}" in debian | ubuntu) ;; *) say "untested on ${PRETTY_NAME:-this system}; going on" ;; esac
fi

node_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' || echo 0; }

# Node.js: the distribution's when it is 20 or newer; otherwise (Debian 12 and
# Ubuntu 24.04 ship 18) an LTS build from the npm registry, which needs only
# the distribution's npm to fetch it.
if [ "$(node_major)" -lt 20 ]; then
  say "installing Node.js"
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
  if [ "$(node_major)" -lt 20 ]; then
    npm install --global --no-audit --no-fund --loglevel=error node@22
    hash -r
  fi
fi
if [ "$(node_major)" -lt 20 ]; then
  echo "provision.sh: could not install Node.js 20 or newer (have $(node --version 2>/dev/null || echo none))" >&2
  exit 3
fi
say "Node.js $(node --version)"

# System packages, npm dependencies, dist/.
./scripts/setup.sh

# `netlab` on the PATH for every user: it runs itself with sudo, since labs
# are namespaces and only root makes those.
wrapper="/usr/local/bin/netlab"
wanted="#!/bin/sh
# installed by netlab's scripts/provision.sh
[ \"\$(id -u)\" -eq 0 ] || exec sudo \"\$0\" \"\$@\"
exec node \"$repo/bin/netlab.js\" \"\$@\""
if [ ! -f "$wrapper" ] || [ "$(cat "$wrapper")" != "$wanted" ]; then
  say "installing $wrapper"
  printf '%s\n' "$wanted" >"$wrapper"
  chmod 755 "$wrapper"
fi

say "smoke test: netlab test labs/two-node.yaml"
netlab test labs/two-node.yaml
say "ready: try \`netlab up labs/two-node.yaml\`, then docs/workshop/01-a-pod-is-a-namespace.md"

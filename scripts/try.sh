#!/usr/bin/env bash
# From a fresh clone to a working lab: installs what is missing, brings up
# labs/two-node.yaml (seed 000's picture) and shows a packet crossing nodes.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
netlab() { node bin/netlab.js "$@"; }
show() { printf '\n$ %s\n' "$*"; "$@"; }

netlab up labs/two-node.yaml
show netlab status two-node
show netlab exec two-node node1 -- ip route
show netlab exec two-node node1 -- bridge fdb show dev flannel.1
show netlab exec two-node pod1 -- ping -c 3 10.244.1.3
printf '\nThe lab stays up: explore it with `npx netlab exec two-node NODE-OR-POD -- CMD`, remove it with `npx netlab down two-node`.\n'

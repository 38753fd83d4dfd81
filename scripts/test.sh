#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, then unit
# tests (no root needed) and integration tests on the real kernel (root).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --tests
npm test

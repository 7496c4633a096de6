#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what is missing, starts RabbitMQ and the
# MongoDB-wire server, removes vhosts interrupted runs left behind, type-checks and lints, then runs the unit,
# integration, end-to-end and fault tests against the real services (the progress page's test in
# Debian's headless Chromium, installed by provision-browser.sh when missing; the SIGKILL storm at
# its CI size, 1,000 contacts — `npm run test:faults` runs it at 5,000). Then the integration and
# end-to-end suites again on a second MongoDB-wire implementation, SecantusDB (`npm run
# test:compat`, scripts/test-compat.sh; docs/infrastructure.md).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
bash "$ROOT/scripts/with-infra.sh" bash -c '
  set -euo pipefail
  tsx test/support/cleanup-vhosts.ts
  bash scripts/cleanup-test-servers.sh
  echo "[test] type-check, lint and format, import boundaries"
  tsc -p tsconfig.json
  npm run -s lint
  CHROMIUM_PATH="$(bash scripts/provision-browser.sh)"; export CHROMIUM_PATH
  echo "[test] unit, integration, end-to-end and fault tests"
  bash scripts/run-tests.sh test/unit test/integration test/e2e test/faults
'
bash "$ROOT/scripts/test-compat.sh"

#!/usr/bin/env bash
# Stops the private servers that fault tests start for themselves (a RabbitMQ node, a 3-node
# RabbitMQ cluster from scripts/provision-cluster.sh, and a MongoDB-wire server, each with its data
# under $TMPDIR/disparo-{rabbitmq,cluster,mongo}-*), and the SecantusDB server of scripts/test-compat.sh
# (data under $TMPDIR/disparo-secantus-*), when a killed
# test run left them behind, and removes their data. Only what is older than any test run
# (30 minutes), so a run going on beside this one keeps its servers. Run by scripts/test.sh.
set -uo pipefail
TMP="${TMPDIR:-/tmp}"
OLDER=1800
stopped=0
# The wire server carries its data file on its command line.
pkill -O "$OLDER" -f "MongoWire 127.0.0.1 [0-9]+ $TMP/disparo-mongo-" 2>/dev/null && stopped=1
pkill -O "$OLDER" -f "secantusd-py .*--storage-path $TMP/disparo-secantus-" 2>/dev/null && stopped=1
# A RabbitMQ node does not (its settings come from the environment it was started with).
for pid in $(pgrep -O "$OLDER" -f beam.smp 2>/dev/null); do
  if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -Eq "^RABBITMQ_MNESIA_BASE=$TMP/disparo-(rabbitmq|cluster)-"; then
    kill "$pid" 2>/dev/null && stopped=1
  fi
done
[ "$stopped" = 1 ] && echo "[test] stopped test servers left by an earlier run" >&2
find "$TMP" -maxdepth 1 \( -name 'disparo-mongo-*' -o -name 'disparo-rabbitmq-*' -o -name 'disparo-cluster-*' -o -name 'disparo-cli-*' -o -name 'disparo-secantus-*' \) -mmin +30 -exec rm -rf {} + 2>/dev/null
exit 0

#!/usr/bin/env bash
# A 3-node RabbitMQ cluster on loopback, from the installed Debian rabbitmq-server, for tests and
# trials of Disparo against a cluster. Never touches the shared node (rabbit@…, port 5672).
#
#   bash scripts/provision-cluster.sh start [DIR]   starts three nodes, joins them, prints the
#                                                   environment (also written to DIR/cluster.env):
#                                                   RABBITMQ_URL=amqp://…:P1,amqp://…:P2,amqp://…:P3
#                                                   CLUSTER_NODES=n1@localhost,n2@…,n3@…
#   bash scripts/provision-cluster.sh stop DIR      stops the three nodes and removes DIR
#
# Each node has its own node name, AMQP port, distribution port, data and log directories, and no
# plugins (so no management listener). All run as the broker's OS user, so they share its Erlang
# cookie, which clustering needs. DIR defaults to a new $TMPDIR/disparo-cluster-XXXX;
# scripts/cleanup-test-servers.sh stops and removes ones a killed run left behind.
set -euo pipefail

RABBITMQ_BIN=/usr/lib/rabbitmq/bin
TMP="${TMPDIR:-/tmp}"

tool() { # tool NAME ENV-FILE ARGS… — runs a RabbitMQ tool as the broker's user, with the node's environment
  local name="$1" envfile="$2"
  shift 2
  local binary="$name"
  [ -x "$RABBITMQ_BIN/$name" ] && binary="$RABBITMQ_BIN/$name"
  local command
  command="set -a; [ -n '$envfile' ] && . '$envfile'; set +a; cd /tmp; ulimit -n \"\$(ulimit -Hn)\" 2>/dev/null; exec $binary $(printf "'%s' " "$@")"
  if [ "$(id -u)" = 0 ]; then su rabbitmq -s /bin/sh -c "$command"; else sh -c "$command"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_ports() { # free_ports COUNT — COUNT ports free right now, picked at random between 20000 and 59999
  local found=() port
  while [ "${#found[@]}" -lt "$1" ]; do
    port=$((20000 + RANDOM % 40000))
    port_in_use "$port" || [[ " ${found[*]} " == *" $port "* ]] || found+=("$port")
  done
  echo "${found[@]}"
}

await_node() { # await_node NODE ENV-FILE — until the node answers (await_startup fails at once while it boots)
  local deadline=$((SECONDS + 120))
  until tool rabbitmqctl "$2" -n "$1" await_startup --timeout 10 >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "node $1 did not start" >&2; return 1; }
    sleep 0.5
  done
}

start() {
  local dir="${1:-}"
  [ -n "$dir" ] || dir="$(mktemp -d "$TMP/disparo-cluster-XXXXXX")"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown "$(id -u rabbitmq)" "$dir"
  local id ports urls=() nodes=()
  id="$(basename "$dir" | tr -dc 'a-zA-Z0-9' | tail -c 6)"
  read -r -a ports <<<"$(free_ports 6)"
  for i in 1 2 3; do
    local node="disparo-c$i-$id@localhost" amqp="${ports[$(((i - 1) * 2))]}" dist="${ports[$(((i - 1) * 2 + 1))]}"
    local home="$dir/n$i"
    mkdir -p "$home"
    echo '[].' >"$home/enabled_plugins"
    cat >"$home/env" <<EOF
RABBITMQ_NODENAME=$node
RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
RABBITMQ_NODE_PORT=$amqp
RABBITMQ_DIST_PORT=$dist
RABBITMQ_MNESIA_BASE=$home/mnesia
RABBITMQ_LOG_BASE=$home/log
RABBITMQ_ENABLED_PLUGINS_FILE=$home/enabled_plugins
RABBITMQ_PID_FILE=$home/pid
EOF
    # Disparo's node settings (scripts/rabbitmq/advanced.config: the quorum-queue tick; file handles
    # counted as with LimitNOFILE=65536, 3 per quorum queue, while the tool above raises the soft
    # open-files limit to the hard one; docs/infrastructure.md).
    cp "$(dirname "$0")/rabbitmq/advanced.config" "$home/advanced.config"
    echo "RABBITMQ_ADVANCED_CONFIG_FILE=$home/advanced.config" >>"$home/env"
    [ "$(id -u)" = 0 ] && chown -R "$(id -u rabbitmq)" "$home"
    tool rabbitmq-server "$home/env" -detached
    nodes+=("$node")
    urls+=("amqp://guest:guest@127.0.0.1:$amqp")
  done
  # A node that does not come up takes the others down with it: nothing is left running.
  for i in 1 2 3; do await_node "${nodes[$((i - 1))]}" "$dir/n$i/env" || { stop "$dir"; exit 1; }; done
  for i in 2 3; do
    local node="${nodes[$((i - 1))]}" envfile="$dir/n$i/env"
    # join_cluster prints harmless errors about tracking tables of the node being joined: kept in a log.
    if ! { tool rabbitmqctl "$envfile" -n "$node" stop_app &&
      tool rabbitmqctl "$envfile" -n "$node" join_cluster "${nodes[0]}" &&
      tool rabbitmqctl "$envfile" -n "$node" start_app; } >>"$dir/join.log" 2>&1; then
      cat "$dir/join.log" >&2
      stop "$dir"
      exit 1
    fi
    await_node "$node" "$envfile"
  done
  local joined
  joined="$(IFS=,; echo "${urls[*]}")"
  {
    echo "RABBITMQ_URL=$joined"
    echo "CLUSTER_NODES=$(IFS=,; echo "${nodes[*]}")"
    echo "CLUSTER_DIR=$dir"
  } | tee "$dir/cluster.env"
}

stop() {
  local dir="$1"
  [ -d "$dir" ] || return 0
  for envfile in "$dir"/n*/env; do
    [ -f "$envfile" ] || continue
    local node
    node="$(sed -n 's/^RABBITMQ_NODENAME=//p' "$envfile")"
    tool rabbitmqctl "$envfile" -n "$node" stop >/dev/null 2>&1 &
    local stopping=$! waited=0
    while kill -0 "$stopping" 2>/dev/null && [ "$waited" -lt 60 ]; do sleep 1; waited=$((waited + 1)); done
    kill "$stopping" 2>/dev/null || true
    # `rabbitmqctl stop` can hang on a node with many quorum queues: its pid file settles it.
    local pid
    pid="$(cat "$(dirname "$envfile")/pid" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) [ -n "${2:-}" ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$2" ;;
  *) echo "usage: $0 start [DIR] | stop DIR" >&2; exit 2 ;;
esac

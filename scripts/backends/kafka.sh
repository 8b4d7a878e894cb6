#!/usr/bin/env bash
# Single-node Kafka (KRaft: one process is broker and controller) on loopback for Flywheel's
# tests, without Docker. Jars come from Maven Central (org.apache.kafka:kafka_2.13 plus a
# reload4j logging backend) and are cached in ~/.m2; runtime state lives in <repo>/.backends/kafka.
#
#   scripts/backends/kafka.sh start|stop|status|version|reset
#
# Environment:
#   FLYWHEEL_TEST_KAFKA_PORT             client (PLAINTEXT) port (default 9092)
#   FLYWHEEL_TEST_KAFKA_CONTROLLER_PORT  KRaft controller port (default 9093)
#   FLYWHEEL_KAFKA_HEAP                  JVM heap, -Xms/-Xmx (default 512m)
#   FLYWHEEL_KAFKA_JAVA_OPTS             extra JVM flags, whitespace-separated
#   FLYWHEEL_BACKENDS_TIMEOUT            seconds to wait for readiness (default 120)
#   FLYWHEEL_BACKENDS_STOP_TIMEOUT       seconds between TERM and KILL on stop (default 60)
#   FLYWHEEL_JAVA17_HOME                 JDK 17 home (default /usr/lib/jvm/java-17-openjdk-amd64)
set -euo pipefail

NAME=kafka
KAFKA_VERSION=3.9.2   # verified to resolve with all its dependencies from Maven Central
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

PORT="${FLYWHEEL_TEST_KAFKA_PORT:-9092}"
validate_port FLYWHEEL_TEST_KAFKA_PORT "$PORT"
CONTROLLER_PORT="${FLYWHEEL_TEST_KAFKA_CONTROLLER_PORT:-9093}"
HEAP="${FLYWHEEL_KAFKA_HEAP:-512m}"
HOME_DIR="$STATE_ROOT/kafka"
PIDFILE="$STATE_ROOT/kafka.pid"
LOGS="$HOME_DIR/logs"
DATA="$HOME_DIR/data"
CONF="$HOME_DIR/config"
MAIN_CLASS=kafka.Kafka

# api_versions: a Kafka ApiVersions v0 request (api_key 18, correlation id 1, client id "fw");
# a ready broker answers with correlation id 1 and error code 0.
api_versions() {
  local reply
  # shellcheck disable=SC2016 # $0 is for the inner shell
  reply="$(timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "\x00\x00\x00\x0c\x00\x12\x00\x00\x00\x00\x00\x01\x00\x02fw" >&3
    head -c 10 <&3 | od -An -tx1' "$PORT" 2>/dev/null)" || return 1
  reply="${reply//[[:space:]]/}"
  [[ ${#reply} -eq 20 && "${reply:8:12}" == 000000010000 ]]
}

# JVM flags as Kafka's kafka-run-class.sh sets them, plus our log4j config and log dir.
jvm_flags() {
  JVM=("$JAVA" "-Xms$HEAP" "-Xmx$HEAP"
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true
    "-Dlog4j.configuration=file:$BACKENDS_DIR/kafka-log4j.properties" "-Dkafka.logs.dir=$LOGS"
  )
  # Extra JVM flags, split on whitespace.
  local -a extra
  read -r -a extra <<<"${FLYWHEEL_KAFKA_JAVA_OPTS:-}"
  JVM+=("${extra[@]}")
}

cmd_start() {
  local pid
  if pid="$(pid_alive "$PIDFILE" "$MAIN_CLASS")"; then
    check_running_port "$PORT" FLYWHEEL_TEST_KAFKA_PORT
    log "already running (pid $pid, 127.0.0.1:$PORT)"
    return 0
  fi
  validate_port FLYWHEEL_TEST_KAFKA_CONTROLLER_PORT "$CONTROLLER_PORT"
  [[ "$PORT" != "$CONTROLLER_PORT" ]] || die "client and controller ports must differ ($PORT)"
  port_open "$PORT" && die "port $PORT is already in use by another process (set FLYWHEEL_TEST_KAFKA_PORT)"
  port_open "$CONTROLLER_PORT" && die "controller port $CONTROLLER_PORT is already in use (set FLYWHEEL_TEST_KAFKA_CONTROLLER_PORT)"
  require_java17
  mkdir -p "$LOGS" "$DATA" "$CONF"
  resolve_classpath "$BACKENDS_DIR/kafka-pom.xml" kafka.version "$KAFKA_VERSION"

  sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" -e "s|@DATA@|$DATA|g" \
    "$BACKENDS_DIR/kafka-server.properties.template" >"$CONF/server.properties"

  local t0 JVM
  jvm_flags
  t0=$(now_ms)
  if [[ ! -f "$DATA/meta.properties" ]]; then
    # KRaft needs a formatted log dir; the cluster id is 16 random bytes, base64url, unpadded.
    local cluster_id
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    # A cluster id starting with '-' would be read as an option by StorageTool: force a letter first.
    cluster_id="A${cluster_id:1}"
    log "formatting $DATA (cluster id $cluster_id)"
    if ! "${JVM[@]}" -XX:TieredStopAtLevel=1 -cp "$CLASSPATH_JARS" kafka.tools.StorageTool format -t "$cluster_id" -c "$CONF/server.properties" \
        --ignore-formatted >>"$LOGS/format.log" 2>&1; then
      tail -n 20 "$LOGS/format.log" >&2
      die "formatting the KRaft storage failed (log: $LOGS/format.log)"
    fi
  fi

  jvm_tuning "${JVM[@]}"
  log "starting Kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:$PORT, controller :$CONTROLLER_PORT (JDK 17, heap $HEAP, logs in $LOGS)"
  [[ -z "${CDS_STATE:-}" ]] || log "$CDS_STATE"
  mark_logs "$LOGS/stdout.log" "$LOGS/server.log"
  launch "$PIDFILE" "$LOGS/stdout.log" "${JVM[@]}" "${JVM_TUNING[@]}" -cp "$CLASSPATH_JARS" "$MAIN_CLASS" "$CONF/server.properties"
  pid="$(cat "$PIDFILE")"
  echo "$PORT" >"$PORTFILE"

  local deadline=$(( $(date +%s) + READY_TIMEOUT ))
  until api_versions; do
    if gone "$pid"; then
      rm -f "$PIDFILE" "$PORTFILE"
      show_failure "" "$LOGS/stdout.log" "$LOGS/server.log"
      die "Kafka exited during start-up (logs: $LOGS)"
    fi
    if (( $(date +%s) >= deadline )); then
      show_failure "$pid" "$LOGS/stdout.log" "$LOGS/server.log"
      rm -f "$PIDFILE" "$PORTFILE"
      die "Kafka not ready after ${READY_TIMEOUT}s; killed pid $pid (logs: $LOGS)"
    fi
    sleep 0.25
  done
  local up version cluster rc=0
  up="$(elapsed "$t0")"
  # The version the broker itself logged at start-up (AppInfoParser), from this run's log only.
  version="$(tail -c +"$(( ${LOG_MARKS["$LOGS/server.log"]:-0} + 1 ))" "$LOGS/server.log" 2>/dev/null \
    | sed -n 's/.*INFO Kafka version: \([^ ]*\) .*/\1/p' | tail -n 1)"
  # A real client round trip (kafkajs describeCluster) when node + kafkajs are installed.
  cluster="$(FLYWHEEL_TEST_KAFKA_PORT="$PORT" node_check kafkajs kafka-version 2>&1)" || rc=$?
  if (( rc == 2 )); then
    cluster="(node/kafkajs not available for a client check)"
  elif (( rc != 0 )); then
    echo "$cluster" >&2
    show_failure "$pid" "$LOGS/server.log"
    rm -f "$PIDFILE" "$PORTFILE"
    die "Kafka answers ApiVersions but a kafkajs client check failed; killed pid $pid"
  fi
  log "ready in $up (ApiVersions ok; total $(elapsed "$t0")), pid $pid: Kafka ${version:-?} $cluster"
}

cmd_status() {
  local pid
  if pid="$(pid_alive "$PIDFILE" "$MAIN_CLASS")"; then
    check_running_port "$PORT" FLYWHEEL_TEST_KAFKA_PORT
    if api_versions; then
      log "running (pid $pid, 127.0.0.1:$PORT)"
    else
      log "running (pid $pid) but not answering ApiVersions on port $PORT (starting, or another port?)"
    fi
    return 0
  fi
  log "not running"
  return 3
}

# One line, the pinned version first: "3.9.2 KRaft ... [server: Kafka 3.9.2]".
cmd_version() {
  local line="$KAFKA_VERSION KRaft (org.apache.kafka:kafka_2.13, JDK 17)" v
  if pid_alive "$PIDFILE" "$MAIN_CLASS" >/dev/null && check_running_port "$PORT" FLYWHEEL_TEST_KAFKA_PORT \
      && [[ -f "$LOGS/server.log" ]]; then
    v="$(sed -n 's/.*INFO Kafka version: \([^ ]*\) .*/\1/p' "$LOGS/server.log" | tail -n 1)"
    line+=" [server: Kafka ${v:-?}]"
  fi
  echo "$line"
}

cmd_reset() {
  pid_alive "$PIDFILE" "$MAIN_CLASS" >/dev/null && die "stop it first: $0 stop"
  rm -rf "$DATA" "$LOGS"
  log "data and logs removed (jars stay in ~/.m2)"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) stop_pid "$PIDFILE" "$MAIN_CLASS" ;;
  status) cmd_status ;;
  version) cmd_version ;;
  reset) cmd_reset ;;
  *) echo "usage: $0 start|stop|status|version|reset" >&2; exit 2 ;;
esac

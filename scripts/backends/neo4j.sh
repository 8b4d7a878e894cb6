#!/usr/bin/env bash
# Single-node Neo4j Community 5.26 (LTS) on loopback for Flywheel's tests, without Docker.
# Jars come from Maven Central (org.neo4j:neo4j, which holds the server entry point) and are
# cached in ~/.m2; runtime state lives in <repo>/.backends/neo4j. Auth is DISABLED: tests only.
#
#   scripts/backends/neo4j.sh start|stop|status|version|reset
#
# Environment:
#   FLYWHEEL_TEST_NEO4J_PORT      Bolt port (default 7687)
#   FLYWHEEL_NEO4J_HEAP           JVM heap, -Xms/-Xmx (default 512m)
#   FLYWHEEL_NEO4J_PAGECACHE      page cache size (default 64m)
#   FLYWHEEL_NEO4J_JAVA_OPTS      extra JVM flags, whitespace-separated
#   FLYWHEEL_BACKENDS_TIMEOUT     seconds to wait for readiness (default 120)
#   FLYWHEEL_BACKENDS_STOP_TIMEOUT seconds between TERM and KILL on stop (default 60)
#   FLYWHEEL_JAVA17_HOME          JDK 17 home (default /usr/lib/jvm/java-17-openjdk-amd64)
set -euo pipefail

NAME=neo4j
NEO4J_VERSION=5.26.31   # verified to resolve with all its dependencies from Maven Central
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

PORT="${FLYWHEEL_TEST_NEO4J_PORT:-7687}"
validate_port FLYWHEEL_TEST_NEO4J_PORT "$PORT"
HEAP="${FLYWHEEL_NEO4J_HEAP:-512m}"
PAGECACHE="${FLYWHEEL_NEO4J_PAGECACHE:-64m}"
HOME_DIR="$STATE_ROOT/neo4j"
PIDFILE="$STATE_ROOT/neo4j.pid"
LOGS="$HOME_DIR/logs"
MAIN_CLASS=org.neo4j.server.CommunityEntryPoint

# bolt_handshake: the Bolt preamble plus four proposed versions (5.0-5.8, 4.2-4.4, 4.0, 3.0);
# a ready server answers with the 4-byte version it picked, non-zero.
bolt_handshake() {
  local reply
  # shellcheck disable=SC2016 # $0 is for the inner shell
  reply="$(timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "\x60\x60\xb0\x17\x00\x08\x08\x05\x00\x02\x04\x04\x00\x00\x00\x04\x00\x00\x00\x03" >&3
    head -c 4 <&3 | od -An -tx1' "$PORT" 2>/dev/null)" || return 1
  reply="${reply//[[:space:]]/}"
  [[ ${#reply} -eq 8 && "$reply" != 00000000 ]] || return 1
  BOLT_VERSION="$((16#${reply:6:2})).$((16#${reply:4:2}))"
}

server_version() {
  local v rc=0
  v="$(FLYWHEEL_TEST_NEO4J_PORT="$PORT" node_check neo4j-driver neo4j-version 2>&1)" || rc=$?
  if (( rc == 0 )); then
    echo "$v"
  elif (( rc == 2 )); then
    echo "Neo4j $NEO4J_VERSION community (pinned; node/neo4j-driver not available for a client check)"
  else
    echo "$v" >&2
    return 1
  fi
}

cmd_start() {
  local pid
  if pid="$(pid_alive "$PIDFILE" "$MAIN_CLASS")"; then
    check_running_port "$PORT" FLYWHEEL_TEST_NEO4J_PORT
    log "already running (pid $pid, bolt://127.0.0.1:$PORT)"
    return 0
  fi
  port_open "$PORT" && die "port $PORT is already in use by another process (set FLYWHEEL_TEST_NEO4J_PORT)"
  require_java17
  mkdir -p "$HOME_DIR"/{conf,data,logs,plugins,import,run}
  resolve_classpath "$BACKENDS_DIR/neo4j-pom.xml" neo4j.version "$NEO4J_VERSION"

  sed -e "s|@BOLT_PORT@|$PORT|g" -e "s|@PAGECACHE@|$PAGECACHE|g" -e "s|@HOME@|$HOME_DIR|g" \
    "$BACKENDS_DIR/neo4j.conf.template" >"$HOME_DIR/conf/neo4j.conf"

  # The flags the `neo4j` launcher would add for Java 17 (it reads server.jvm.additional;
  # we start the JVM ourselves, so they are here).
  local -a jvm=(
    "-Xms$HEAP" "-Xmx$HEAP"
    -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow -XX:+DisableExplicitGC
    -XX:+UnlockExperimentalVMOptions -XX:+TrustFinalNonStaticFields
    -Djdk.nio.maxCachedBufferSize=1024 -Dio.netty.tryReflectionSetAccessible=true
    -Dlog4j2.disable.jmx=true
    --add-opens=java.base/java.nio=ALL-UNNAMED
    --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
    --enable-native-access=ALL-UNNAMED
  )
  # Extra JVM flags, split on whitespace (e.g. FLYWHEEL_NEO4J_JAVA_OPTS='-XX:+UseSerialGC').
  local -a extra
  read -r -a extra <<<"${FLYWHEEL_NEO4J_JAVA_OPTS:-}"
  jvm+=("${extra[@]}")
  jvm_tuning "${jvm[@]}"
  local t0
  t0=$(now_ms)
  log "starting Neo4j $NEO4J_VERSION on bolt://127.0.0.1:$PORT (JDK 17, heap $HEAP, logs in $LOGS)"
  [[ -z "${CDS_STATE:-}" ]] || log "$CDS_STATE"
  mark_logs "$LOGS/stdout.log" "$LOGS/neo4j.log"
  launch "$PIDFILE" "$LOGS/stdout.log" "$JAVA" "${jvm[@]}" "${JVM_TUNING[@]}" -cp "$CLASSPATH_JARS" "$MAIN_CLASS" \
    --home-dir="$HOME_DIR" --config-dir="$HOME_DIR/conf"
  pid="$(cat "$PIDFILE")"
  echo "$PORT" >"$PORTFILE"

  local deadline=$(( $(date +%s) + READY_TIMEOUT ))
  until bolt_handshake; do
    if gone "$pid"; then
      rm -f "$PIDFILE" "$PORTFILE"
      show_failure "" "$LOGS/stdout.log" "$LOGS/neo4j.log"
      die "Neo4j exited during start-up (logs: $LOGS)"
    fi
    if (( $(date +%s) >= deadline )); then
      show_failure "$pid" "$LOGS/stdout.log" "$LOGS/neo4j.log"
      rm -f "$PIDFILE" "$PORTFILE"
      die "Neo4j not ready after ${READY_TIMEOUT}s; killed pid $pid (logs: $LOGS)"
    fi
    sleep 0.5
  done
  local up
  up="$(elapsed "$t0")"
  # A real client round trip (CALL dbms.components()) when node + neo4j-driver are installed.
  local version
  if ! version="$(server_version)"; then
    show_failure "$pid" "$LOGS/neo4j.log"
    rm -f "$PIDFILE" "$PORTFILE"
    die "Bolt is up but a client query failed; killed pid $pid"
  fi
  log "ready in $up (Bolt $BOLT_VERSION handshake ok; total $(elapsed "$t0")), pid $pid: $version"
}

cmd_status() {
  local pid
  if pid="$(pid_alive "$PIDFILE" "$MAIN_CLASS")"; then
    check_running_port "$PORT" FLYWHEEL_TEST_NEO4J_PORT
    if bolt_handshake; then
      log "running (pid $pid, bolt://127.0.0.1:$PORT, Bolt $BOLT_VERSION)"
    else
      log "running (pid $pid) but Bolt not answering on port $PORT (starting, or another port?)"
    fi
    return 0
  fi
  log "not running"
  return 3
}

# One line, the pinned version first: "5.26.31 Community ... [server: Neo4j Kernel 5.26.31 community]".
cmd_version() {
  local line="$NEO4J_VERSION Community (org.neo4j:neo4j, JDK 17)"
  if pid_alive "$PIDFILE" "$MAIN_CLASS" >/dev/null && check_running_port "$PORT" FLYWHEEL_TEST_NEO4J_PORT && bolt_handshake; then
    line+=" [server: $(server_version)]"
  fi
  echo "$line"
}

cmd_reset() {
  pid_alive "$PIDFILE" "$MAIN_CLASS" >/dev/null && die "stop it first: $0 stop"
  rm -rf "$HOME_DIR/data" "$HOME_DIR/logs" "$HOME_DIR/run"
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

# shellcheck shell=bash
# Shared helpers for neo4j.sh and kafka.sh. Sourced, never run.
#
# Layout (all runtime state is under <repo>/.backends/, which is gitignored):
#   .backends/<name>.pid        pid of the running server's JVM
#   .backends/<name>/classpath.txt  the jars (in ~/.m2) that maven-dependency-plugin resolved
#   .backends/<name>/logs/      server logs (+ stdout.log: the JVM's own stdout/stderr)
#   .backends/<name>/...        config and data

# shellcheck disable=SC2034 # READY_TIMEOUT, CDS_STATE and others are used by the sourcing scripts
BACKENDS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BACKENDS_DIR/../.." && pwd)"
STATE_ROOT="${FLYWHEEL_BACKENDS_STATE:-$REPO_ROOT/.backends}"
READY_TIMEOUT="${FLYWHEEL_BACKENDS_TIMEOUT:-120}"      # seconds to wait for readiness
STOP_TIMEOUT="${FLYWHEEL_BACKENDS_STOP_TIMEOUT:-60}"   # seconds between TERM and KILL
# Both servers run on JDK 17 (Neo4j 5.26 supports 17 and 21; the Temurin JDK on these
# machines is newer than Neo4j 5.26 supports). Override with FLYWHEEL_JAVA17_HOME.
JAVA17_HOME="${FLYWHEEL_JAVA17_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
CDS_PENDING="$STATE_ROOT/$NAME.cds-pending"
PORTFILE="$STATE_ROOT/$NAME.port"   # the client port the running server was started with

log() { printf '[%s] %s\n' "$NAME" "$*"; }
die() { printf '[%s] ERROR: %s\n' "$NAME" "$*" >&2; exit 1; }

now_ms() { date +%s%3N; }
elapsed() { local ms=$(( $(now_ms) - $1 )); printf '%d.%01ds' $((ms / 1000)) $(((ms % 1000) / 100)); }

require_java17() {
  JAVA="$JAVA17_HOME/bin/java"
  [[ -x "$JAVA" ]] || die "JDK 17 not found at $JAVA17_HOME (install it: apt-get install -y openjdk-17-jre-headless, or set FLYWHEEL_JAVA17_HOME)"
  local v
  v="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  [[ "$v" == "17" ]] || die "$JAVA is Java '$v', need 17 (set FLYWHEEL_JAVA17_HOME to a JDK 17)"
}

require_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH (install it: apt-get install -y $2)"
}

validate_port() {
  if ! [[ "$2" =~ ^[0-9]+$ ]] || (( $2 < 1 || $2 > 65535 )); then
    die "$1='$2' is not a valid TCP port"
  fi
}

# check_running_port REQUESTED ENVVAR: for an already-running server, sets PORT to the port it
# was started with; dies if the caller asked (by ENVVAR) for a different one.
check_running_port() {
  local recorded
  recorded="$(cat "$PORTFILE" 2>/dev/null || true)"
  [[ -n "$recorded" ]] || return 0
  if [[ -n "${!2:-}" && "$recorded" != "$1" ]]; then
    die "already running on port $recorded, but $2=$1: run '$NAME.sh stop' first"
  fi
  PORT="$recorded"
}

# port_open PORT: true if something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# resolve_classpath POM VERSION_PROPERTY VERSION: resolves the POM's runtime dependencies with
# Maven (downloaded once into ~/.m2) and sets CLASSPATH_JARS to their ':'-joined paths inside
# ~/.m2. The list is cached in $HOME_DIR/classpath.txt, keyed by the POM and version, so later
# starts do not run Maven at all. The JVM reads the jars straight from ~/.m2: no copies, and
# the paths stay the same across clones of the repo (which keeps the CDS archives valid).
resolve_classpath() {
  local pom="$1" prop="$2" version="$3"
  local cpfile="$HOME_DIR/classpath.txt" stamp="$HOME_DIR/classpath.key"
  local key
  key="$prop=$version pom=$(sha1sum "$pom" | cut -c1-12)"
  if [[ -s "$cpfile" && -f "$stamp" && "$(cat "$stamp")" == "$key" ]] && classpath_present "$cpfile"; then
    CLASSPATH_JARS="$(cat "$cpfile")"
    return 0
  fi
  require_cmd mvn maven
  log "resolving jars for $prop=$version with Maven (cached in ~/.m2; the first run downloads)"
  local t0 mvnlog
  t0=$(now_ms)
  mvnlog="$HOME_DIR/mvn.log"
  rm -f "$cpfile" "$stamp"
  if ! JAVA_HOME="$JAVA17_HOME" mvn -B -f "$pom" "$DEP_PLUGIN:build-classpath" \
      -D"$prop=$version" -DincludeScope=runtime -Dmdep.outputFile="$cpfile" >"$mvnlog" 2>&1 \
      || [[ ! -s "$cpfile" ]]; then
    grep -E '\[ERROR\]' "$mvnlog" | head -n 15 >&2 || true
    die "Maven could not resolve $prop=$version (full log: $mvnlog)"
  fi
  classpath_present "$cpfile" || die "Maven listed jars that are not on disk (log: $mvnlog)"
  echo "$key" >"$stamp"
  CLASSPATH_JARS="$(cat "$cpfile")"
  local n bytes
  n="$(tr ':' '\n' <"$cpfile" | wc -l)"
  bytes="$(tr ':' '\n' <"$cpfile" | xargs -d '\n' stat -c %s | awk '{s+=$1} END {print s}')"
  log "classpath ready: $n jars, $((bytes / 1048576)) MiB in ~/.m2, resolved in $(elapsed "$t0")"
}

classpath_present() {
  local jar
  while IFS= read -r -d ':' jar || [[ -n "$jar" ]]; do
    jar="${jar%$'\n'}"
    [[ -z "$jar" || -f "$jar" ]] || return 1
  done <"$1"
}

# jvm_tuning JVMFLAGS...: start-up flags for a short-lived test server on a small machine, set into the
# array JVM_TUNING. Both can be turned off.
#  - FLYWHEEL_BACKENDS_C1=0 keeps the C2 JIT; by default only C1 compiles (-XX:TieredStopAtLevel=1),
#    which roughly halves start-up CPU; a test server rarely lives long enough to gain from C2.
#  - FLYWHEEL_BACKENDS_CDS=0 turns off AppCDS. By default the first clean stop dumps the loaded
#    classes to an archive under ~/.cache/flywheel-backends (JDK 17 -XX:ArchiveClassesAtExit),
#    and later starts map it (-XX:SharedArchiveFile); the archive's name hashes the JDK build,
#    the classpath and the flags, so any change makes a new one. A stale or unreadable archive
#    only costs the speed-up: the JVM then runs without it (-Xshare:auto).
jvm_tuning() {
  JVM_TUNING=()
  if [[ "${FLYWHEEL_BACKENDS_C1:-1}" != 0 ]]; then
    JVM_TUNING+=(-XX:TieredStopAtLevel=1)
  fi
  rm -f "$CDS_PENDING"
  [[ "${FLYWHEEL_BACKENDS_CDS:-1}" != 0 ]] || return 0
  local dir="${FLYWHEEL_BACKENDS_CDS_DIR:-$HOME/.cache/flywheel-backends}" key
  if ! mkdir -p "$dir" 2>/dev/null || [[ ! -w "$dir" ]]; then
    log "CDS off: cannot write $dir"
    return 0
  fi
  # Only -X/-XX flags (heap, GC, JIT) shape the archive; -D paths differ between clones.
  local flag vmflags=()
  for flag in "$@"; do
    if [[ "$flag" == -X* ]]; then vmflags+=("$flag"); fi
  done
  key="$( { "$JAVA" -version 2>&1; echo "$CLASSPATH_JARS"; echo "${JVM_TUNING[*]} ${vmflags[*]}"; } \
    | sha1sum | cut -c1-16)"
  local archive="$dir/$NAME-$key.jsa"
  if [[ -s "$archive" ]]; then
    JVM_TUNING+=("-XX:SharedArchiveFile=$archive")
    CDS_STATE="using class archive $archive"
  else
    # Each start dumps to its own temporary file; stop renames it into place (atomically) only
    # after a clean exit. Leftovers of killed runs are pruned after an hour.
    find "$dir" -maxdepth 1 -name "$NAME-*.jsa.tmp.*" -mmin +60 -delete 2>/dev/null || true
    local tmp="$archive.tmp.$$"
    JVM_TUNING+=("-XX:ArchiveClassesAtExit=$tmp" "-Xlog:cds*=error")
    printf '%s\n%s\n' "$archive" "$tmp" >"$CDS_PENDING"
    # shellcheck disable=SC2034
    CDS_STATE="no class archive yet: the first clean stop writes one"
  fi
}

# cds_finish CLEAN: after the JVM exited, keeps the archive it dumped (CLEAN=1) or drops it.
cds_finish() {
  [[ -f "$CDS_PENDING" ]] || return 0
  local archive tmp
  { read -r archive; read -r tmp; } <"$CDS_PENDING" || true
  if [[ "$1" == 1 && -n "$tmp" && -s "$tmp" ]]; then
    mv -f "$tmp" "$archive"
    log "class archive written for faster starts: $archive ($(du -m "$archive" | cut -f1) MiB)"
  elif [[ -n "$tmp" ]]; then
    rm -f "$tmp"
  fi
  rm -f "$CDS_PENDING"
}

# pid_alive PIDFILE MARKER: prints the pid and returns 0 if the pid in PIDFILE is alive and its
# command line contains MARKER (guards against a recycled pid). Removes a stale pid file.
pid_alive() {
  local pidfile="$1" marker="$2" pid
  [[ -f "$pidfile" ]] || return 1
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
      && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"; then
    echo "$pid"
    return 0
  fi
  rm -f "$pidfile" "$PORTFILE"
  return 1
}

# launch PIDFILE STDOUT_LOG CMD...: starts CMD detached (own session, stdin closed); the
# child writes its own pid before exec'ing, so the pid file holds the JVM's pid.
launch() {
  local pidfile="$1" out="$2"
  shift 2
  rm -f "$pidfile" "$PORTFILE"
  # shellcheck disable=SC2016 # $$, $0 and $@ are for the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" >>"$out" 2>&1 </dev/null &
  for _ in $(seq 1 50); do [[ -s "$pidfile" ]] && return 0; sleep 0.1; done
  die "server process did not start (see $out)"
}

# gone PID: true once PID has exited. A zombie counts as exited: after SIGKILL a many-threaded
# JVM's main thread shows as <defunct> for a while until its other threads are torn down and
# its parent (init, once our shell has exited) reaps it.
gone() {
  local state
  kill -0 "$1" 2>/dev/null || return 0
  state="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)"
  [[ -z "$state" || "$state" == Z ]]
}

# kill_hard PID: SIGKILL, then wait up to 15 s until it is gone.
kill_hard() {
  kill -KILL "$1" 2>/dev/null || true
  local i
  for ((i = 0; i < 150; i++)); do
    gone "$1" && return 0
    sleep 0.1
  done
  return 1
}

# stop_pid PIDFILE MARKER: TERM, wait up to STOP_TIMEOUT s (60 s more while a CDS archive is
# being written), then KILL.
stop_pid() {
  local pidfile="$1" marker="$2" pid t0 killed=0
  if ! pid="$(pid_alive "$pidfile" "$marker")"; then
    cds_finish 0
    rm -f "$PORTFILE"
    log "not running"
    return 0
  fi
  t0=$(now_ms)
  local timeout="$STOP_TIMEOUT"
  if [[ -f "$CDS_PENDING" ]]; then
    # Dumping the class archive at exit takes 5-30 s more on 2 busy cores.
    timeout=$((STOP_TIMEOUT + 60))
    log "stopping pid $pid (TERM; it writes its class archive on the way out)"
  else
    log "stopping pid $pid (TERM)"
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$(( $(date +%s) + timeout ))
  until gone "$pid"; do
    if (( $(date +%s) >= deadline )); then
      log "pid $pid still alive after ${timeout}s: KILL"
      killed=1
      kill_hard "$pid" || die "pid $pid survived SIGKILL for 15 s"
      break
    fi
    sleep 0.2
  done
  rm -f "$pidfile" "$PORTFILE"
  cds_finish "$((1 - killed))"
  log "stopped in $(elapsed "$t0")"
}

# mark_logs FILE...: remembers the current sizes of FILEs, so that show_failure prints only
# what this run wrote.
declare -A LOG_MARKS=()
mark_logs() {
  local f
  for f in "$@"; do
    LOG_MARKS["$f"]="$(stat -c %s "$f" 2>/dev/null || echo 0)"
  done
}

# show_failure PID FILE...: prints the last lines this run wrote to FILEs; kills PID if alive.
show_failure() {
  local pid="$1" f
  shift
  for f in "$@"; do
    [[ -s "$f" ]] || continue
    printf '[%s] ---- last lines of %s ----\n' "$NAME" "$f" >&2
    tail -c +"$(( ${LOG_MARKS["$f"]:-0} + 1 ))" "$f" | tail -n 30 >&2
  done
  if [[ -n "$pid" ]]; then
    kill_hard "$pid" || true
  fi
  cds_finish 0
}

# node_check ARGS...: runs smoke.js with node when node and the repo's node_modules can serve
# it; returns 2 when they cannot (so callers fall back), else smoke.js's exit code.
node_check() {
  command -v node >/dev/null 2>&1 || return 2
  (cd "$REPO_ROOT" && node -e 'require.resolve(process.argv[1])' "$1" >/dev/null 2>&1) || return 2
  shift
  (cd "$REPO_ROOT" && node "$BACKENDS_DIR/smoke.js" "$@")
}

#!/usr/bin/env bash
# `npm run test:integration`: starts real Neo4j and Kafka (scripts/backends/), prints their versions, runs
# the smoke checks and the integration suites (dist/test/integration) against them, and stops the servers
# by process id whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

stop_all() {
  scripts/backends/kafka.sh stop || true
  scripts/backends/neo4j.sh stop || true
}
trap stop_all EXIT

scripts/backends/neo4j.sh start
scripts/backends/kafka.sh start
echo "::: servers under test: Neo4j $(scripts/backends/neo4j.sh version), Kafka $(scripts/backends/kafka.sh version)"

node scripts/backends/smoke.js all

export FLYWHEEL_TEST_NEO4J_URI="bolt://127.0.0.1:${FLYWHEEL_TEST_NEO4J_PORT:-7687}"
export FLYWHEEL_TEST_KAFKA_BROKERS="127.0.0.1:${FLYWHEEL_TEST_KAFKA_PORT:-9092}"
if [ -d dist/test/integration ]; then
  node scripts/run-tests.js integration
else
  echo "::: no integration suites built (dist/test/integration is missing)"
fi

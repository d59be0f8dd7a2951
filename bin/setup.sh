#!/usr/bin/env bash
# Shared set-up for bin/test and bin/run-local, sourced by both: finds a JDK 21+, and installs
# what the real local stack needs when it is missing (ClickHouse server from Debian's packages,
# chDB from npm). The Kafka broker and the schema registry come from Maven Central with the build.

KAI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KAI_STACK_DIR=${KAI_STACK_DIR:-$KAI_ROOT/.stack}
KAI_CHDB_VERSION=26.5.3
# The distribution that the build lays out: what ships, and what bin/kai runs.
KAI_DIST=$KAI_ROOT/distribution/target/kai-telemetry
export KAI_STACK_DIR KAI_DIST

say() { printf '\033[1mkai-telemetry:\033[0m %s\n' "$*"; }

# Prints the home of the first JDK of version 21 or newer: $JAVA_HOME, then /usr/lib/jvm/*.
find_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 |
      awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1)
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

ensure_jdk() {
  if ! JAVA_HOME=$(find_jdk); then
    say "no JDK 21 or newer found (JAVA_HOME or /usr/lib/jvm/*). Install one, e.g. Temurin 21+, and set JAVA_HOME."
    exit 1
  fi
  KAI_JAVA_MAJOR=$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 |
    awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1)
  export JAVA_HOME KAI_JAVA_MAJOR
  export PATH="$JAVA_HOME/bin:$PATH"
  say "using JDK $JAVA_HOME"
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

ensure_clickhouse() {
  if command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/bin/clickhouse-server ]; then
    return 0
  fi
  say "installing clickhouse-server and clickhouse-client (Debian packages)"
  if ! { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null; }; then
    say "could not install ClickHouse: run  apt-get install -y clickhouse-server clickhouse-client  as root"
    exit 1
  fi
}

ensure_chdb() {
  local lib="$KAI_STACK_DIR/chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so"
  if [ -f "$lib" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    say "npm is needed to fetch chDB (current ClickHouse engine for the SQL tests): apt-get install -y npm"
    exit 1
  fi
  say "fetching chDB $KAI_CHDB_VERSION (npm @chdb/lib-linux-x64-gnu, ~180 MB)"
  mkdir -p "$KAI_STACK_DIR/chdb"
  npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
    --prefix "$KAI_STACK_DIR/chdb" "@chdb/lib-linux-x64-gnu@$KAI_CHDB_VERSION" >/dev/null
}

# Installs Grafana's published dashboard schema (npm @grafana/schema, with TypeScript to check
# against it) for the dashboards' schema test, pinned by dashboards/schema-check's lock file.
ensure_grafana_schema() {
  local dir="$KAI_STACK_DIR/grafana-schema" src="$KAI_ROOT/dashboards/schema-check"
  if cmp -s "$src/package-lock.json" "$dir/package-lock.json" &&
    [ -f "$dir/node_modules/@grafana/schema/package.json" ] && [ -f "$dir/node_modules/typescript/bin/tsc" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    say "npm is needed for Grafana's dashboard schema (the dashboards' schema test): apt-get install -y npm"
    exit 1
  fi
  say "fetching Grafana's dashboard schema (npm @grafana/schema, typescript)"
  mkdir -p "$dir"
  cp "$src/package.json" "$src/package-lock.json" "$dir/"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error --prefix "$dir" >/dev/null
}

# Builds the modules (no tests) when the distribution or the developer tools' classpath is
# missing or older than a source.
ensure_built() {
  local classpath=devtools/target/runtime-classpath.txt stale=""
  if [ -f "$classpath" ] && [ -x "$KAI_DIST/bin/kai" ]; then
    stale=$(find . -path ./.stack -prune -o -path '*/target' -prune -o -path '*/node_modules' -prune -o \
      \( -name '*.java' -o -name 'pom.xml' -o -name '*.avsc' -o -name '*.sql' -o -name '*.json' -o -name '*.xml' \
      -o -path './distribution/src/*' \) -newer "$classpath" -print -quit)
  else
    stale=missing
  fi
  if [ -n "$stale" ]; then
    say "building (the first build downloads dependencies from Maven Central and takes a few minutes)"
    ./mvnw -B -q -ntp -Dquick -DskipTests -Dspotless.check.skip=true package
    touch "$classpath"
  fi
}

# Runs a main class of the developer tools (local run, benchmarks), replacing this shell.
run_java() {
  local main=$1
  shift
  local flags=(-Xmx1g --enable-native-access=ALL-UNNAMED)
  if [ "$KAI_JAVA_MAJOR" -ge 23 ]; then
    flags+=(--sun-misc-unsafe-memory-access=allow) # Kafka's clients still use sun.misc.Unsafe
  fi
  exec "$JAVA_HOME/bin/java" "${flags[@]}" ${KAI_JAVA_OPTS:-} \
    -Dkai.stack.dir="$KAI_STACK_DIR" -Dkai.distribution.dir="$KAI_DIST" \
    -cp "devtools/target/classes:$(cat devtools/target/runtime-classpath.txt)" \
    "$main" "$@"
}

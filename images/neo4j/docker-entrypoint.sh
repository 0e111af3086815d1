#!/bin/bash
# Entry point with the official Neo4j image's contract for the parts the harness uses:
#   NEO4J_AUTH=neo4j/<password> sets the initial password (at least 8 characters), NEO4J_AUTH=none
#   turns auth off; every other NEO4J_<name> variable becomes a setting (`__` -> `_`, `_` -> `.`),
#   e.g. NEO4J_server_memory_heap_max__size=1g -> server.memory.heap.max_size=1g.
# The server runs in the foreground (console mode), so its log, including the readiness line
# "Remote interface available at", goes to the container's stdout.
set -euo pipefail

conf="${NEO4J_HOME}/conf/neo4j.conf"
declare -A settings=()
order=()

set_setting() {
    if [[ -z "${settings[$1]+set}" ]]; then order+=("$1"); fi
    settings[$1]="$2"
}

while IFS='=' read -r key value; do
    [[ -z "$key" || "$key" == \#* ]] && continue
    set_setting "$key" "$value"
done < "$conf"

case "${NEO4J_AUTH:-}" in
    "") auth_password="" ;;
    none) set_setting dbms.security.auth_enabled false; auth_password="" ;;
    neo4j/*)
        auth_password="${NEO4J_AUTH#neo4j/}"
        if [[ ${#auth_password} -lt 8 ]]; then
            echo "Invalid value for password. The minimum password length is 8 characters." >&2
            echo "If Neo4j fails to start, you can:" >&2
            echo "1) Use a stronger password." >&2
            echo "2) Set configuration dbms.security.auth_minimum_password_length to override the minimum password length." >&2
            exit 1
        fi
        set_setting dbms.security.auth_enabled true ;;
    *) echo "Invalid value for NEO4J_AUTH: '${NEO4J_AUTH}'. It must be 'none' or 'neo4j/<password>'." >&2; exit 1 ;;
esac

skip='^NEO4J_(AUTH|HOME|CONF|VERSION|EDITION|ACCEPT_LICENSE_AGREEMENT|DEBUG|PLUGINS)$'
while IFS='=' read -r name value; do
    [[ "$name" =~ $skip ]] && continue
    key="${name#NEO4J_}"
    key="${key//__/@@}"; key="${key//_/.}"; key="${key//@@/_}"
    set_setting "$key" "$value"
done < <(env | grep -E '^NEO4J_[A-Za-z0-9_]+=' || true)

# server.jvm.additional: one JVM flag a line (the official image's contract), each its own setting line
jvm_additional=()
if [[ -n "${settings[server.jvm.additional]+set}" ]]; then
    mapfile -t jvm_additional < <(printf '%s\n' "${settings[server.jvm.additional]}" | tr ' ' '\n' | grep -v '^$' || true)
fi
{
    for key in "${order[@]}"; do
        if [[ "$key" == server.jvm.additional ]]; then
            for flag in "${jvm_additional[@]}"; do printf '%s=%s\n' "$key" "$flag"; done
        else
            printf '%s=%s\n' "$key" "${settings[$key]}"
        fi
    done
} > "$conf"

if [[ "${1:-neo4j}" != "neo4j" ]]; then exec "$@"; fi

classpath="${NEO4J_HOME}/lib/*"
if [[ -n "$auth_password" && ! -d /data/databases/system ]]; then
    NEO4J_CONF="${NEO4J_HOME}/conf" java -Xmx128m -cp "$classpath" org.neo4j.cli.AdminTool \
        dbms set-initial-password -- "$auth_password" > /dev/null  # `--`: a password may start with -
fi

heap_max="${settings[server.memory.heap.max_size]:-512M}"
heap_initial="${settings[server.memory.heap.initial_size]:-$heap_max}"
exec java "-Xms${heap_initial}" "-Xmx${heap_max}" -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow "${jvm_additional[@]}" \
    -Djdk.nio.maxCachedBufferSize=1024 -Dio.netty.tryReflectionSetAccessible=true \
    --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
    --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
    --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED \
    --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
    -cp "$classpath" org.neo4j.server.CommunityEntryPoint \
    "--home-dir=${NEO4J_HOME}" "--config-dir=${NEO4J_HOME}/conf" --console-mode

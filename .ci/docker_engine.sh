# Sourced by .ci/run: a Docker engine and the local Neo4j image for the docker-backend tests.
#
# CI machines run .ci/run as root on Debian with package registries but no image registry:
# - dockerd missing: install Debian's docker.io (and debootstrap for the image's base) with apt-get;
# - no engine answering: start dockerd in the background (log in .cache/ci/dockerd.log);
# - build the local Neo4j image (scripts/build_neo4j_image.py: skipped when the same content is built);
# - export HARNESS_NEO4J_IMAGE, TESTCONTAINERS_RYUK_DISABLED=true and HARNESS_REQUIRE_DOCKER=1, so the
#   docker tests fail rather than skip if the engine goes away.
# Anything this starts (dockerd and the containerd it runs) is stopped by stop_docker_engine.

ci_docker_log=.cache/ci/dockerd.log
ci_dockerd_pid=""

ci_die() {
    echo "ci: $*" >&2
    exit 1
}

engine_answers() {
    timeout 5 docker info >/dev/null 2>&1
}

start_docker_engine() {
    if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null || ! command -v debootstrap >/dev/null; then
        [ "$(id -u)" = 0 ] || ci_die "dockerd is missing and installing docker.io needs root"
        echo "ci: installing docker.io and debootstrap with apt-get" >&2
        apt-get update -q >/dev/null || ci_die "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 docker.io debootstrap \
            >/dev/null || ci_die "apt-get install docker.io debootstrap failed"
    fi
    if ! engine_answers; then
        [ "$(id -u)" = 0 ] || ci_die "no Docker engine answers and starting dockerd needs root"
        mkdir -p "$(dirname "$ci_docker_log")"
        echo "ci: starting dockerd (log: $ci_docker_log)" >&2
        dockerd >"$ci_docker_log" 2>&1 &
        ci_dockerd_pid=$!
        for _ in $(seq 60); do
            engine_answers && break
            kill -0 "$ci_dockerd_pid" 2>/dev/null || ci_die "dockerd exited: $(tail -n 5 "$ci_docker_log")"
            sleep 1
        done
        engine_answers || ci_die "dockerd did not answer within 60 s: $(tail -n 5 "$ci_docker_log")"
    fi
    echo "ci: Docker engine $(docker version --format '{{.Server.Version}}' 2>/dev/null) answers" >&2
}

build_neo4j_image() {
    make install
    HARNESS_NEO4J_IMAGE="$(.venv/bin/python scripts/build_neo4j_image.py)" || ci_die "building the Neo4j image failed"
    export HARNESS_NEO4J_IMAGE TESTCONTAINERS_RYUK_DISABLED=true HARNESS_REQUIRE_DOCKER=1
}

stop_docker_engine() {
    [ -n "$ci_dockerd_pid" ] || return 0
    echo "ci: stopping the dockerd this run started" >&2
    kill "$ci_dockerd_pid" 2>/dev/null || true
    for _ in $(seq 30); do
        kill -0 "$ci_dockerd_pid" 2>/dev/null || return 0
        sleep 1
    done
    kill -9 "$ci_dockerd_pid" 2>/dev/null || true
}

#!/usr/bin/env bash
# Build the image and smoke-test it against a real Docker engine:
#   1. the build context holds no .venv, data/, databases, caches or .git (.dockerignore);
#   2. one container on SQLite: /readyz, the HEALTHCHECK, a non-root user, no build leftovers, one boto3
#      DNSSEC flow (zone, KMS key with the DNSSEC policy, KSK, enable signing, GetDNSSEC, DS checked with
#      dnspython), the data kept across `docker restart` and across a new container on the same volume;
#   3. compose.yaml: PostgreSQL, two replicas and HAProxy; the flow through the load balancer, both replicas
#      serving, the data kept across `down` and `up`.
#
# No image registry is needed: unless BASE_IMAGE names an image to build from (e.g. python:3.11-slim where
# Docker Hub is reachable), a Debian 12 base is built with debootstrap once and kept as local/debian:bookworm.
# When no engine runs, dockerd is started (storage driver $DOCKER_STORAGE_DRIVER, default vfs) and stopped
# again at the end. Python packages come from the index pip uses here (PIP_INDEX_URL or pip's config).
#
# Idempotent: everything it makes is named route53-dnssec-smoke* and removed at the end (images it replaced
# too); only the base image and Docker's build cache stay. One run at a time per machine (a lock file).
#
# Exit status: 0 passed, 1 failed, 77 skipped (no Docker engine can run here; the output says why).
# Environment: BASE_IMAGE, DEBIAN_MIRROR, DOCKER_STORAGE_DRIVER, PYTHON (default .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/../.."

readonly SKIPPED=77 LOCAL_BASE=local/debian:bookworm IMAGE=route53-dnssec:smoke NAME=route53-dnssec-smoke
readonly PYTHON=${PYTHON:-.venv/bin/python}
WORK=$(mktemp -d)
DOCKERD_PID=""
OLD_IMAGES=""
COMPOSE=()
BUILD_ARGS=()
START=$SECONDS

log() { printf '[container %4ds] %s\n' "$((SECONDS - START))" "$*"; }
skip() {
    log "SKIPPED: $*"
    exit "$SKIPPED"
}
fail() {
    log "FAILED: $*"
    exit 1
}

# Containers, volumes and networks of this script (also those a killed run left behind).
remove_leftovers() {
    if [ ${#COMPOSE[@]} -gt 0 ]; then
        "${COMPOSE[@]}" down --volumes --remove-orphans >/dev/null 2>&1 || true
    fi
    docker rm --force --volumes "$NAME" "$NAME-context" >/dev/null 2>&1 || true
    docker volume rm "$NAME-data" >/dev/null 2>&1 || true
}

# The image ids tagged route53-dnssec:smoke or route53-dnssec-smoke* (the compose images).
our_images() {
    { docker images --quiet --no-trunc --filter reference="$IMAGE" &&
        docker images --quiet --no-trunc --filter reference="$NAME*"; } | sort -u
}

cleanup() {
    local status=$?
    trap - EXIT
    if docker info >/dev/null 2>&1; then
        remove_leftovers
        docker image rm "$NAME-context" >/dev/null 2>&1 || true
        # Images this run replaced (their tags moved to the new build); the base and the build cache stay.
        comm -23 <(echo "$OLD_IMAGES") <(our_images) | xargs -r docker image rm >/dev/null 2>&1 || true
    fi
    if [ -n "$DOCKERD_PID" ]; then
        log "stopping the dockerd this script started (pid $DOCKERD_PID)"
        kill "$DOCKERD_PID" 2>/dev/null || true
        wait "$DOCKERD_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT

# A Docker engine: the running one, or dockerd started here.
ensure_engine() {
    command -v docker >/dev/null || skip "no docker command (on Debian: apt-get install docker.io)"
    if docker info >/dev/null 2>&1; then
        log "Docker engine $(docker version --format '{{.Server.Version}}') is running"
        return
    fi
    command -v dockerd >/dev/null || skip "no Docker engine runs and dockerd is not installed (on Debian: apt-get install docker.io)"
    [ "$(id -u)" = 0 ] || skip "no Docker engine runs and starting dockerd needs root"
    local driver=${DOCKER_STORAGE_DRIVER:-vfs}
    log "no Docker engine runs: starting dockerd (storage driver $driver)"
    dockerd --storage-driver "$driver" >"$WORK/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    for _ in $(seq 120); do
        if docker info >/dev/null 2>&1; then
            log "Docker engine $(docker version --format '{{.Server.Version}}') started"
            return
        fi
        kill -0 "$DOCKERD_PID" 2>/dev/null || break
        sleep 0.5
    done
    tail -n 5 "$WORK/dockerd.log" >&2
    kill "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" 2>/dev/null || true
    DOCKERD_PID=""
    skip "dockerd could not be started here (its last log lines are above)"
}

# The first repository this machine's apt uses for a suite (e.g. bookworm), else deb.debian.org.
apt_repository() {
    local suite=$1 fallback=$2 found
    # shellcheck disable=SC2016 # apt's own $(FIELD) placeholders
    found=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null |
        awk -v suite="$suite" '$2 == suite { print $1; exit }') || true
    echo "${found:-$fallback}"
}

# BASE_IMAGE as given, or local/debian:bookworm: built with debootstrap on first use, then cached.
ensure_base() {
    if [ -n "${BASE_IMAGE:-}" ]; then
        log "base image $BASE_IMAGE (given)"
        return
    fi
    BASE_IMAGE=$LOCAL_BASE
    if docker image inspect "$LOCAL_BASE" >/dev/null 2>&1; then
        log "base image $LOCAL_BASE (cached)"
        return
    fi
    command -v debootstrap >/dev/null || skip "no base image and debootstrap is not installed (on Debian: apt-get install debootstrap)"
    [ "$(id -u)" = 0 ] || skip "no base image and debootstrap needs root"
    local mirror security rootfs=$WORK/rootfs
    mirror=${DEBIAN_MIRROR:-$(apt_repository bookworm http://deb.debian.org/debian/)}
    security=$(apt_repository bookworm-security http://deb.debian.org/debian-security/)
    log "building $LOCAL_BASE with debootstrap from $mirror"
    if ! debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1; then
        tail -n 20 "$WORK/debootstrap.log" >&2
        fail "debootstrap failed (its last log lines are above)"
    fi
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
        "$mirror" "$mirror" "$security" >"$rootfs/etc/apt/sources.list"
    # The CA certificates this machine adds to Debian's (e.g. a TLS-inspecting proxy in front of PyPI), so
    # that builds from this base reach the same package indexes as the host.
    if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
        chroot "$rootfs" update-ca-certificates >"$WORK/update-ca-certificates.log" 2>&1 ||
            { cat "$WORK/update-ca-certificates.log" >&2; fail "update-ca-certificates failed in the base"; }
    fi
    # Slim, like Docker's Debian images: no documentation now or from later installs, no apt lists.
    printf 'path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\npath-exclude /usr/share/locale/*\n' \
        >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim"
    find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    rm -rf "$rootfs"/usr/share/{man,info,locale}/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
        "$rootfs"/var/cache/apt/archives/*.deb \
        "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/*
    tar -C "$rootfs" -c . | docker import --change 'CMD ["bash"]' - "$LOCAL_BASE" >/dev/null
    rm -rf "$rootfs"
    log "base image $LOCAL_BASE built ($(docker image inspect --format '{{.Size}}' "$LOCAL_BASE" | numfmt --to=si)B)"
}

# Build arguments: the base, and the package index pip uses on this machine (compose reads the same variables).
set_build_args() {
    local index=${PIP_INDEX_URL:-}
    [ -n "$index" ] || index=$("$PYTHON" -m pip config get global.index-url 2>/dev/null) || true
    export BASE_IMAGE PIP_INDEX_URL=${index:-https://pypi.org/simple}
    BUILD_ARGS=(--build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "PIP_INDEX_URL=$PIP_INDEX_URL")
}

# The build context, as the engine receives it, must hold the app and nothing it should not.
check_build_context() {
    printf 'FROM scratch\nCOPY . /context/\n' |
        docker build --quiet --tag "$NAME-context" --file - . >"$WORK/context-build.log" 2>&1 ||
        { cat "$WORK/context-build.log" >&2; fail "could not build the context check"; }
    docker create --name "$NAME-context" "$NAME-context" /none >/dev/null
    docker export "$NAME-context" | tar -t >"$WORK/context.txt"
    docker rm "$NAME-context" >/dev/null
    docker image rm "$NAME-context" >/dev/null
    grep -qx 'context/app/main.py' "$WORK/context.txt" || fail "the build context lacks app/main.py"
    if grep -E '^context/(\.venv|\.git|data|tests|node_modules)/|__pycache__|\.(db|db-wal|db-shm|pyc)$|_cache/' "$WORK/context.txt"; then
        fail "the build context holds the files above"
    fi
    log "build context: $(grep -c -v '/$' "$WORK/context.txt") files, none of .venv, .git, data/, caches, databases"
}

build_image() {
    log "building $IMAGE from $BASE_IMAGE"
    if ! docker build "${BUILD_ARGS[@]}" --tag "$IMAGE" . >"$WORK/build.log" 2>&1; then
        tail -n 30 "$WORK/build.log" >&2
        fail "docker build failed (its last lines are above)"
    fi
    log "image $IMAGE built ($(docker image inspect --format '{{.Size}}' "$IMAGE" | numfmt --to=si)B)"
}

endpoint_of() { echo "http://$(docker port "$1" 8053/tcp | head -n 1)"; }

flow() { "$PYTHON" -m tests.container.flow "$@"; }

wait_healthy() {
    local status=""
    for _ in $(seq 60); do
        status=$(docker inspect --format '{{.State.Health.Status}}' "$1")
        [ "$status" = healthy ] && return
        sleep 1
    done
    fail "container $1 is '$status', not healthy, after 60 s"
}

smoke_single_container() {
    docker volume create "$NAME-data" >/dev/null
    docker run --detach --name "$NAME" --publish 127.0.0.1::8053 --volume "$NAME-data:/data" "$IMAGE" >/dev/null
    flow ready --endpoint "$(endpoint_of "$NAME")"
    log "one container on SQLite answers /readyz"
    [ "$(docker exec "$NAME" id -u)" = 10001 ] || fail "the service does not run as uid 10001"
    docker exec "$NAME" sh -c 'test ! -e /opt/venv/bin/pip && test ! -e /src && test -z "$(ls /var/lib/apt/lists)"' ||
        fail "build leftovers in the image (pip, /src or apt lists)"
    log "runs as uid 10001; no pip, sources or apt lists left in the image"
    flow create --endpoint "$(endpoint_of "$NAME")" --state "$WORK/single.json"
    wait_healthy "$NAME"
    log "the HEALTHCHECK reports healthy"

    docker restart --time 20 "$NAME" >/dev/null
    flow ready --endpoint "$(endpoint_of "$NAME")"
    flow check --endpoint "$(endpoint_of "$NAME")" --state "$WORK/single.json"
    log "data kept across docker restart"

    docker stop --time 20 "$NAME" >/dev/null
    docker rm "$NAME" >/dev/null
    docker run --detach --name "$NAME" --publish 127.0.0.1::8053 --volume "$NAME-data:/data" "$IMAGE" >/dev/null
    flow ready --endpoint "$(endpoint_of "$NAME")"
    flow check --endpoint "$(endpoint_of "$NAME")" --state "$WORK/single.json"
    log "data kept in a new container on the same volume"
    docker rm --force --volumes "$NAME" >/dev/null
    docker volume rm "$NAME-data" >/dev/null
}

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Replicas that HAProxy reports UP, with how many requests each served ("name sessions" lines).
replica_stats() {
    "$PYTHON" - "$1" <<'EOF'
import csv, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/stats;csv", timeout=5) as response:
    rows = csv.DictReader(response.read().decode().lstrip("# ").splitlines())
    for row in rows:
        if row["pxname"] == "route53" and row["svname"].startswith("replica") and row["status"] == "UP":
            print(row["svname"], row["stot"])
EOF
}

find_compose() {
    if docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose --project-name "$NAME" --file compose.yaml)
    elif command -v docker-compose >/dev/null; then
        COMPOSE=(docker-compose --project-name "$NAME" --file compose.yaml)
    fi
}

smoke_compose() {
    if [ ${#COMPOSE[@]} = 0 ]; then
        log "SKIPPED the compose part: neither 'docker compose' nor 'docker-compose' is installed (on Debian: apt-get install docker-compose)"
        return
    fi
    ROUTE53_DNSSEC_PORT=$(free_port)
    ROUTE53_DNSSEC_STATS_PORT=$(free_port)
    R53_MASTER_KEY=$("$PYTHON" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
    export ROUTE53_DNSSEC_PORT ROUTE53_DNSSEC_STATS_PORT R53_MASTER_KEY  # the same key for both ups
    local endpoint=http://127.0.0.1:$ROUTE53_DNSSEC_PORT stats=http://127.0.0.1:$ROUTE53_DNSSEC_STATS_PORT
    log "compose: building and starting PostgreSQL, two replicas and HAProxy ($("${COMPOSE[@]}" version --short 2>/dev/null || true))"
    if ! "${COMPOSE[@]}" build >"$WORK/compose-build.log" 2>&1; then
        tail -n 30 "$WORK/compose-build.log" >&2
        fail "compose build failed (its last lines are above)"
    fi
    "${COMPOSE[@]}" up --detach >"$WORK/compose-up.log" 2>&1 || { cat "$WORK/compose-up.log" >&2; fail "compose up failed"; }
    flow ready --endpoint "$endpoint" --timeout 120
    for _ in $(seq 30); do
        [ "$(replica_stats "$stats" | wc -l)" = 2 ] && break
        sleep 1
    done
    flow create --endpoint "$endpoint" --state "$WORK/compose.json"
    replica_stats "$stats" >"$WORK/replicas.txt"
    [ "$(awk '$2 > 0' "$WORK/replicas.txt" | wc -l)" = 2 ] ||
        { cat "$WORK/replicas.txt" >&2; fail "not both replicas served requests through HAProxy"; }
    log "through HAProxy, both replicas served the flow: $(tr '\n' ' ' <"$WORK/replicas.txt")"
    "${COMPOSE[@]}" down >/dev/null 2>&1
    "${COMPOSE[@]}" up --detach >"$WORK/compose-up.log" 2>&1 || { cat "$WORK/compose-up.log" >&2; fail "compose up failed"; }
    flow ready --endpoint "$endpoint" --timeout 120
    flow check --endpoint "$endpoint" --state "$WORK/compose.json"
    log "compose: data kept in PostgreSQL across down and up"
}

[ -x "$PYTHON" ] || fail "$PYTHON not found: run the README's test command first (it creates .venv)"
exec 9>"${TMPDIR:-/tmp}/$NAME.lock"
flock --nonblock 9 || { log "waiting for another run of this script to finish"; flock 9; }
ensure_engine
find_compose
remove_leftovers
OLD_IMAGES=$(our_images)
ensure_base
set_build_args
check_build_context
build_image
smoke_single_container
smoke_compose
log "PASSED"

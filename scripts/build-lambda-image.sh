#!/usr/bin/env bash
# Build the Docker images the Lambda docker executor runs (--lambda-executor
# docker), locally: no registry is needed.
#
#   scripts/build-lambda-image.sh [rootfs|host] [runtime...]
#
# rootfs (the default): a Debian root filesystem made with debootstrap, with
#   the distribution's python3 and awslambdaric + boto3 in /var/runtime (as
#   Lambda's images keep them), imported as ruststack/lambda:<runtime>.
#   Debian bookworm gives python3.11, trixie python3.13. Needs root, debootstrap
#   and a Debian mirror (DEBIAN_MIRROR, default: the one apt uses here) and PyPI.
# host: an empty image (/tmp and mount points only), ruststack/lambda-host:<runtime>, labelled so that the
#   executor bind-mounts this machine's Python (the interpreter RustStack runs
#   under, with its awslambdaric) read-only and runs it there: built in a
#   second, offline, for the host's Python version only. Use it with
#   --lambda-image 'ruststack/lambda-host:{runtime}'.
#
# Quick when the image exists already (FORCE=1 rebuilds).
set -euo pipefail

mode=${1:-${RUSTSTACK_LAMBDA_IMAGE_MODE:-rootfs}}
shift || true
runtimes=("$@")
[ ${#runtimes[@]} -gt 0 ] || runtimes=(python3.11)
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$here/.venv/bin/python}
# The Debian mirror this machine's apt already uses (deb822 or one-line sources).
apt_mirror() {
    { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
      grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'; } \
        | grep -v security | head -n 1 || true
}
mirror=${DEBIAN_MIRROR:-$(apt_mirror)}

docker info >/dev/null 2>&1 || { echo "build-lambda-image: no Docker engine answers (scripts/start-docker-engine.sh)" >&2; exit 1; }

suite_for() {
    case "$1" in
        python3.11) echo bookworm ;;
        python3.13) echo trixie ;;
        *) echo "build-lambda-image: no Debian suite ships $1 (python3.11: bookworm, python3.13: trixie)" >&2; return 1 ;;
    esac
}

build_rootfs() {
    local runtime=$1 image="ruststack/lambda:$1" suite version work
    suite=$(suite_for "$runtime")
    version=${runtime#python}
    [ "$(id -u)" = 0 ] || { echo "build-lambda-image: debootstrap needs root" >&2; exit 1; }
    work=$(mktemp -d /tmp/ruststack-lambda-rootfs.XXXXXX)
    trap 'rm -rf "$work"' RETURN
    echo "build-lambda-image: debootstrap $suite ($runtime) into $work"
    [ -n "$mirror" ] || { echo "build-lambda-image: no Debian mirror found in apt's sources; set DEBIAN_MIRROR" >&2; exit 1; }
    debootstrap --variant=minbase --include=python3 "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
    "$python" -m pip install --quiet --no-compile --target "$work/rootfs/var/runtime" \
        --only-binary=:all: --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
        --implementation cp --python-version "$version" awslambdaric boto3
    mkdir -p "$work/rootfs/var/task"
    rm -rf "$work/rootfs/var/cache/apt/"* "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/usr/share/doc" "$work/rootfs/usr/share/man"
    tar -C "$work/rootfs" -c . | docker import \
        --change "LABEL ruststack.lambda.mode=rootfs ruststack.lambda.runtime=$runtime" \
        --change "ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8" \
        --change "WORKDIR /var/task" \
        --change "CMD [\"/usr/bin/python3\", \"-m\", \"awslambdaric\"]" \
        - "$image" >/dev/null
    echo "build-lambda-image: built $image"
}

build_host() {
    local runtime image python_version
    python_version=$("$python" -c 'import sys; print(f"python{sys.version_info[0]}.{sys.version_info[1]}")')
    runtime=$python_version
    image="ruststack/lambda-host:$runtime"
    local skeleton
    skeleton=$(mktemp -d /tmp/ruststack-lambda-host.XXXXXX)
    mkdir -p "$skeleton/tmp" "$skeleton/var/task" "$skeleton/var/runtime"
    chmod 1777 "$skeleton/tmp"
    tar -C "$skeleton" -c . | docker import \
        --change "LABEL ruststack.lambda.mode=host ruststack.lambda.runtime=$runtime" \
        --change "WORKDIR /var/task" \
        - "$image" >/dev/null
    rm -rf "$skeleton"
    echo "build-lambda-image: built $image (runs the host's $python_version, mounted read-only)"
}

repository=ruststack/lambda
[ "$mode" = host ] && repository=ruststack/lambda-host
for runtime in "${runtimes[@]}"; do
    if [ -z "${FORCE:-}" ] && docker image inspect "$repository:$runtime" >/dev/null 2>&1; then
        echo "build-lambda-image: $repository:$runtime exists (FORCE=1 rebuilds)"
        continue
    fi
    case "$mode" in
        rootfs) build_rootfs "$runtime" ;;
        host) build_host ;;
        *) echo "build-lambda-image: unknown mode $mode (rootfs|host)" >&2; exit 2 ;;
    esac
done

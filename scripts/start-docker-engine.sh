#!/usr/bin/env bash
# Start dockerd in the background (as root) unless an engine already answers.
set -euo pipefail
# `docker info` can hang on an engine that is stuck: never wait on it unbounded.
answers() { timeout 10 docker info >/dev/null 2>&1; }
answers && exit 0
command -v dockerd >/dev/null || { echo "start-docker-engine: dockerd is not installed" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "start-docker-engine: needs root" >&2; exit 1; }
nohup dockerd >/var/log/ruststack-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
    answers && exit 0
    sleep 0.5
done
echo "start-docker-engine: dockerd did not answer; see /var/log/ruststack-dockerd.log" >&2
exit 1

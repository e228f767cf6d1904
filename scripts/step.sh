#!/usr/bin/env bash
# One step of `make run` / `make test`: say what it does as it starts, run it
# (its own output, pip's progress, shows as it comes), then how long it took.
#   scripts/step.sh "what it does" command [args...]
set -uo pipefail
what=$1
shift
echo "==> $what"
start=$(date +%s%N)
"$@"
status=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$status" -eq 0 ]; then
    printf '    %s: done in %d.%01d s\n' "$what" $((elapsed / 1000)) $((elapsed % 1000 / 100))
else
    printf '    %s: FAILED (exit status %d) after %d.%01d s\n' "$what" "$status" $((elapsed / 1000)) $((elapsed % 1000 / 100)) >&2
fi
exit "$status"

#!/usr/bin/env bash
# Fuzz campaign: run every fuzz target of the repository for a while each and report
# what the fuzzer found new.
#
#   scripts/fuzz.sh [MINUTES_PER_TARGET] [TARGET_REGEXP]     (default 1 minute, every target)
#
# For each `func FuzzXxx` in the workspace's modules (the interop module aside) it runs
#   go test -run '^$' -fuzz '^FuzzXxx$' -fuzztime Nm PKG
# A crash fails the run: go test writes the failing input to PKG/testdata/fuzz/FuzzXxx/,
# where it becomes a regression test; commit it with the fix. Inputs that reach new
# code go to the fuzz cache ($(go env GOCACHE)/fuzz); the script copies the ones this
# run added into PKG/testdata/fuzz/FuzzXxx/ (same file format), so `go test` replays
# them from then on: review and commit them. The summary lists, per target, the corpus
# entries added and whether it crashed.
set -uo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-1}
filter=${2:-.}
cache=$(go env GOCACHE)/fuzz
summary=()
failed=0

mapfile -t files < <(git ls-files '*_test.go' | grep -v '^interop/' | xargs grep -l '^func Fuzz' | sort)
for f in "${files[@]}"; do
  dir=$(dirname "$f")
  pkg=$(cd "$dir" && go list .) || continue
  for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    [[ $target =~ $filter ]] || continue
    seen=$(mktemp)
    ls "$cache/$pkg/$target" 2>/dev/null | sort >"$seen"
    echo "== $pkg $target (${minutes}m)"
    if (cd "$dir" && go test -run '^$' -fuzz "^${target}\$" -fuzztime "${minutes}m" . 2>&1 | tail -5); then
      status=ok
    else
      status=CRASH; failed=1
    fi
    added=0
    mkdir -p "$dir/testdata/fuzz/$target"
    while read -r entry; do
      [ -n "$entry" ] || continue
      if ! grep -qx "$entry" "$seen" && [ ! -e "$dir/testdata/fuzz/$target/$entry" ]; then
        cp "$cache/$pkg/$target/$entry" "$dir/testdata/fuzz/$target/$entry"
        added=$((added + 1))
      fi
    done < <(ls "$cache/$pkg/$target" 2>/dev/null)
    rmdir "$dir/testdata/fuzz/$target" 2>/dev/null || true
    rm -f "$seen"
    summary+=("$(printf '%-55s %-28s %4d new corpus entries  %s' "$pkg" "$target" "$added" "$status")")
  done
done
echo
echo "== fuzz campaign: ${minutes}m per target"
printf '%s\n' "${summary[@]}"
[ $failed = 0 ] || { echo "a target crashed: its input is in testdata/fuzz (see above)"; exit 1; }

#!/usr/bin/env bash
# Every test, twice: a plain build and an AddressSanitizer +
# UndefinedBehaviorSanitizer build, both with warnings as errors; then the
# tests that run threads (unit and end-to-end: the server's workers, drain,
# reloads) once more under ThreadSanitizer. Installs what it needs first.
# Ends with one "N passed, N failed" line; exit status is non-zero when
# anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh || exit 1

status=0
run_suite() { # build-dir meson-setup-args... [-- meson-test-args...]
  local dir=$1; shift
  local setup=() tests=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do setup+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  tests=("$@")
  if [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" "${setup[@]}" >/dev/null || return 1
  else
    meson setup "$dir" "${setup[@]}" >/dev/null || return 1
  fi
  ninja -C "$dir" || return 1
  meson test -C "$dir" --print-errorlogs --num-processes 2 "${tests[@]}"
}

run_suite build -Dwerror=true || status=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  run_suite build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false || status=1

TSAN_OPTIONS=halt_on_error=1:report_signal_unsafe=0 \
  run_suite build-tsan -Dwerror=true -Db_sanitize=thread -Db_lundef=false -- --suite unit --suite e2e || status=1

# One closing line over the three builds, from meson's own logs.
/usr/bin/python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
  build-tsan/meson-logs/testlog.json <<'PY' || status=1
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        continue
    for line in lines:
        r = json.loads(line).get("result")
        if r == "OK": passed += 1
        elif r in ("SKIP",): skipped += 1
        elif r == "EXPECTEDFAIL": passed += 1
        else: failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
exit $status

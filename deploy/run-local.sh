#!/usr/bin/env bash
# The main job on a fresh machine: install dependencies, build, and run the
# webhook on https://localhost:8443 (health and metrics on
# http://localhost:8080) with the built-in policy and throwaway dev
# certificates. It prints a curl command that posts a sample review.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build django-admission >/dev/null
exec build/django-admission serve --dev "$@"

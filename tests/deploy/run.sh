#!/bin/bash
# Checks deploy/ against the built binary, without a cluster:
#  - static checks of every manifest and kustomization (check_manifests.py)
#  - kubectl kustomize renders each folder (when kubectl is installed)
#  - the canonical Django Deployment has zero violations and nothing to add,
#    under the built-in policy and under deploy/webhook/policy.yaml
#  - deploy/webhook/policy.yaml judges like the built-in default
#  - the certs command makes what the webhook manifests expect
#  - the image recipe (Dockerfile) installs what the binary links and runs
#    as the Deployment expects
# usage: run.sh BINARY DEPLOY_DIR
set -u

bin=${1:?usage: run.sh BINARY DEPLOY_DIR}
deploy=${2:?usage: run.sh BINARY DEPLOY_DIR}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
[ -x "$py" ] || py=python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/deploy-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

dep=$deploy/django/deployment.yaml
policy=$deploy/webhook/policy.yaml

# --- static -------------------------------------------------------------
if out=$("$py" "$here/check_manifests.py" "$deploy" 2>&1); then
    ok "manifests and kustomizations are consistent"
else
    not_ok "manifests and kustomizations are consistent" "$out"
fi

if command -v kubectl >/dev/null 2>&1; then
    for d in webhook django cert-manager; do
        if out=$(kubectl kustomize "$deploy/$d" 2>&1 >"$tmp/$d.yaml"); then
            ok "kubectl kustomize deploy/$d renders"
        else
            not_ok "kubectl kustomize deploy/$d renders" "$out"
        fi
    done
    # the rendered Django folder: one Deployment checked, the rest skipped
    out="render failed"
    if [ -s "$tmp/django.yaml" ] && out=$("$bin" check "$tmp/django.yaml" 2>&1) &&
        grep -q "^1 objects checked, 3 skipped, 0 enforce violations, 0 warnings$" <<<"$out"; then
        ok "rendered deploy/django: check finds nothing"
    else
        not_ok "rendered deploy/django: check finds nothing" "$out"
    fi
    # the webhook's own Deployment is not Django: skipped, not judged
    out="render failed"
    if [ -s "$tmp/webhook.yaml" ] && out=$("$bin" check "$tmp/webhook.yaml" 2>&1) &&
        grep -q "^0 objects checked, 8 skipped" <<<"$out"; then
        ok "rendered deploy/webhook: nothing selected as Django"
    else
        not_ok "rendered deploy/webhook: nothing selected as Django" "$out"
    fi
else
    skip "kubectl kustomize renders deploy/*" "kubectl not installed"
fi

# --- the canonical Django Deployment --------------------------------------
for p in "" "$policy"; do
    label=${p:+ with deploy/webhook/policy.yaml}
    label=${label:- with the built-in policy}
    args=()
    [ -n "$p" ] && args=(--policy "$p")

    out=$("$bin" check "${args[@]}" "$dep" 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && grep -q "^1 objects checked, 0 skipped, 0 enforce violations, 0 warnings$" <<<"$out"; then
        ok "check deploy/django: zero violations$label"
    else
        not_ok "check deploy/django: zero violations$label" "exit $rc" "$out"
    fi

    out=$("$bin" check "${args[@]}" -o json "$dep" 2>/dev/null)
    if "$py" -c '
import json, sys
doc = json.load(sys.stdin)
s = doc["summary"]
assert s["objects"] == 1 and s["enforce"] == 0 and s["warn"] == 0, s
assert doc["objects"][0]["violations"] == [], doc["objects"][0]["violations"]
' <<<"$out" 2>"$tmp/err"; then
        ok "check -o json deploy/django: no violation$label"
    else
        not_ok "check -o json deploy/django: no violation$label" "$(cat "$tmp/err")"
    fi

    out=$("$bin" mutate "${args[@]}" -o patch "$dep" 2>"$tmp/err")
    rc=$?
    if [ $rc -eq 0 ] && [ "$out" = "[]" ]; then
        ok "mutate -o patch deploy/django prints []$label"
    else
        not_ok "mutate -o patch deploy/django prints []$label" "exit $rc" "$out" "$(cat "$tmp/err")"
    fi
done

# --- the same engine does see a broken copy (the checks above can fail) ----
"$py" - "$dep" "$tmp/broken.yaml" <<'EOF'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
c = d["spec"]["template"]["spec"]["containers"][0]
del c["livenessProbe"]
c["image"] = "registry.example.com/django-app:latest"
d["spec"]["replicas"] = 1
yaml.safe_dump(d, open(sys.argv[2], "w"))
EOF
out=$("$bin" check "$tmp/broken.yaml" 2>&1)
rc=$?
if [ $rc -eq 1 ] && grep -q "replicas-minimum" <<<"$out" && grep -q "probe-liveness-missing" <<<"$out" &&
    grep -q "image-tag" <<<"$out"; then
    ok "a broken copy of deploy/django is rejected"
else
    not_ok "a broken copy of deploy/django is rejected" "exit $rc" "$out"
fi
out=$("$bin" mutate -o patch "$tmp/broken.yaml" 2>&1)
if grep -q '"path":"/spec/template/spec/containers/0/livenessProbe"' <<<"$out"; then
    ok "a broken copy of deploy/django gets its probe back from mutate"
else
    not_ok "a broken copy of deploy/django gets its probe back from mutate" "$out"
fi

# --- policy.yaml is the built-in default, written out ----------------------
# Judge variants that exercise every area with both policies: the reports
# must be identical.
"$py" - "$dep" "$tmp" <<'EOF'
import copy, sys, yaml
base = yaml.safe_load(open(sys.argv[1]))
out = sys.argv[2]
def variant(name, edit):
    d = copy.deepcopy(base)
    edit(d)
    yaml.safe_dump(d, open("%s/variant-%s.yaml" % (out, name), "w"))
pod = lambda d: d["spec"]["template"]["spec"]
main = lambda d: pod(d)["containers"][0]
variant("bare", lambda d: (pod(d).pop("securityContext"), pod(d).pop("affinity"), d["spec"].pop("strategy"),
                           d["spec"].pop("replicas"), d["spec"]["template"]["metadata"].pop("annotations"),
                           [main(d).pop(k) for k in ("livenessProbe", "readinessProbe", "startupProbe",
                                                     "resources", "securityContext")]))
variant("probes", lambda d: (main(d)["livenessProbe"].update(periodSeconds=1, timeoutSeconds=9),
                             main(d)["readinessProbe"].update(failureThreshold=50),
                             main(d)["startupProbe"].update(successThreshold=2)))
variant("resources", lambda d: main(d)["resources"].update(requests={"cpu": "2", "memory": "2Gi"},
                                                           limits={"cpu": "8", "memory": "8Gi"}))
variant("security", lambda d: (main(d)["securityContext"].update(privileged=True, runAsUser=0,
                                                                  readOnlyRootFilesystem=False,
                                                                  capabilities={"add": ["SYS_ADMIN", "NET_BIND_SERVICE"]}),
                               pod(d).update(hostNetwork=True)))
variant("env", lambda d: main(d)["env"].append({"name": "API_TOKEN", "value": "hunter2"}))
variant("strategy", lambda d: d["spec"]["strategy"]["rollingUpdate"].update(maxUnavailable="50%"))
EOF
same=1
for v in "$tmp"/variant-*.yaml; do
    a=$("$bin" check -o json "$v" 2>&1)
    b=$("$bin" check --policy "$policy" -o json "$v" 2>&1)
    pa=$("$bin" mutate -o patch "$v" 2>&1)
    pb=$("$bin" mutate --policy "$policy" -o patch "$v" 2>&1)
    if [ "$a" != "$b" ] || [ "$pa" != "$pb" ]; then
        same=0
        not_ok "policy.yaml judges $(basename "$v") like the built-in default" \
            "$(diff <(echo "$a"; echo "$pa") <(echo "$b"; echo "$pb") | head -20)"
    fi
done
[ $same -eq 1 ] && ok "policy.yaml judges every variant like the built-in default"
# the variants are not all compliant: the comparison above compared something
if "$bin" check "$tmp"/variant-*.yaml >/dev/null 2>&1; then
    not_ok "the policy variants contain violations"
else
    ok "the policy variants contain violations"
fi

# --- the container image recipe (deploy/Dockerfile) -------------------------
# Without a registry here the image is not built; what can go wrong in it
# is checked against this machine instead: its runtime stage installs the
# package of every library the binary links (the base image has libc), and
# it runs as the user, and is tagged as, the webhook's Deployment says.
dockerfile=$deploy/Dockerfile
runtime=$(awk '/^FROM /{stage++} stage == 2' "$dockerfile" | tr -s ' \\' '\n' | grep -E '^lib[a-z0-9.+-]+$' | sort -u)
missing=""
for lib in $(readelf -d "$bin" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    case $lib in
        libc.so.* | ld-linux* | libm.so.* | libasan* | libubsan* | libtsan* | liblsan* | libstdc++* | libgcc_s*) continue ;;
    esac
    path=$(ldd "$bin" | awk -v l="$lib" '$1 == l { print $3 }')
    pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n 1 | cut -d: -f1)
    [ -n "$pkg" ] || pkg=$(dpkg -S "$path" 2>/dev/null | head -n 1 | cut -d: -f1)
    grep -qx "$pkg" <<<"$runtime" || missing="$missing $lib(${pkg:-no package})"
done
if [ -z "$missing" ] && [ -n "$runtime" ]; then
    ok "Dockerfile: the runtime stage installs every library the binary links"
else
    not_ok "Dockerfile: the runtime stage installs every library the binary links" \
        "missing:${missing:- (no runtime packages found)}" "runtime packages: $(echo $runtime)"
fi
user=$(sed -n 's/^USER //p' "$dockerfile")
run_as=$(sed -n 's/^ *runAsUser: //p' "$deploy/webhook/deployment.yaml" | head -n 1)
run_group=$(sed -n 's/^ *runAsGroup: //p' "$deploy/webhook/deployment.yaml" | head -n 1)
if [ "$user" = "$run_as:$run_group" ]; then
    ok "Dockerfile: USER is the Deployment's runAsUser:runAsGroup ($user)"
else
    not_ok "Dockerfile: USER is the Deployment's runAsUser:runAsGroup" "USER $user, Deployment $run_as:$run_group"
fi
image=$(sed -n 's/^ *image: \(django-admission:.*\)$/\1/p' "$deploy/webhook/deployment.yaml")
if [ -n "$image" ] && grep -q -- "-t $image " "$dockerfile"; then
    ok "Dockerfile: builds the image the Deployment runs ($image)"
else
    not_ok "Dockerfile: builds the image the Deployment runs" "Deployment image '${image}'"
fi

# --- the certs command makes what deploy/webhook expects -------------------
svc=$("$py" -c '
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d.get("kind") == "Service":
        print(d["metadata"]["name"], d["metadata"]["namespace"])
' "$deploy/webhook/service.yaml")
read -r svc_name svc_ns <<<"$svc"
b64=$("$bin" certs --service "$svc_name" --namespace "$svc_ns" --out "$tmp/certs" --days 30 2>"$tmp/err")
rc=$?
if [ $rc -eq 0 ] && [ "$(printf '%s\n' "$b64" | wc -l)" -eq 1 ] &&
    [ "$(printf '%s' "$b64" | base64 -d 2>/dev/null)" = "$(cat "$tmp/certs/ca.crt")" ]; then
    ok "certs prints ca.crt as one base64 line (the caBundle)"
else
    not_ok "certs prints ca.crt as one base64 line (the caBundle)" "exit $rc" "$(cat "$tmp/err")"
fi
if command -v openssl >/dev/null 2>&1; then
    if out=$(openssl verify -purpose sslserver -CAfile "$tmp/certs/ca.crt" "$tmp/certs/tls.crt" 2>&1) &&
        sans=$(openssl x509 -noout -ext subjectAltName -in "$tmp/certs/tls.crt" 2>&1) &&
        grep -q "DNS:$svc_name.$svc_ns.svc," <<<"$sans" &&
        grep -q "DNS:$svc_name.$svc_ns.svc.cluster.local" <<<"$sans"; then
        ok "certs: tls.crt verifies against ca.crt and names $svc_name.$svc_ns.svc"
    else
        not_ok "certs: tls.crt verifies against ca.crt and names $svc_name.$svc_ns.svc" "$out" "${sans:-}"
    fi
else
    skip "certs: openssl verify" "openssl not installed"
fi
mode=$(stat -c %a "$tmp/certs/tls.key" 2>/dev/null)
if [ "$mode" = 600 ]; then
    ok "certs: tls.key is mode 600"
else
    not_ok "certs: tls.key is mode 600" "mode ${mode:-missing}"
fi
for bad in "--service Bad_Name --namespace x" "--service a --namespace b --days 0" "--service a" "--bogus"; do
    # shellcheck disable=SC2086
    out=$("$bin" certs $bad --out "$tmp/bad" 2>&1 >"$tmp/stdout")
    rc=$?
    if [ $rc -eq 2 ] && [ -n "$out" ] && [ ! -s "$tmp/stdout" ] && [ ! -e "$tmp/bad/tls.key" ]; then
        ok "certs $bad: exit 2 with a message, nothing written"
    else
        not_ok "certs $bad: exit 2 with a message, nothing written" "exit $rc" "$out"
    fi
done

echo "1..$n"
[ $failed -eq 0 ]

#!/bin/bash
# Command-line tests: every command, output format and exit code of
# django-admission, run against the real binary.
#
#   bash tests/cli/run.sh /path/to/django-admission
#
# Prints one "ok N - what" / "not ok N - what" line per assertion (with the
# command's stdout and stderr under a failure) and a final "N passed, N
# failed" line; exits 1 when anything failed. Oracles: /usr/bin/python3
# (json, yaml, jsonpatch) and xmllint against tests/cli/junit.xsd.
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: bash tests/cli/run.sh /path/to/django-admission" >&2
    exit 2
fi
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
XSD=$HERE/junit.xsd
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT=$TMP/stdout
ERR=$TMP/stderr
# file names in reports are as given on the command line: run from inputs/
cd "$HERE/inputs" || exit 2

passed=0
failed=0
count=0
rc=0
last_cmd=""

# run CMD...: stdout to $OUT, stderr to $ERR, exit code to $rc.
run() {
    last_cmd="$*"
    "$@" >"$OUT" 2>"$ERR"
    rc=$?
}

# run_in FILE CMD...: like run, with FILE on standard input.
run_in() {
    local input=$1
    shift
    last_cmd="$* < $input"
    "$@" <"$input" >"$OUT" 2>"$ERR"
    rc=$?
}

# t NAME TEST...: records one assertion; TEST is a command that must succeed.
t() {
    local name=$1
    shift
    count=$((count + 1))
    if "$@"; then
        passed=$((passed + 1))
        echo "ok $count - $name"
    else
        failed=$((failed + 1))
        echo "not ok $count - $name"
        echo "#   command: $last_cmd (exit $rc)"
        echo "#   assertion: $*"
        head -c 1500 "$OUT" | sed 's/^/#   stdout: /'
        head -c 1500 "$ERR" | sed 's/^/#   stderr: /'
    fi
}

exit_is() { [ "$rc" -eq "$1" ]; }
out_has() { grep -qF -- "$1" "$OUT"; }
err_has() { grep -qF -- "$1" "$ERR"; }
out_matches() { grep -qE -- "$1" "$OUT"; }
err_matches() { grep -qE -- "$1" "$ERR"; }
out_empty() { [ ! -s "$OUT" ]; }
out_lacks() { ! grep -qF -- "$1" "$OUT"; }
# py SCRIPT ARGS...: runs a python check with the command's stdout as argv[1]
py() {
    local script=$1
    shift
    "$PY" -c "$script" "$OUT" "$@" 2>>"$ERR"
}
# xml_valid: the command's stdout validates against the JUnit XSD
xml_valid() { xmllint --noout --schema "$XSD" "$OUT" 2>>"$ERR" >/dev/null; }
# line_of FILE REGEX: first line number of FILE matching REGEX
line_of() { grep -nE -- "$2" "$1" | head -n 1 | cut -d: -f1; }

# ---------------------------------------------------------------------------
# top level: help, version, unknown command

run "$BIN" --help
t "--help exits 0" exit_is 0
t "--help lists every command" out_matches "check .*mutate|mutate"
t "--help names check" out_has "django-admission check"
t "--help names review" out_has "django-admission review"
run "$BIN" --version
t "--version exits 0" exit_is 0
t "--version prints the name and a version" out_matches "^django-admission [0-9]+\.[0-9]+\.[0-9]+"
run "$BIN"
t "no command exits 2" exit_is 2
t "no command prints usage on stderr" err_has "usage"
run "$BIN" frobnicate
t "unknown command exits 2" exit_is 2
t "unknown command is named on stderr" err_has "frobnicate"
t "unknown command prints nothing on stdout" out_empty
for cmd in check mutate review; do
    run "$BIN" "$cmd" --help
    t "$cmd --help exits 0" exit_is 0
    t "$cmd --help shows its usage" out_has "django-admission $cmd"
done

# ---------------------------------------------------------------------------
# check: text

run "$BIN" check django-bare.yaml
t "check of a bare Deployment exits 1" exit_is 1
replicas_line=$(line_of django-bare.yaml '^  replicas:')
t "check text names FILE:LINE of replicas" \
    out_matches "^django-bare\.yaml:$replicas_line: enforce \[replicas-minimum\] Deployment shop/web: .*\(at /spec/replicas\)$"
t "check text names the container of a probe violation" \
    out_matches "^django-bare\.yaml:[0-9]+: enforce \[probe-liveness-missing\] Deployment shop/web container django: "
t "check text lists warnings" out_matches "^django-bare\.yaml:[0-9]+: warn \[pod-anti-affinity\] "
t "check text ends with the summary" \
    bash -c "tail -n 1 '$OUT' | grep -qE '^1 objects checked, 0 skipped, [1-9][0-9]* enforce violations, [0-9]+ warnings$'"
t "check stdout holds only the report" \
    bash -c "! grep -vE '^(django-bare\.yaml:[0-9]+: (enforce|warn|exemption|truncated) |[0-9]+ objects checked, )' '$OUT'"
t "check stderr has the count" err_has "django-admission check: 1 objects checked, 0 skipped"
t "check stderr does not repeat the report" bash -c "! grep -q 'enforce \[' '$ERR'"
enforce_count=$(tail -n 1 "$OUT" | sed -E 's/.* skipped, ([0-9]+) enforce.*/\1/')
t "check summary counts every enforce line" \
    test "$(grep -c ': enforce \[' "$OUT")" = "$enforce_count"

run "$BIN" check django-compliant.yaml
t "check of a compliant Deployment exits 0" exit_is 0
t "compliant: no enforce violation" out_has "1 objects checked, 0 skipped, 0 enforce violations"

sed 's/^  replicas: 3$/  replicas: 1/' django-compliant.yaml >"$TMP/replicas-1.yaml"
run "$BIN" check "$TMP/replicas-1.yaml"
t "replicas 1 alone is an enforce violation" exit_is 1
t "replicas 1 reported at its line" out_matches ":$(line_of "$TMP/replicas-1.yaml" '^  replicas:'): enforce \[replicas-minimum\]"
run "$BIN" check --policy policy-warn-replicas.yaml "$TMP/replicas-1.yaml"
t "check with warn-only violations exits 0" exit_is 0
t "policy turns the rule into a warning" out_matches ": warn \[replicas-minimum\] "
run "$BIN" check --policy=policy-warn-replicas.yaml -o json "$TMP/replicas-1.yaml"
t "--policy=F and -o json together exit 0" exit_is 0

run "$BIN" check empty.yaml
t "check of an empty file exits 0" exit_is 0
t "empty file: nothing checked" out_has "0 objects checked, 0 skipped, 0 enforce violations, 0 warnings"

# ---------------------------------------------------------------------------
# check: multi-document files, Lists, stdin, several files

run "$BIN" check multi.yaml
t "multi-document check exits 1" exit_is 1
t "multi-document: one checked, three skipped" out_has "1 objects checked, 3 skipped"
t "multi-document: stderr count" err_has "django-admission check: 1 objects checked, 3 skipped"
doc2_replicas=$(grep -nE '^  replicas: 2$' multi.yaml | cut -d: -f1)
t "multi-document: line is within the second document" \
    out_matches "^multi\.yaml:$doc2_replicas: enforce \[replicas-minimum\] Deployment shop/web"
t "multi-document: the unselected Deployment is not judged" out_lacks "redis"

run "$BIN" check list.yaml
t "kind: List check exits 1" exit_is 1
t "kind: List: one checked, one skipped" out_has "1 objects checked, 1 skipped"
list_replicas=$(line_of list.yaml '^      replicas: 1$')
t "kind: List: violation line inside the item" \
    out_matches "^list\.yaml:$list_replicas: enforce \[replicas-minimum\] Deployment shop/web.*\(at /spec/replicas\)$"

run_in django-bare.yaml "$BIN" check -
t "check - reads stdin and exits 1" exit_is 1
t "check - names stdin as -" out_matches "^-:$replicas_line: enforce \[replicas-minimum\] "

run "$BIN" check django-compliant.yaml multi.yaml list.yaml
t "several files: exit 1" exit_is 1
t "several files: totals" out_has "3 objects checked, 4 skipped"

# ---------------------------------------------------------------------------
# check: JSON, JUnit, SARIF

run "$BIN" check -o json django-bare.yaml multi.yaml
t "check -o json exits 1" exit_is 1
t "check -o json is one JSON document with the summary" py '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
assert s["files"] == 2 and s["objects"] == 2 and s["skipped"] == 3, s
assert s["enforce"] == sum(1 for o in d["objects"] for v in o["violations"] if v["action"] == "enforce")
assert s["warn"] == sum(1 for o in d["objects"] for v in o["violations"] if v["action"] == "warn")
o = d["objects"][0]
assert (o["file"], o["kind"], o["namespace"], o["name"]) == ("django-bare.yaml", "Deployment", "shop", "web"), o
v = [v for v in o["violations"] if v["rule"] == "replicas-minimum"][0]
assert v["pointer"] == "/spec/replicas" and v["line"] == int(sys.argv[2]) and v["severity"], v
assert set(o["exemptions"]) >= {"used", "refused"}
assert d["objects"][1]["file"] == "multi.yaml"
' "$replicas_line"
run "$BIN" check --output json django-compliant.yaml
t "check --output json of a compliant file exits 0" exit_is 0
t "compliant JSON has no enforce violations" py '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["summary"]["enforce"] == 0 and d["summary"]["objects"] == 1
'

run "$BIN" check -o junit django-bare.yaml django-compliant.yaml multi.yaml
t "check -o junit exits 1" exit_is 1
t "JUnit validates against the JUnit XSD" xml_valid
t "JUnit counts are right" py '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites"
suites = root.findall("testsuite")
assert [s.get("name") for s in suites] == ["django-bare.yaml", "django-compliant.yaml", "multi.yaml"]
for s in suites:
    cases = s.findall("testcase")
    assert int(s.get("tests")) == len(cases)
    assert int(s.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
bare = suites[0].find("testcase")
assert bare.get("classname") == "django-bare.yaml" and bare.get("name") == "Deployment shop/web"
assert any(f.get("type") == "replicas-minimum" for f in bare.findall("failure"))
assert "warn [pod-anti-affinity]" in bare.find("system-out").text
assert suites[1].find("testcase").find("failure") is None
assert int(root.get("tests")) == 3 and int(root.get("failures")) == 2
'
cp django-bare.yaml "$TMP/a&b <\"c\">'.yaml"
run "$BIN" check -o junit "$TMP/a&b <\"c\">'.yaml"
t "JUnit with a hostile file name validates" xml_valid
t "JUnit hostile file name round-trips" py '
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find("testsuite")
assert s.get("name").endswith("/a&b <\"c\">\x27.yaml"), s.get("name")
'
run "$BIN" check -o junit empty.yaml
t "JUnit of nothing validates" xml_valid

run "$BIN" check -o sarif django-bare.yaml
t "check -o sarif exits 1" exit_is 1
t "SARIF 2.1.0 structure" py '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == "2.1.0" and d["$schema"].endswith("sarif-2.1.0.json")
run = d["runs"][0]
drv = run["tool"]["driver"]
assert drv["name"] == "django-admission" and drv["version"]
ids = [r["id"] for r in drv["rules"]]
assert "replicas-minimum" in ids and len(ids) == len(set(ids))
for r in drv["rules"]:
    assert r["shortDescription"]["text"] and r["defaultConfiguration"]["level"] in ("error", "warning", "none")
assert run["results"]
for res in run["results"]:
    assert ids[res["ruleIndex"]] == res["ruleId"]
    assert res["level"] in ("error", "warning")
    loc = res["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "django-bare.yaml"
    assert loc["physicalLocation"]["region"]["startLine"] >= 1
    assert loc["logicalLocations"][0]["fullyQualifiedName"].startswith("Deployment/shop/web")
r = [r for r in run["results"] if r["ruleId"] == "replicas-minimum"][0]
assert r["level"] == "error" and r["locations"][0]["physicalLocation"]["region"]["startLine"] == int(sys.argv[2])
assert r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "Deployment/shop/web/spec/replicas"
assert any(r["level"] == "warning" for r in run["results"])
' "$replicas_line"
run_in django-bare.yaml "$BIN" check -o sarif -
t "SARIF from stdin uses uri stdin" py '
import json, sys
d = json.load(open(sys.argv[1]))
uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in d["runs"][0]["results"]}
assert uris == {"stdin"}, uris
'

# ---------------------------------------------------------------------------
# check: input errors (exit 2, FILE:LINE on stderr, keep going)

run "$BIN" check malformed.yaml
t "malformed YAML exits 2" exit_is 2
t "malformed YAML: FILE:LINE on stderr" err_matches "^malformed\.yaml:[0-9]+: "
t "malformed YAML: no report of it on stdout" out_has "0 objects checked"

run "$BIN" check malformed.yaml django-bare.yaml
t "an input error and violations: exit 2" exit_is 2
t "the other file is still reported" out_matches "^django-bare\.yaml:[0-9]+: enforce \[replicas-minimum\]"

printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n  name: b\n' >"$TMP/dup.yaml"
run "$BIN" check "$TMP/dup.yaml"
t "duplicate key exits 2" exit_is 2
t "duplicate key: FILE:LINE of the second key" err_matches "dup\.yaml:5: .*name"

"$PY" -c 'import json, sys, yaml; json.dump(yaml.safe_load(open("django-bare.yaml")), sys.stdout, indent=2)' >"$TMP/bare.json"
run "$BIN" check -o json "$TMP/bare.json"
t "check of a JSON manifest exits 1" exit_is 1
t "JSON manifest: line of replicas found" py '
import json, sys
src = open(sys.argv[2]).read().splitlines()
want = 1 + next(i for i, l in enumerate(src) if l.strip().startswith("\"replicas\""))
d = json.load(open(sys.argv[1]))
v = [v for v in d["objects"][0]["violations"] if v["rule"] == "replicas-minimum"][0]
assert v["line"] == want, (v["line"], want)
' "$TMP/bare.json"

run "$BIN" check no-template.yaml
t "Deployment without spec.template exits 2" exit_is 2
t "missing template: FILE:LINE and pointer" err_matches "^no-template\.yaml:[0-9]+: .*/spec/template"

run "$BIN" check containers-not-list.yaml
t "containers not a list exits 2" exit_is 2
t "containers not a list: FILE:LINE at the containers" \
    err_matches "^containers-not-list\.yaml:$(line_of containers-not-list.yaml '^      containers:'): .*at /spec/template/spec/containers$"

run "$BIN" check not-an-object.yaml
t "a document that is not an object exits 2" exit_is 2
t "not an object: named on stderr" err_has "not-an-object.yaml:"
t "not an object: its type as a YAML user says it" \
    err_has "a manifest must be an object (got a string)"

printf 'apiVersion: v1\nkind: List\nitems:\n  name: web\n' >"$TMP/list-items-map.yaml"
run "$BIN" check "$TMP/list-items-map.yaml"
t "List whose items are a mapping exits 2" exit_is 2
t "List items not a list: FILE:LINE, message and pointer" \
    err_matches "list-items-map\.yaml:3: items of a List must be a list \(got an object\) at /items$"
printf 'apiVersion: v1\nkind: List\nitems:\n- just text\n- [1, 2]\n' >"$TMP/list-item-text.yaml"
run "$BIN" check "$TMP/list-item-text.yaml"
t "List items that are not objects exit 2" exit_is 2
t "List item a string: its line and pointer" \
    err_matches "list-item-text\.yaml:4: a manifest must be an object \(got a string\) at /items/0$"
t "List item a list: its line and pointer" \
    err_matches "list-item-text\.yaml:5: a manifest must be an object \(got a list\) at /items/1$"

"$PY" -c '
import json, sys, yaml
d = yaml.safe_load(open("django-bare.yaml"))
del d["metadata"]["name"]
d["metadata"]["generateName"] = "web-"
json.dump(d, sys.stdout)' >"$TMP/generate-name.json"
run "$BIN" check -o json "$TMP/generate-name.json"
t "an object without a name is reported by its generateName" py '
import json, sys
o = json.load(open(sys.argv[1]))["objects"][0]
assert (o["kind"], o["namespace"], o["name"]) == ("Deployment", "shop", "web-"), o
'

run "$BIN" check no-such-file.yaml django-compliant.yaml
t "missing input file exits 2" exit_is 2
t "missing input file is named" err_has "no-such-file.yaml"
t "the readable file is still checked" out_has "1 objects checked"

run "$BIN" check --policy policy-bad-value.yaml django-bare.yaml
t "policy with a bad value exits 2" exit_is 2
t "policy error names the file, line and key path" \
    err_matches "^policy-bad-value\.yaml:$(line_of policy-bad-value.yaml 'timeoutSeconds'): .*/probes/liveness/timeoutSeconds"
t "policy error: nothing on stdout" out_empty
run "$BIN" check --policy policy-unknown-key.yaml django-bare.yaml
t "policy with an unknown key exits 2" exit_is 2
t "unknown policy key is named with its path" err_has "/replicas/minimun"
run "$BIN" check --policy no-such-policy.yaml django-bare.yaml
t "missing policy file exits 2" exit_is 2
t "missing policy file is named" err_has "no-such-policy.yaml"

# ---------------------------------------------------------------------------
# check: usage errors

usage_case() {
    local name=$1
    shift
    run "$BIN" "$@"
    t "$name exits 2" exit_is 2
    t "$name prints usage on stderr" err_has "usage: django-admission"
    t "$name prints nothing on stdout" out_empty
}
usage_case "check without files" check
usage_case "check with -o and no value" check django-bare.yaml -o
usage_case "check with an unknown format" check -o xml django-bare.yaml
usage_case "check with an unknown flag" check --frobnicate django-bare.yaml
usage_case "check with --policy and no value" check django-bare.yaml --policy
usage_case "check with stdin twice" check - -
usage_case "mutate without a file" mutate
usage_case "mutate with two files" mutate django-bare.yaml multi.yaml
usage_case "mutate with an unknown format" mutate -o xml django-bare.yaml
usage_case "mutate with an unknown flag" mutate -x django-bare.yaml
usage_case "mutate with -o and no value" mutate django-bare.yaml -o

# ---------------------------------------------------------------------------
# mutate

run "$BIN" mutate django-bare.yaml
t "mutate exits 0" exit_is 0
t "mutate -o yaml starts with ---" bash -c "head -n 1 '$OUT' | grep -q '^---'"
cp "$OUT" "$TMP/mutated.yaml"
t "mutate summarises each addition on stderr" \
    err_matches "^django-bare\.yaml:[0-9]+ Deployment shop/web: added "
t "mutate stderr has no YAML" bash -c "! grep -q '^---' '$ERR'"
t "mutate keeps what the user wrote" py '
import sys, yaml
(d,) = list(yaml.safe_load_all(open(sys.argv[1])))
assert d["spec"]["replicas"] == 1, "mutation must not overwrite replicas"
c = d["spec"]["template"]["spec"]["containers"][0]
assert c["image"] == "registry.example.com/shop/web:4.2.11"
assert c["livenessProbe"]["httpGet"]["path"] == "/health/live/"
assert c["resources"]["requests"]["cpu"] == "500m"
assert d["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
'
run "$BIN" check "$TMP/mutated.yaml"
t "check of mutate output: only the user-written replicas fail" \
    bash -c "grep ': enforce \[' '$OUT' | grep -qv 'replicas-minimum' && exit 1; exit 0"

sed 's/^  replicas: 1$/  replicas: 3/' django-bare.yaml >"$TMP/typical.yaml"
run "$BIN" mutate "$TMP/typical.yaml"
cp "$OUT" "$TMP/typical-mutated.yaml"
run "$BIN" check "$TMP/typical-mutated.yaml"
t "mutate then check of a typical Django Deployment: exit 0" exit_is 0
t "mutate then check: no enforce violations" out_has " 0 enforce violations"
run_in "$TMP/typical-mutated.yaml" "$BIN" mutate -o patch -
t "mutate of its own output adds nothing" bash -c "[ \"\$(cat '$OUT')\" = '[]' ]"

run "$BIN" mutate multi.yaml
t "mutate multi-document exits 0" exit_is 0
t "every document passes through, in order" py '
import sys, yaml
src = [d for d in yaml.safe_load_all(open("multi.yaml")) if d is not None]
out = list(yaml.safe_load_all(open(sys.argv[1])))
assert [d["kind"] for d in out] == [d["kind"] for d in src]
assert out[0] == src[0], "Service must pass through unchanged"
assert out[2] == src[2], "unselected Deployment must pass through unchanged"
assert out[3] == src[3], "ConfigMap must pass through unchanged"
assert out[1] != src[1] and "livenessProbe" in out[1]["spec"]["template"]["spec"]["containers"][0]
'
t "each document starts with ---" test "$(grep -c '^---' "$OUT")" = 4

run "$BIN" mutate -o json django-bare.yaml
t "mutate -o json exits 0" exit_is 0
t "mutate -o json of one document prints that document" py '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "Deployment" and d["metadata"]["name"] == "web"
assert "startupProbe" in d["spec"]["template"]["spec"]["containers"][0]
'
run "$BIN" mutate -o json multi.yaml
t "mutate -o json of several documents is a v1 List" py '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["apiVersion"] == "v1" and d["kind"] == "List"
assert [i["kind"] for i in d["items"]] == ["Service", "Deployment", "Deployment", "ConfigMap"]
'

run "$BIN" mutate -o patch multi.yaml
t "mutate -o patch exits 0" exit_is 0
t "mutate -o patch: one line per object" test "$(wc -l <"$OUT")" = 4
t "mutate -o patch: [] for objects not selected" py '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
p = [json.loads(l) for l in lines]
assert p[0] == [] and p[2] == [] and p[3] == []
assert p[1] and all(op["op"] == "add" for op in p[1])
'
cp "$OUT" "$TMP/multi.patch"
run "$BIN" mutate -o json multi.yaml
t "patches applied with python jsonpatch give mutate's output" "$PY" -c '
import json, sys, yaml, jsonpatch
src = [d for d in yaml.safe_load_all(open("multi.yaml")) if d is not None]
patches = [json.loads(l) for l in open(sys.argv[1])]
want = json.load(open(sys.argv[2]))["items"]
assert len(patches) == len(src) == len(want)
for doc, patch, w in zip(src, patches, want):
    assert jsonpatch.apply_patch(doc, patch) == w
' "$TMP/multi.patch" "$OUT"

run "$BIN" mutate list.yaml
t "mutate of a List exits 0" exit_is 0
t "mutate of a List mutates the Deployment item only" py '
import sys, yaml
src = yaml.safe_load(open("list.yaml"))
(out,) = list(yaml.safe_load_all(open(sys.argv[1])))
assert out["kind"] == "List" and len(out["items"]) == 2
assert out["items"][0] == src["items"][0]
assert "readinessProbe" in out["items"][1]["spec"]["template"]["spec"]["containers"][0]
'
t "mutate of a List: summary names the item line" \
    err_matches "^list\.yaml:$(line_of list.yaml '^  - apiVersion: apps/v1') Deployment shop/web: added "
run "$BIN" mutate -o patch list.yaml
t "mutate -o patch of a List: one line per item" test "$(wc -l <"$OUT")" = 2
t "mutate -o patch of a List: [] for the Service" bash -c "head -n 1 '$OUT' | grep -qx '\[\]'"

run_in multi.yaml "$BIN" mutate -o patch -
t "mutate - reads stdin" exit_is 0
t "mutate - gives the same patches" cmp -s "$OUT" "$TMP/multi.patch"

run "$BIN" mutate empty.yaml
t "mutate of an empty file exits 0 with no output" bash -c "[ $rc -eq 0 ] && [ ! -s '$OUT' ]"

run "$BIN" mutate malformed.yaml
t "mutate of malformed YAML exits 2" exit_is 2
t "mutate malformed: FILE:LINE on stderr" err_matches "^malformed\.yaml:[0-9]+: "
t "mutate malformed: nothing on stdout" out_empty
{ cat multi.yaml; echo "---"; cat no-template.yaml; } >"$TMP/good-then-bad.yaml"
run "$BIN" mutate "$TMP/good-then-bad.yaml"
t "mutate with one bad document exits 2" exit_is 2
t "mutate with one bad document prints nothing" out_empty
bad_spec_line=$(($(wc -l <multi.yaml) + 1 + $(line_of no-template.yaml '^spec:')))
t "mutate names the bad document's line" err_matches "good-then-bad\.yaml:$bad_spec_line: .*/spec/template"
run "$BIN" mutate -o patch containers-not-list.yaml
t "mutate of containers not a list exits 2" exit_is 2
t "mutate containers not a list: nothing on stdout" out_empty
run "$BIN" mutate "$TMP/list-items-map.yaml"
t "mutate of a List whose items are a mapping exits 2" exit_is 2
t "mutate List items not a list: FILE:LINE, message and pointer" \
    err_matches "list-items-map\.yaml:3: items of a List must be a list \(got an object\) at /items$"
t "mutate List items not a list: nothing on stdout" out_empty
run "$BIN" mutate "$TMP/list-item-text.yaml"
t "mutate of a List item that is not an object exits 2" exit_is 2
t "mutate List item a string: its line and pointer" \
    err_matches "list-item-text\.yaml:4: a manifest must be an object \(got a string\) at /items/0$"
run "$BIN" mutate --policy policy-unknown-key.yaml django-bare.yaml
t "mutate with a bad policy exits 2" exit_is 2
t "mutate bad policy names the key path" err_has "/replicas/minimun"

# ---------------------------------------------------------------------------
# review

run_in review-django.json "$BIN" review
t "review exits 0" exit_is 0
t "review echoes the uid and allows" py '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["apiVersion"] == "admission.k8s.io/v1" and d["kind"] == "AdmissionReview"
assert d["response"]["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002"
assert d["response"]["allowed"] is True
assert d["response"]["patchType"] == "JSONPatch" and d["response"]["patch"]
'
run_in review-bad.json "$BIN" review --validate
t "review --validate of a bad Deployment exits 1" exit_is 1
t "review --validate denies with 403 and the uid" py '
import json, sys
d = json.load(open(sys.argv[1]))
r = d["response"]
assert r["uid"] == "3b1e0a53-bad0-4c1e-9d7f-2f7a0c1d9e01" and r["allowed"] is False
assert r["status"]["code"] == 403 and "replicas" in r["status"]["message"]
'
"$PY" -c '
import json, sys, yaml
obj = yaml.safe_load(open("django-compliant.yaml"))
r = json.load(open("review-bad.json"))
r["request"]["object"] = obj
r["request"]["uid"] = "good-uid"
json.dump(r, sys.stdout)
' >"$TMP/review-good.json"
run_in "$TMP/review-good.json" "$BIN" review --validate
t "review --validate of a compliant Deployment exits 0" exit_is 0
t "review --validate allows it" py '
import json, sys
r = json.load(open(sys.argv[1]))["response"]
assert r["uid"] == "good-uid" and r["allowed"] is True
'
printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"' >"$TMP/truncated.json"
run_in "$TMP/truncated.json" "$BIN" review
t "review of malformed JSON exits 2" exit_is 2

# ---------------------------------------------------------------------------
# serve: usage and start-up errors exit 2 at once, naming what is wrong
# (the server itself is tested end to end in tests/e2e)

"$BIN" certs --service django-admission --namespace cli --out "$TMP/serve-certs" >/dev/null 2>&1
"$BIN" certs --service other --namespace cli --out "$TMP/other-certs" >/dev/null 2>&1
CRT=$TMP/serve-certs/tls.crt
KEY=$TMP/serve-certs/tls.key
# serve_fails NAME TEXT ARGS...: serve ARGS must exit 2 within 10 s, saying TEXT
serve_fails() {
    local name=$1 text=$2
    shift 2
    run timeout 10 "$BIN" serve "$@"
    t "serve $name: exits 2" exit_is 2
    t "serve $name: says \"$text\"" err_has "$text"
}
serve_fails "without a certificate" "--tls-cert and --tls-key are required"
serve_fails "--dev with a certificate" "--dev makes its own certificate" --dev --tls-cert "$CRT" --tls-key "$KEY"
serve_fails "with an unknown option" "unknown option --frobnicate" --frobnicate 1
serve_fails "with --drain and no value" "missing value" --tls-cert "$CRT" --tls-key "$KEY" --drain
serve_fails "with a negative drain" "--drain takes a number of seconds" --drain -1
serve_fails "with a drain over an hour" "--drain takes a number of seconds" --drain 3601
serve_fails "with an unknown log level" "--log-level takes debug, info, warn or error" --log-level loud
serve_fails "with a missing certificate file" "$TMP/none.crt" --tls-cert "$TMP/none.crt" --tls-key "$KEY"
serve_fails "with another pair's key" "$TMP/other-certs/tls.key" --tls-cert "$CRT" --tls-key "$TMP/other-certs/tls.key"
serve_fails "with a broken policy" "/replicas/minimun" --tls-cert "$CRT" --tls-key "$KEY" --policy policy-unknown-key.yaml
for listen in 127.0.0.1 1.2.3:8443 "[::1" "[::1]8443" "[fe80::zz]:8443" 127.0.0.1:65536 127.0.0.1:x host.example:8443; do
    serve_fails "--listen $listen" "\"$listen\"" --listen "$listen" --health-listen 127.0.0.1:0 \
        --tls-cert "$CRT" --tls-key "$KEY"
done
serve_fails "--health-listen 300.1.1.1:8080" "invalid IPv4 address in \"300.1.1.1:8080\"" \
    --listen 127.0.0.1:0 --health-listen 300.1.1.1:8080 --tls-cert "$CRT" --tls-key "$KEY"
# a port another program holds
"$PY" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(30)
' >"$TMP/held-port" &
holder=$!
for _ in $(seq 1 50); do [ -s "$TMP/held-port" ] && break; sleep 0.1; done
held=$(cat "$TMP/held-port")
serve_fails "on a port in use" "cannot listen on 127.0.0.1:$held" --listen "127.0.0.1:$held" \
    --health-listen 127.0.0.1:0 --tls-cert "$CRT" --tls-key "$KEY"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# serve makes room in the open-file limit for its connections (one
# descriptor each), or lowers the connection limit to what fits
hard=$(ulimit -Hn)
# serve_limits LIMITS: starts serve under prlimit --nofile=LIMITS; its log
# goes to $ERR and "Max open files" of /proc/PID/limits to $OUT
serve_limits() {
    last_cmd="prlimit --nofile=$1 $BIN serve ..."
    prlimit --nofile="$1" "$BIN" serve --listen 127.0.0.1:0 --health-listen 127.0.0.1:0 \
        --tls-cert "$CRT" --tls-key "$KEY" --drain 0 2>"$ERR" &
    local pid=$!
    for _ in $(seq 1 100); do grep -q '"listening"' "$ERR" && break; sleep 0.05; done
    grep 'Max open files' "/proc/$pid/limits" >"$OUT" 2>/dev/null
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
if [ "$hard" = unlimited ] || [ "$hard" -ge 1280 ]; then
    serve_limits "300:$hard"
    t "serve under a soft open-file limit of 300 raises it to 1280" out_matches "^Max open files +1280 "
    t "serve under a soft open-file limit of 300 keeps 1024 connections" err_has '"connectionLimit":1024,'
fi
serve_limits 300:300
t "serve under a hard open-file limit of 300 keeps it" out_matches "^Max open files +300 +300 "
t "serve under a hard open-file limit of 300 says the connection limit is lowered" \
    err_has '"openFileLimit":300,"connectionLimit":44,"configured":1024'
t "serve under a hard open-file limit of 300 holds 44 connections" err_has '"connectionLimit":44,'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

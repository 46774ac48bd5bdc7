"""Independent oracle for django-admission's patches and fixture outcomes.

    /usr/bin/python3 tests/oracle/check_patches.py BINARY FIXTURES_DIR

For every manifest under FIXTURES_DIR/deployments/ (with its NAME.expect) and
every tests/rules/*/*.yaml (FIXTURES_DIR/../rules), it runs the real binary
and checks what it does against tools that share no code with it:

- the input is read with PyYAML (its safe loader, YAML 1.1 like the go-yaml
  v2 decoder Kubernetes uses, less timestamp typing, which go-yaml v2 does
  not do into interface{}) or json, not with the binary;
- `mutate -o patch` must print one RFC 6902 array per object (List items
  flattened), and each array is applied with Debian's python3-jsonpatch
  (jsonpatch.apply_patch) to the object as PyYAML read it, op by op: every
  op an add whose parent exists and which lands on no existing member
  (mutation never overwrites);
- the python-applied result must equal the binary's own `mutate -o json`
  output, and `mutate -o yaml` read back by PyYAML must equal it too;
- objects that check skips (not selected) get [] and pass through unchanged;
- the patched object, written to a temporary JSON file, must pass
  `check -o json` with no violation except those the .expect lists under
  `remains:` (values the user wrote, which mutation never overwrites), and
  `mutate -o patch` of it must print [] (idempotence);
- for fixtures, `check` and `mutate` exit codes, the set of (rule, action)
  reported, the objects and skipped counts and the exemptions used, refused
  and unknown must be exactly those of the .expect.

The fixtures avoid the other scalars on which PyYAML and go-yaml v2 disagree
(sexagesimal 1:30, 0o17, 0b101), so both readers give the same JSON and any
difference is a real bug.

Prints one TAP-like line per file ("ok N - NAME" or "not ok N - NAME" with
the reasons indented under it) and a final "N passed, N failed" line; exits
1 when anything failed, 2 on bad usage.
"""

import json
import os
import subprocess
import sys
import tempfile

import jsonpatch
import yaml

RUN_TIMEOUT = 60


class GoYamlV2Loader(yaml.SafeLoader):
    """PyYAML's safe loader without timestamp typing: go-yaml v2 (and so
    Kubernetes) keeps a plain 2024-02-11T09:14:03Z a string when it decodes
    into interface{}, where PyYAML would make it a datetime."""


GoYamlV2Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class Expect:
    """A parsed NAME.expect file (format: tests/fixtures/deployments/README.md)."""

    def __init__(self):
        self.policy = None
        self.check_exit = None
        self.mutate_exit = None
        self.objects = None
        self.skipped = None
        self.violations = set()
        self.remains = set()
        self.exempt_used = set()
        self.exempt_refused = set()
        self.exempt_unknown = 0
        self.errors = []
        self.engine_bugs = []


def parse_expect(path):
    e = Expect()
    seen = set()
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.strip()
            if not line:
                continue
            if line.startswith("#"):
                if line[1:].strip().lower().startswith("engine bug"):
                    e.engine_bugs.append(line[1:].strip())
                continue
            key, sep, value = line.partition(":")
            if not sep:
                raise ValueError("%s:%d: expected KEY: VALUE" % (path, number))
            key = key.strip()
            value = value.strip()
            single = key in ("policy", "check-exit", "mutate-exit", "objects", "skipped",
                             "exempt-unknown")
            if single and key in seen:
                raise ValueError("%s:%d: %s given twice" % (path, number, key))
            seen.add(key)
            if key == "policy":
                e.policy = os.path.normpath(os.path.join(os.path.dirname(path), value))
            elif key in ("check-exit", "mutate-exit", "objects", "skipped", "exempt-unknown"):
                setattr(e, key.replace("-", "_"), int(value))
            elif key in ("violation", "remains"):
                parts = value.split()
                if len(parts) != 2 or parts[1] not in ("enforce", "warn"):
                    raise ValueError("%s:%d: expected RULE enforce|warn" % (path, number))
                (e.violations if key == "violation" else e.remains).add(tuple(parts))
            elif key == "exempt-used":
                e.exempt_used.add(value)
            elif key == "exempt-refused":
                e.exempt_refused.add(value)
            elif key == "error":
                e.errors.append(value)
            else:
                raise ValueError("%s:%d: unknown key %r" % (path, number, key))
    if e.check_exit is None or e.mutate_exit is None:
        raise ValueError("%s: check-exit and mutate-exit are required" % path)
    return e


def run(binary, args, stdin=None):
    p = subprocess.run([binary] + args, input=stdin, capture_output=True, timeout=RUN_TIMEOUT)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def load_objects(path):
    """The input as an independent reader sees it: (documents, objects),
    objects being the documents with List items flattened, in order."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".json"):
        docs = [json.loads(text)]
    else:
        docs = [d for d in yaml.load_all(text, Loader=GoYamlV2Loader) if d is not None]
    objects = []
    for d in docs:
        if is_list(d):
            objects.extend(d["items"])
        else:
            objects.append(d)
    return docs, objects


def is_list(d):
    """A List as `kubectl get -o yaml` prints it (kind ends in List, items a list)."""
    return (isinstance(d, dict) and isinstance(d.get("kind"), str) and
            d["kind"].endswith("List") and isinstance(d.get("items"), list))


def identity(obj):
    """(kind, namespace, name) of an object, as check -o json reports it."""
    if not isinstance(obj, dict):
        return ("", "", "")
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return (obj.get("kind") or "", meta.get("namespace") or "",
            meta.get("name") or meta.get("generateName") or "")


def json_view(docs, objects):
    """What `mutate -o json` prints for these documents: the only document,
    or one v1 List of every object."""
    if len(docs) == 1:
        return docs[0]
    return {"apiVersion": "v1", "kind": "List", "items": objects}


def rebuild_docs(docs, patched):
    """docs with each object replaced by its patched version."""
    out = []
    it = iter(patched)
    for d in docs:
        if is_list(d):
            nd = dict(d)
            nd["items"] = [next(it) for _ in d["items"]]
            out.append(nd)
        else:
            out.append(next(it))
    return out


def check_json(binary, policy_args, obj, tmpdir, name):
    """Runs `check -o json` on obj written to a temporary JSON file; returns
    (exit code, set of (rule, action), report, stderr)."""
    path = os.path.join(tmpdir, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False)
    rc, out, err = run(binary, ["check"] + policy_args + ["-o", "json", path])
    try:
        report = json.loads(out)
    except ValueError:
        return rc, None, None, err
    found = set()
    for o in report.get("objects", []):
        for v in o.get("violations", []):
            found.add((v["rule"], v["action"]))
    return rc, found, report, err


def apply_adds(obj, ops, fails, index):
    """Applies ops one at a time with jsonpatch, checking on the way what
    RFC 6902 alone would allow: every op is an add, its parent already
    exists (parents before children), and it does not land on a member that
    is there already (an add onto an existing member replaces it, and
    mutation never overwrites)."""
    doc = obj
    for op in ops:
        if not isinstance(op, dict) or op.get("op") != "add":
            fails.append("object %d: op %r is not an add: mutation only adds" % (index, op))
            continue
        parent, last = jsonpatch.JsonPointer(op["path"]).to_last(doc)
        if isinstance(parent, dict) and last in parent:
            fails.append("object %d: add %s overwrites the value there (%s)"
                         % (index, op["path"], json.dumps(parent[last])[:100]))
        doc = jsonpatch.apply_patch(doc, [op])
    if doc != jsonpatch.apply_patch(obj, ops):
        fails.append("object %d: the ops one by one and the whole patch disagree" % index)
    return doc


def fmt(pairs):
    return ", ".join("%s=%s" % p for p in sorted(pairs)) or "(none)"


def oracle_file(binary, path, expect, tmpdir):
    """All checks for one manifest. Returns a list of failure strings."""
    fails = []
    policy_args = ["--policy", expect.policy] if expect and expect.policy else []

    # exit codes and the reported rule set, straight from the binary
    crc, cout, cerr = run(binary, ["check"] + policy_args + ["-o", "json", path])
    mrc, mout, merr = run(binary, ["mutate"] + policy_args + ["-o", "patch", path])
    if expect:
        if crc != expect.check_exit:
            fails.append("check exit %d, expected %d (stderr: %s)" % (crc, expect.check_exit,
                                                                      cerr.strip()))
        if mrc != expect.mutate_exit:
            fails.append("mutate exit %d, expected %d (stderr: %s)" % (mrc, expect.mutate_exit,
                                                                       merr.strip()))
        for want in expect.errors:
            if crc == 2 and want not in cerr:
                fails.append("check stderr lacks %r: %s" % (want, cerr.strip()))
            if mrc == 2 and want not in merr:
                fails.append("mutate stderr lacks %r: %s" % (want, merr.strip()))
    if crc == 2 or mrc == 2:
        if crc != mrc:
            fails.append("check exit %d but mutate exit %d: an input error is one for both"
                         % (crc, mrc))
        if mout.strip():
            fails.append("mutate printed output despite an input error: %r" % mout[:200])
        return fails

    try:
        report = json.loads(cout)
    except ValueError as exc:
        return fails + ["check -o json is not JSON: %s" % exc]
    found = set()
    used, refused, unknown = set(), set(), 0
    # the objects check judged (the others it skipped): fixtures give every
    # object its own kind/namespace/name
    selected = {(o["kind"], o["namespace"], o["name"]) for o in report.get("objects", [])}
    for o in report.get("objects", []):
        for v in o.get("violations", []):
            found.add((v["rule"], v["action"]))
        used.update(o["exemptions"]["used"])
        refused.update(o["exemptions"]["refused"])
        unknown += o["exemptions"]["unknown"]
    enforce = any(a == "enforce" for _, a in found)
    if crc != (1 if enforce else 0):
        fails.append("check exit %d does not follow from its report (enforce violations: %s)"
                     % (crc, enforce))
    if expect:
        if found != expect.violations:
            fails.append("violations %s, expected %s (missing: %s; unexpected: %s)" % (
                fmt(found), fmt(expect.violations), fmt(expect.violations - found),
                fmt(found - expect.violations)))
        if expect.objects is not None and report["summary"]["objects"] != expect.objects:
            fails.append("%d objects checked, expected %d" % (report["summary"]["objects"],
                                                              expect.objects))
        if expect.skipped is not None and report["summary"]["skipped"] != expect.skipped:
            fails.append("%d objects skipped, expected %d" % (report["summary"]["skipped"],
                                                              expect.skipped))
        if used != expect.exempt_used:
            fails.append("exemptions used %s, expected %s" % (sorted(used),
                                                              sorted(expect.exempt_used)))
        if refused != expect.exempt_refused:
            fails.append("exemptions refused %s, expected %s" % (sorted(refused),
                                                                 sorted(expect.exempt_refused)))
        if unknown != expect.exempt_unknown:
            fails.append("%d unknown exemptions, expected %d" % (unknown, expect.exempt_unknown))

    # the patches, applied by python3-jsonpatch to the input as PyYAML reads it
    docs, objects = load_objects(path)
    lines = mout.splitlines()
    if len(lines) != len(objects):
        return fails + ["mutate -o patch printed %d lines for %d objects" % (len(lines),
                                                                           len(objects))]
    patched = []
    for i, (obj, line) in enumerate(zip(objects, lines)):
        try:
            ops = json.loads(line)
        except ValueError as exc:
            fails.append("object %d: patch line is not JSON: %s" % (i, exc))
            patched.append(obj)
            continue
        if not isinstance(ops, list):
            fails.append("object %d: patch is not an array" % i)
            patched.append(obj)
            continue
        try:
            result = apply_adds(obj, ops, fails, i)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            fails.append("object %d: patch does not apply: %s" % (i, exc))
            patched.append(obj)
            continue
        if ops and identity(obj) not in selected:
            fails.append("object %d (%s %s) is not selected (check skips it) but got a patch"
                         % (i, obj.get("kind"), "/".join(identity(obj)[1:])))
        patched.append(result)

    # the binary's own mutated output must be what python-jsonpatch made
    new_docs = rebuild_docs(docs, patched)
    want = json_view(new_docs, patched)
    rc, jout, jerr = run(binary, ["mutate"] + policy_args + ["-o", "json", path])
    if rc != 0:
        fails.append("mutate -o json exit %d: %s" % (rc, jerr.strip()))
    else:
        try:
            if json.loads(jout) != want:
                fails.append("mutate -o json differs from the input with the patches applied")
        except ValueError as exc:
            fails.append("mutate -o json is not JSON: %s" % exc)
    rc, yout, yerr = run(binary, ["mutate"] + policy_args + ["-o", "yaml", path])
    if rc != 0:
        fails.append("mutate -o yaml exit %d: %s" % (rc, yerr.strip()))
    else:
        ydocs = [d for d in yaml.load_all(yout, Loader=GoYamlV2Loader) if d is not None]
        if ydocs != new_docs:
            fails.append("mutate -o yaml, read back by PyYAML, differs from the patched input")

    # the patched objects: no violation but what mutation cannot fix, and
    # nothing more to add
    remaining = set()
    for i, obj in enumerate(patched):
        if identity(obj) not in selected:
            continue
        rc, left, rep, err = check_json(binary, policy_args, obj, tmpdir, "patched-%d.json" % i)
        if left is None:
            fails.append("object %d: check of the patched object failed (exit %d): %s"
                         % (i, rc, err.strip()))
            continue
        remaining |= left
        rc, out, err = run(binary, ["mutate"] + policy_args + ["-o", "patch",
                                                             os.path.join(tmpdir,
                                                                          "patched-%d.json" % i)])
        if rc != 0 or out.strip() != "[]":
            fails.append("object %d: mutating the patched object again gives %s (exit %d)"
                         % (i, out.strip()[:300], rc))
    if expect and remaining != expect.remains:
        fails.append("after mutation %s remain, expected %s" % (fmt(remaining),
                                                                fmt(expect.remains)))
    # mutation never creates a violation of a rule the input did not violate
    new = {r for r, _ in remaining} - {r for r, _ in found}
    if new:
        fails.append("mutation created violations of %s" % ", ".join(sorted(new)))
    return fails


def main(argv):
    if len(argv) != 3 or not os.access(argv[1], os.X_OK) or not os.path.isdir(argv[2]):
        sys.stderr.write("usage: check_patches.py BINARY FIXTURES_DIR\n")
        return 2
    binary = os.path.abspath(argv[1])
    fixtures = os.path.abspath(argv[2])
    deployments = os.path.join(fixtures, "deployments")
    rules = os.path.join(os.path.dirname(fixtures), "rules")

    cases = []
    for name in sorted(os.listdir(deployments)):
        if name.endswith((".yaml", ".yml", ".json")):
            base = name.rsplit(".", 1)[0]
            cases.append((os.path.join(deployments, name),
                          os.path.join(deployments, base + ".expect")))
    n_fixtures = len(cases)
    if os.path.isdir(rules):
        for rule in sorted(os.listdir(rules)):
            d = os.path.join(rules, rule)
            if not os.path.isdir(d):
                continue
            for name in sorted(os.listdir(d)):
                if name.endswith(".yaml"):
                    cases.append((os.path.join(d, name), None))

    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="oracle-") as tmpdir:
        for n, (path, expect_path) in enumerate(cases, 1):
            shown = os.path.relpath(path, os.path.dirname(fixtures))
            fails = []
            expect = None
            if expect_path is not None:
                if not os.path.exists(expect_path):
                    fails.append("no expectation file %s" % os.path.basename(expect_path))
                else:
                    try:
                        expect = parse_expect(expect_path)
                    except (ValueError, OSError) as exc:
                        fails.append(str(exc))
            if not fails:
                try:
                    fails = oracle_file(binary, path, expect, tmpdir)
                except (OSError, ValueError, yaml.YAMLError, subprocess.SubprocessError,
                        KeyError, TypeError) as exc:
                    fails = ["oracle could not run: %s: %s" % (type(exc).__name__, exc)]
            if fails:
                failed += 1
                print("not ok %d - %s" % (n, shown))
                for bug in (expect.engine_bugs if expect else []):
                    print("  # known: %s" % bug)
                for f in fails:
                    print("  # %s" % f)
            else:
                passed += 1
                print("ok %d - %s" % (n, shown))
    # every fixture needs an expectation and vice versa
    for name in sorted(os.listdir(deployments)):
        if name.endswith(".expect"):
            base = name[: -len(".expect")]
            if not any(os.path.exists(os.path.join(deployments, base + ext))
                       for ext in (".yaml", ".yml", ".json")):
                failed += 1
                print("not ok - %s has no manifest" % name)
    if n_fixtures < 30:
        failed += 1
        print("not ok - only %d fixtures under %s (at least 30 required)" % (n_fixtures,
                                                                              deployments))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

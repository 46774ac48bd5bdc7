"""The README's rule table must match the rule table in src/rules.c, row for
row: a rule added, renamed or re-defaulted in code without its documentation
fails the suite."""
import re
import sys

readme, rules_c = sys.argv[1], sys.argv[2]
src = open(rules_c).read()
code = re.findall(
    r'ROW\((RULE_\w+), "([^"]+)", "([^"]+)", RULE_(\w+), SEVERITY_(\w+), (true|false),\s*"([^"]+)",\s*(\w+), (\w+)\)',
    src)
expected = [(r[1], r[2], r[3].lower(), r[4].lower(), "yes" if r[5] == "true" else "no",
             "yes" if r[8] != "NULL" else "no", r[6]) for r in code]
doc = []
for line in open(readme):
    m = re.match(r'^\| `([a-z0-9-]+)` \| (.*?) \| (.*?) \| (.*?) \| (.*?) \| (.*?) \| (.*?) \|$', line.rstrip("\n"))
    if m:
        doc.append(m.groups())
failed = 0
if len(code) < 20:
    print(f"not ok - found only {len(code)} rules in {rules_c}: the parser is out of date")
    failed += 1
for row in expected:
    if row not in doc:
        print(f"not ok - README lacks or misstates rule {row[0]}: expected {row}")
        failed += 1
for row in doc:
    if row[0] not in [e[0] for e in expected]:
        print(f"not ok - README documents {row[0]}, which src/rules.c does not have")
        failed += 1
print(f"{len(expected) - min(failed, len(expected))} passed, {failed} failed")
sys.exit(1 if failed else 0)

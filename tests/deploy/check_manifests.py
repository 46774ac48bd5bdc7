#!/usr/bin/python3
"""Static checks of deploy/ without a cluster: every YAML file parses, every
kustomization names files that exist, and the pieces that must agree do
(webhook configurations -> Service -> Deployment ports, mounts -> volumes ->
Secret and ConfigMap names, cert-manager names), and the canonical Django
Deployment and Service carry the seed's values.

usage: check_manifests.py DEPLOY_DIR
Prints one line per failed check and exits 1 if any failed, else 0.
"""
import os
import sys

import yaml

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key twice in one mapping (PyYAML keeps the
    last silently; kubectl would reject or silently drop one)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, "duplicate key %r" % (key,), key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.load_all(f, Loader=UniqueKeyLoader) if d is not None]


def dig(obj, *keys):
    for k in keys:
        if isinstance(obj, dict):
            obj = obj.get(k)
        elif isinstance(obj, list) and isinstance(k, int) and k < len(obj):
            obj = obj[k]
        else:
            return None
    return obj


def by_kind(docs, kind, name=None):
    return [d for d in docs if d.get("kind") == kind and
            (name is None or dig(d, "metadata", "name") == name)]


def one(docs, kind, name, where):
    found = by_kind(docs, kind, name)
    check(len(found) == 1, "%s: expected one %s %s, found %d" % (where, kind, name, len(found)))
    return found[0] if found else {}


def kustomize(dirpath, seen=None):
    """Resolves a kustomization the way kustomize does for what we use:
    resources (files and directories), configMapGenerator files, inline and
    file patches. Returns the list of documents, ConfigMaps generated as
    such; patches are checked for existence, not applied."""
    seen = seen or set()
    dirpath = os.path.normpath(dirpath)
    where = os.path.relpath(dirpath)
    if not check(dirpath not in seen, "%s: kustomization cycle" % where):
        return []
    seen = seen | {dirpath}
    kpath = os.path.join(dirpath, "kustomization.yaml")
    if not check(os.path.isfile(kpath), "%s: no kustomization.yaml" % where):
        return []
    k = load_all(kpath)
    check(len(k) == 1, "%s: kustomization.yaml holds %d documents" % (where, len(k)))
    k = k[0] if k else {}
    check(k.get("kind") == "Kustomization", "%s: kind is not Kustomization" % where)
    known = {"apiVersion", "kind", "resources", "configMapGenerator", "patches"}
    check(set(k) <= known, "%s: keys this checker does not understand: %s" % (where, sorted(set(k) - known)))
    docs = []
    resources = k.get("resources") or []
    check(len(resources) == len(set(resources)), "%s: a resource is listed twice" % where)
    for r in resources:
        p = os.path.join(dirpath, r)
        if os.path.isdir(p):
            docs += kustomize(p, seen)
        elif check(os.path.isfile(p), "%s: resource %s does not exist" % (where, r)):
            docs += load_all(p)
    for gen in k.get("configMapGenerator") or []:
        data = {}
        for fname in gen.get("files") or []:
            p = os.path.join(dirpath, fname)
            if check(os.path.isfile(p), "%s: configMapGenerator file %s does not exist" % (where, fname)):
                with open(p, encoding="utf-8") as f:
                    data[os.path.basename(fname)] = f.read()
        check(dig(gen, "options", "disableNameSuffixHash") is True,
              "%s: ConfigMap %s would get a hash suffix the Deployment does not name" % (where, gen.get("name")))
        docs.append({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": gen.get("name"), "namespace": gen.get("namespace")},
                     "data": data})
    for patch in k.get("patches") or []:
        if "path" in patch:
            check(os.path.isfile(os.path.join(dirpath, patch["path"])),
                  "%s: patch %s does not exist" % (where, patch["path"]))
        else:
            body = yaml.load(patch.get("patch", ""), Loader=UniqueKeyLoader)
            target = [d for d in docs if d.get("kind") == dig(body, "kind") and
                      dig(d, "metadata", "name") == dig(body, "metadata", "name")]
            check(len(target) == 1, "%s: inline patch for %s %s matches %d resources" %
                  (where, dig(body, "kind"), dig(body, "metadata", "name"), len(target)))
    return docs


def check_every_yaml_parses(root):
    for dirpath, _, files in os.walk(root):
        for f in sorted(files):
            if not f.endswith((".yaml", ".yml")):
                continue
            p = os.path.join(dirpath, f)
            try:
                docs = load_all(p)
            except yaml.YAMLError as e:
                check(False, "%s: not valid YAML: %s" % (p, e))
                continue
            check(len(docs) > 0, "%s: empty" % p)
            if f == "policy.yaml":
                continue
            for d in docs:
                if not check(isinstance(d, dict), "%s: a document is not a mapping" % p):
                    continue
                if d.get("kind") == "Kustomization":
                    continue
                check(isinstance(d.get("apiVersion"), str) and isinstance(d.get("kind"), str) and
                      isinstance(dig(d, "metadata", "name"), str),
                      "%s: a document lacks apiVersion, kind or metadata.name" % p)


def container_ports(container):
    return {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}


def check_hardened(pod, where):
    psc = pod.get("securityContext") or {}
    check(psc.get("runAsNonRoot") is True, "%s: pod runAsNonRoot is not true" % where)
    check(isinstance(psc.get("runAsUser"), int) and psc.get("runAsUser") > 0, "%s: pod runAsUser is not a non-root uid" % where)
    check(dig(psc, "seccompProfile", "type") == "RuntimeDefault", "%s: pod seccompProfile is not RuntimeDefault" % where)
    for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
        cw = "%s container %s" % (where, c.get("name"))
        sc = c.get("securityContext") or {}
        check(sc.get("allowPrivilegeEscalation") is False, "%s: allowPrivilegeEscalation is not false" % cw)
        check(sc.get("readOnlyRootFilesystem") is True, "%s: readOnlyRootFilesystem is not true" % cw)
        check(dig(sc, "capabilities", "drop") == ["ALL"], "%s: capabilities.drop is not [ALL]" % cw)
        check(not dig(sc, "capabilities", "add"), "%s: adds capabilities" % cw)
        check(sc.get("privileged") in (None, False), "%s: privileged" % cw)
        image = c.get("image") or ""
        check(":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"),
              "%s: image %r is not pinned to a tag" % (cw, image))
        check(isinstance(dig(c, "resources", "requests"), dict) and isinstance(dig(c, "resources", "limits"), dict),
              "%s: no resource requests and limits" % cw)
        volumes = {v.get("name") for v in pod.get("volumes") or []}
        for m in c.get("volumeMounts") or []:
            check(m.get("name") in volumes, "%s: mounts volume %s that the pod does not have" % (cw, m.get("name")))
    check(not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC"),
          "%s: shares a host namespace" % where)
    for v in pod.get("volumes") or []:
        check("hostPath" not in v, "%s: hostPath volume %s" % (where, v.get("name")))


def check_webhook(root):
    where = "deploy/webhook"
    docs = kustomize(os.path.join(root, "webhook"))
    ns = one(docs, "Namespace", "django-admission", where)
    check(dig(ns, "metadata", "labels", "pod-security.kubernetes.io/enforce") == "restricted",
          "%s: namespace does not enforce the restricted profile" % where)
    sa = one(docs, "ServiceAccount", "django-admission", where)
    check(sa.get("automountServiceAccountToken") is False, "%s: ServiceAccount mounts a token" % where)
    dep = one(docs, "Deployment", "django-admission", where)
    svc = one(docs, "Service", "django-admission", where)
    pdb = one(docs, "PodDisruptionBudget", "django-admission", where)
    cm = one(docs, "ConfigMap", "django-admission-policy", where)
    for d in docs:
        if d.get("kind") not in ("Namespace", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
            check(dig(d, "metadata", "namespace") == "django-admission",
                  "%s: %s %s is not in namespace django-admission" % (where, d.get("kind"), dig(d, "metadata", "name")))

    spec = dep.get("spec") or {}
    pod = dig(spec, "template", "spec") or {}
    tmpl_labels = dig(spec, "template", "metadata", "labels") or {}
    check(spec.get("replicas") == 2, "%s: webhook replicas is not 2" % where)
    check(dig(spec, "strategy", "rollingUpdate", "maxUnavailable") == 0, "%s: webhook rollout may drop a pod" % where)
    check(tmpl_labels.get("component") != "django", "%s: the webhook's own pods would be selected as Django" % where)
    check(set((dig(spec, "selector", "matchLabels") or {}).items()) <= set(tmpl_labels.items()),
          "%s: Deployment selector does not match its template" % where)
    check(pod.get("serviceAccountName") == "django-admission", "%s: pod does not use the ServiceAccount" % where)
    check(bool(dig(pod, "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution")),
          "%s: no pod anti-affinity" % where)
    check_hardened(pod, where)
    containers = pod.get("containers") or []
    check(len(containers) == 1, "%s: expected one container" % where)
    c = containers[0] if containers else {}
    check(c.get("image") == "django-admission:0.1.0", "%s: image is not django-admission:0.1.0" % where)
    check(c.get("args") == ["serve", "--tls-cert", "/tls/tls.crt", "--tls-key", "/tls/tls.key",
                            "--policy", "/policy/policy.yaml"], "%s: unexpected args %r" % (where, c.get("args")))
    ports = container_ports(c)
    check(ports == {"https": 8443, "health": 8080}, "%s: container ports %r" % (where, ports))
    for probe, path in (("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready")):
        check(dig(c, probe, "httpGet", "path") == path, "%s: %s path is not %s" % (where, probe, path))
        check(ports.get(dig(c, probe, "httpGet", "port")) == 8080 or dig(c, probe, "httpGet", "port") == 8080,
              "%s: %s is not on the health port 8080" % (where, probe))
    check(dig(c, "resources") == {"requests": {"cpu": "50m", "memory": "32Mi"},
                                  "limits": {"cpu": "500m", "memory": "64Mi"}},
          "%s: resources %r" % (where, dig(c, "resources")))
    mounts = {m.get("mountPath"): m.get("name") for m in c.get("volumeMounts") or []}
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    tls = volumes.get(mounts.get("/tls")) or {}
    check(dig(tls, "secret", "secretName") == "django-admission-tls", "%s: /tls is not the Secret django-admission-tls" % where)
    pol = volumes.get(mounts.get("/policy")) or {}
    check(dig(pol, "configMap", "name") == "django-admission-policy",
          "%s: /policy is not the ConfigMap django-admission-policy" % where)
    check("policy.yaml" in (cm.get("data") or {}), "%s: the policy ConfigMap has no policy.yaml" % where)
    check(not any("subPath" in m for m in c.get("volumeMounts") or []),
          "%s: a subPath mount would never see a renewed certificate or policy" % where)

    check(set((dig(svc, "spec", "selector") or {}).items()) <= set(tmpl_labels.items()) and dig(svc, "spec", "selector"),
          "%s: Service selects no webhook pod" % where)
    svc_ports = {p.get("port"): p.get("targetPort") for p in dig(svc, "spec", "ports") or []}
    check(svc_ports.get(443) in ("https", 8443), "%s: Service port 443 does not reach 8443" % where)
    check(dig(pdb, "spec", "minAvailable") == 1, "%s: PodDisruptionBudget minAvailable is not 1" % where)
    check(set((dig(pdb, "spec", "selector", "matchLabels") or {}).items()) <= set(tmpl_labels.items()),
          "%s: PodDisruptionBudget selects no webhook pod" % where)

    mwc = one(docs, "MutatingWebhookConfiguration", "django-admission", where)
    vwc = one(docs, "ValidatingWebhookConfiguration", "django-admission", where)
    hooks = [("mutate", h) for h in mwc.get("webhooks") or []] + [("validate", h) for h in vwc.get("webhooks") or []]
    names = [h.get("name") for _, h in hooks]
    check(len(names) == len(set(names)), "%s: webhook names repeat" % where)
    resources_seen = set()
    for kind, h in hooks:
        hw = "%s webhook %s" % (where, h.get("name"))
        check(len((h.get("name") or "").split(".")) >= 3, "%s: name is not fully qualified" % hw)
        s = dig(h, "clientConfig", "service") or {}
        check(s.get("name") == "django-admission" and s.get("namespace") == "django-admission" and
              s.get("port") == 443 and s.get("path") == "/" + kind,
              "%s: clientConfig.service %r does not name the Service at /%s" % (hw, s, kind))
        check("caBundle" not in (h.get("clientConfig") or {}),
              "%s: caBundle in the manifest would be reset by every apply" % hw)
        check(h.get("sideEffects") == "None", "%s: sideEffects is not None" % hw)
        check(h.get("admissionReviewVersions") == ["v1", "v1beta1"], "%s: admissionReviewVersions" % hw)
        check(h.get("timeoutSeconds") == 5, "%s: timeoutSeconds is not 5" % hw)
        excluded = [e for e in dig(h, "namespaceSelector", "matchExpressions") or []
                    if e.get("key") == "kubernetes.io/metadata.name" and e.get("operator") == "NotIn"]
        check(len(excluded) == 1 and {"kube-system", "django-admission"} <= set(excluded[0].get("values") or []),
              "%s: does not exclude kube-system and its own namespace" % hw)
        for r in h.get("rules") or []:
            check(r.get("apiGroups") == ["apps"] and r.get("apiVersions") == ["v1"], "%s: rule is not apps/v1" % hw)
            for res in r.get("resources") or []:
                resources_seen.add((kind, res, tuple(r.get("operations") or [])))
                if res == "deployments/scale":
                    # a Scale has no labels: an objectSelector would never match
                    check("objectSelector" not in h, "%s: objectSelector on deployments/scale never matches" % hw)
                    check(kind == "validate", "%s: a Scale has nothing to mutate" % hw)
                else:
                    check(res == "deployments", "%s: unexpected resource %s" % (hw, res))
                    check(dig(h, "objectSelector", "matchLabels") == {"component": "django"},
                          "%s: objectSelector is not component=django" % hw)
                    check(h.get("failurePolicy") == "Fail", "%s: failurePolicy is not Fail" % hw)
    check(("mutate", "deployments", ("CREATE", "UPDATE")) in resources_seen,
          "%s: mutating webhook does not see Deployment CREATE/UPDATE" % where)
    check(("validate", "deployments", ("CREATE", "UPDATE")) in resources_seen,
          "%s: validating webhook does not see Deployment CREATE/UPDATE" % where)
    check(any(k == "validate" and r == "deployments/scale" and "UPDATE" in ops for k, r, ops in resources_seen),
          "%s: validating webhook does not see deployments/scale" % where)
    return docs


def check_cert_manager(root, webhook_docs):
    where = "deploy/cert-manager"
    docs = kustomize(os.path.join(root, "cert-manager"))
    names = {(d.get("kind"), dig(d, "metadata", "name")) for d in webhook_docs}
    check(names <= {(d.get("kind"), dig(d, "metadata", "name")) for d in docs},
          "%s: does not include all of deploy/webhook" % where)
    selfsigned = one(docs, "Issuer", "django-admission-selfsigned", where)
    check(dig(selfsigned, "spec", "selfSigned") == {}, "%s: the root Issuer is not selfSigned" % where)
    ca = one(docs, "Certificate", "django-admission-ca", where)
    check(dig(ca, "spec", "isCA") is True, "%s: the CA Certificate is not a CA" % where)
    check(dig(ca, "spec", "issuerRef", "name") == "django-admission-selfsigned", "%s: the CA is not self-signed" % where)
    ca_issuer = one(docs, "Issuer", "django-admission-ca", where)
    check(dig(ca_issuer, "spec", "ca", "secretName") == dig(ca, "spec", "secretName"),
          "%s: the CA Issuer does not use the CA's Secret" % where)
    serving = one(docs, "Certificate", "django-admission-tls", where)
    check(dig(serving, "spec", "issuerRef", "name") == "django-admission-ca", "%s: serving cert not issued by the CA" % where)
    check(dig(serving, "spec", "secretName") == "django-admission-tls",
          "%s: serving cert Secret is not the one the webhook mounts" % where)
    check("django-admission.django-admission.svc" in (dig(serving, "spec", "dnsNames") or []),
          "%s: serving cert lacks django-admission.django-admission.svc" % where)
    check("server auth" in (dig(serving, "spec", "usages") or []), "%s: serving cert lacks server auth" % where)
    for d in docs:
        if d.get("apiVersion") == "cert-manager.io/v1":
            check(dig(d, "metadata", "namespace") == "django-admission",
                  "%s: %s %s outside django-admission" % (where, d.get("kind"), dig(d, "metadata", "name")))


def check_django(root):
    where = "deploy/django"
    docs = kustomize(os.path.join(root, "django"))
    dep = one(docs, "Deployment", "django", where)
    svc = one(docs, "Service", "django", where)
    check(dig(dep, "metadata", "namespace") == "django" and dig(svc, "metadata", "namespace") == "django",
          "%s: not in namespace django" % where)
    labels = dig(dep, "spec", "template", "metadata", "labels") or {}
    check(labels.get("app") == "django" and labels.get("component") == "django", "%s: pod labels %r" % (where, labels))
    spec = dep.get("spec") or {}
    check(spec.get("replicas") == 3, "%s: replicas is not 3" % where)
    check(dig(spec, "strategy") == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
          "%s: strategy %r" % (where, dig(spec, "strategy")))
    ann = dig(spec, "template", "metadata", "annotations") or {}
    prom = {"prometheus.io/scrape": "true", "prometheus.io/port": "8000", "prometheus.io/path": "/metrics"}
    check(all(ann.get(k) == v for k, v in prom.items()), "%s: pod Prometheus annotations %r" % (where, ann))
    pod = dig(spec, "template", "spec") or {}
    psc = pod.get("securityContext") or {}
    check(psc.get("runAsUser") == 1000 and psc.get("fsGroup") == 1000, "%s: pod runAsUser/fsGroup are not 1000" % where)
    check_hardened(pod, where)
    terms = dig(pod, "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution") or []
    check(any(dig(t, "podAffinityTerm", "topologyKey") == "kubernetes.io/hostname" and
              set((dig(t, "podAffinityTerm", "labelSelector", "matchLabels") or {}).items()) <= set(labels.items())
              for t in terms), "%s: no preferred anti-affinity on kubernetes.io/hostname for its own pods" % where)
    check(len(pod.get("initContainers") or []) >= 1, "%s: no init container waiting for the database" % where)
    mains = [c for c in pod.get("containers") or [] if c.get("name") == "django"]
    if not check(len(mains) == 1, "%s: no container named django" % where):
        return
    c = mains[0]
    check(container_ports(c) == {"http": 8000}, "%s: ports %r" % (where, container_ports(c)))
    seed_probes = {
        "livenessProbe": {"httpGet": {"path": "/health/live/", "port": 8000}, "initialDelaySeconds": 30,
                          "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/health/ready/", "port": 8000}, "initialDelaySeconds": 15,
                           "periodSeconds": 5, "timeoutSeconds": 3, "failureThreshold": 2},
        "startupProbe": {"httpGet": {"path": "/health/startup/", "port": 8000}, "initialDelaySeconds": 0,
                         "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 30},
    }
    for k, v in seed_probes.items():
        check(c.get(k) == v, "%s: %s is %r, not the seed's %r" % (where, k, c.get(k), v))
    check(c.get("resources") == {"requests": {"cpu": "500m", "memory": "512Mi"},
                                 "limits": {"cpu": "1000m", "memory": "1Gi"}},
          "%s: resources %r" % (where, c.get("resources")))
    check(any(dig(e, "configMapRef", "name") for e in c.get("envFrom") or []), "%s: no env from a ConfigMap" % where)
    check(any(dig(e, "valueFrom", "secretKeyRef", "name") for e in c.get("env") or []), "%s: no env from a Secret" % where)
    for cont in (pod.get("initContainers") or []) + (pod.get("containers") or []):
        for e in cont.get("env") or []:
            name = (e.get("name") or "").upper()
            check(not ("value" in e and any(p in name for p in ("PASSWORD", "SECRET", "TOKEN", "API_KEY"))),
                  "%s: literal value for %s" % (where, e.get("name")))
    mounts = {m.get("mountPath"): m.get("name") for m in c.get("volumeMounts") or []}
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    check("/tmp" in mounts and "emptyDir" in volumes.get(mounts["/tmp"], {}), "%s: /tmp is not an emptyDir" % where)
    for want in ("media", "static", "logs"):
        v = volumes.get(want) or {}
        check("emptyDir" in v or "persistentVolumeClaim" in v, "%s: no %s volume" % (where, want))
        check(want in mounts.values(), "%s: volume %s is not mounted" % (where, want))
    sspec = svc.get("spec") or {}
    check(sspec.get("type") == "ClusterIP", "%s: Service is not ClusterIP" % where)
    check(sspec.get("selector") == {"component": "django"}, "%s: Service selector %r" % (where, sspec.get("selector")))
    sports = sspec.get("ports") or []
    check(len(sports) == 1 and sports[0].get("port") == 80 and sports[0].get("targetPort") in ("http", 8000),
          "%s: Service does not map 80 to 8000" % where)
    sann = dig(svc, "metadata", "annotations") or {}
    check(sann.get("prometheus.io/scrape") == "true", "%s: Service has no Prometheus annotations" % where)


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    root = sys.argv[1]
    check_every_yaml_parses(root)
    webhook_docs = check_webhook(root)
    check_cert_manager(root, webhook_docs)
    check_django(root)
    check(os.path.isfile(os.path.join(root, "README.md")), "deploy/README.md is missing")
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

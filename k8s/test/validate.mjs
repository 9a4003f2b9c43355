// validate.mjs: check meshsim's Kubernetes and Istio objects against the API
// schemas, and against each other.
//
//   node validate.mjs objects FILE.json...
//       FILE.json: arrays of {source, object} (k8s/test/render -o json, or
//       render --yaml2json). Every object is checked against its schema
//       (npm kubernetes-models, @kubernetes-models/istio and
//       /prometheus-operator), unknown fields included (kubectl's strict
//       validation would refuse them), then all of them together: names,
//       namespaces, selectors, addresses, routes, subsets, weights, principals
//       and the monitoring selectors must all resolve.
//       --prometheus-values FILE.json: kube-prometheus-stack values, whose
//       selectors the ServiceMonitors/PodMonitors/PrometheusRules must match.
//   node validate.mjs values SCHEMA.json VALUES.json... [--expect-invalid]
//       Charts' merged values against a values.schema.json, as Helm checks
//       them; with --expect-invalid, each must be refused.
//
// Prints one line per problem and "N objects, M problems"; exit 1 on any.
import { readFileSync } from "node:fs";
import Ajv from "ajv";

const problems = [];
const problem = (where, msg) => problems.push(`${where}: ${msg}`);

// --- values against values.schema.json ------------------------------------
if (process.argv[2] === "values") {
  const rest = process.argv.slice(3);
  const expectInvalid = rest.includes("--expect-invalid");
  const [schemaFile, ...valuesFiles] = rest.filter((a) => a !== "--expect-invalid");
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")));
  let bad = 0;
  for (const f of valuesFiles) {
    const ok = validate(JSON.parse(readFileSync(f, "utf8")));
    if (expectInvalid) {
      if (ok) { console.log(`${f}: accepted, but should have been refused`); bad++; }
      else console.log(`${f}: refused as expected: ${ajv.errorsText(validate.errors)}`);
    } else if (!ok) { console.log(`${f}: ${ajv.errorsText(validate.errors, { separator: "\n  " })}`); bad++; }
    else console.log(`${f}: valid`);
  }
  process.exit(bad ? 1 : 0);
}
if (process.argv[2] !== "objects") {
  console.error("usage: node validate.mjs objects FILE.json... | values SCHEMA VALUES [--expect-invalid]");
  process.exit(2);
}

// --- schema checks ----------------------------------------------------------
const args = process.argv.slice(3);
let promValues = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--prometheus-values") {
    promValues = JSON.parse(readFileSync(args[++i], "utf8"));
    if (Array.isArray(promValues)) promValues = promValues[0]?.object; // render --yaml2json output
  }
  else files.push(args[i]);
}
const items = files.flatMap((f) => JSON.parse(readFileSync(f, "utf8")));

function modulePath(apiVersion) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "") return `kubernetes-models/${version}`;
  if (group.endsWith(".istio.io")) return `@kubernetes-models/istio/${group}/${version}`;
  if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/${group}/${version}`;
  return `kubernetes-models/${group}/${version}`;
}

// Wrap an object so that we learn which keys the schema validator looked at:
// a key the validator never asked for is one the schema does not know.
function track(root) {
  const info = new Map();
  const proxies = new WeakMap();
  function wrap(v, path) {
    if (v === null || typeof v !== "object") return v;
    if (proxies.has(v)) return proxies.get(v);
    const rec = { asked: new Set(), enumerated: false, path };
    info.set(v, rec);
    const p = new Proxy(v, {
      get(t, k, r) {
        const x = Reflect.get(t, k, r);
        if (typeof k !== "string") return x;
        rec.asked.add(k);
        return wrap(x, `${path}/${k}`);
      },
      has(t, k) { if (typeof k === "string") rec.asked.add(k); return Reflect.has(t, k); },
      ownKeys(t) { rec.enumerated = true; return Reflect.ownKeys(t); },
    });
    proxies.set(v, p);
    return p;
  }
  const proxy = wrap(root, "");
  return {
    proxy,
    unknown() {
      const out = [];
      for (const [t, rec] of info) {
        // Maps (labels, free-form objects) are enumerated: any key is fine.
        if (Array.isArray(t) || rec.enumerated || rec.asked.size === 0) continue;
        for (const k of Object.keys(t)) if (!rec.asked.has(k)) out.push(`${rec.path}/${k}`);
      }
      return out;
    },
  };
}

for (const { source, object } of items) {
  const o = object;
  const where = `${source}: ${o?.kind ?? "?"}/${o?.metadata?.name ?? "?"}`;
  if (!o || typeof o !== "object" || !o.apiVersion || !o.kind) { problem(source, "not a Kubernetes object (no apiVersion/kind)"); continue; }
  let Cls;
  try { Cls = (await import(modulePath(o.apiVersion)))[o.kind]; } catch { Cls = undefined; }
  if (typeof Cls !== "function") { problem(where, `no schema for ${o.apiVersion} ${o.kind}`); continue; }
  const model = new Cls(o);
  const t = track(model);
  try { Cls.prototype.validate.call(t.proxy); } catch (e) { problem(where, e.message); continue; }
  for (const u of t.unknown()) problem(where, `unknown field ${u}`);
}

// --- cross-object checks ----------------------------------------------------
const objs = items.map((i) => ({ ...i.object, _src: i.source }));
const of = (kind) => objs.filter((o) => o.kind === kind);
const nsOf = (o) => o.metadata?.namespace;
const where = (o) => `${o._src}: ${o.kind}/${o.metadata?.name}`;
const matches = (sel, labels) => Object.entries(sel ?? {}).every(([k, v]) => labels?.[k] === v);
const fqdn = (s) => `${s.metadata.name}.${nsOf(s)}.svc.cluster.local`;

const CLUSTER_SCOPED = new Set(["Namespace", "StorageClass", "ClusterRole", "ClusterRoleBinding"]);
const namespaces = new Map(of("Namespace").map((n) => [n.metadata.name, n]));
const known = new Set([...namespaces.keys(), "istio-system"]);
const checkNamespaces = namespaces.size > 0;
for (const o of objs) {
  if (CLUSTER_SCOPED.has(o.kind)) continue;
  if (!nsOf(o)) problem(where(o), "no metadata.namespace");
  else if (checkNamespaces && !known.has(nsOf(o))) problem(where(o), `namespace ${nsOf(o)} is not in namespaces.yaml`);
  else if (checkNamespaces && nsOf(o) !== "istio-system" && nsOf(o) !== "monitoring" &&
           namespaces.get(nsOf(o))?.metadata?.labels?.["istio-injection"] !== "enabled")
    problem(where(o), `namespace ${nsOf(o)} lacks istio-injection: enabled`);
}

const deployments = of("Deployment");
const services = of("Service");
const serviceAccounts = new Set(of("ServiceAccount").map((s) => `${nsOf(s)}/${s.metadata.name}`));
const byHost = new Map(services.map((s) => [fqdn(s), s]));
const podsOf = (ns, sel) => deployments.filter((d) => nsOf(d) === ns && matches(sel, d.spec.template.metadata.labels));

for (const d of deployments) {
  const spec = d.spec.template.spec;
  const psc = spec.securityContext ?? {};
  if (!matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels)) problem(where(d), "selector does not match its pod labels");
  if (!serviceAccounts.has(`${nsOf(d)}/${spec.serviceAccountName}`)) problem(where(d), `ServiceAccount ${spec.serviceAccountName} not found`);
  for (const c of spec.containers) {
    const sc = c.securityContext ?? {};
    if (!(sc.runAsNonRoot ?? psc.runAsNonRoot)) problem(where(d), `${c.name}: not runAsNonRoot`);
    if ((sc.runAsUser ?? psc.runAsUser) !== 1000) problem(where(d), `${c.name}: runAsUser is not 1000`);
    if (sc.readOnlyRootFilesystem !== true) problem(where(d), `${c.name}: root filesystem not read-only`);
    if (sc.allowPrivilegeEscalation !== false) problem(where(d), `${c.name}: allowPrivilegeEscalation not false`);
    if (!c.resources?.requests?.cpu || !c.resources?.limits?.memory) problem(where(d), `${c.name}: requests/limits missing`);
    if (!/:[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(c.image)) problem(where(d), `${c.name}: image ${c.image} has no tag`);
    if (c.ports?.length && !c.readinessProbe) problem(where(d), `${c.name}: serves a port but has no readiness probe`);
    // Every address a service is given must be a Service that exists, on the port it serves.
    for (const e of c.env ?? []) {
      if (!/_SERVICE_ADDR$|^FRONTEND_ADDR$|^EMAIL_SERVICE$/.test(e.name)) continue;
      const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:(\d+)$/.exec(e.value ?? "");
      if (!m) { problem(where(d), `${e.name}=${e.value}: not <svc>.<ns>.svc.cluster.local:<port>`); continue; }
      const s = byHost.get(`${m[1]}.${m[2]}.svc.cluster.local`);
      if (!s) problem(where(d), `${e.name}: no Service ${m[1]} in namespace ${m[2]}`);
      else if (!s.spec.ports.some((p) => p.port === Number(m[3]))) problem(where(d), `${e.name}: Service ${m[1]} has no port ${m[3]}`);
    }
  }
}
// An HPA must scale a Deployment of its namespace whose containers request
// CPU (utilisation is a share of the requests), within sane bounds.
for (const h of of("HorizontalPodAutoscaler")) {
  const ref = h.spec.scaleTargetRef ?? {};
  const d = deployments.find((x) => nsOf(x) === nsOf(h) && x.metadata.name === ref.name);
  if (ref.kind !== "Deployment" || !d) { problem(where(h), `scaleTargetRef ${ref.kind}/${ref.name} is no Deployment in ${nsOf(h)}`); continue; }
  if ((h.spec.minReplicas ?? 1) > h.spec.maxReplicas) problem(where(h), `minReplicas ${h.spec.minReplicas} above maxReplicas ${h.spec.maxReplicas}`);
  if ((h.spec.metrics ?? []).some((m) => m.resource?.name === "cpu" && m.resource?.target?.type === "Utilization"))
    for (const c of d.spec.template.spec.containers)
      if (!c.resources?.requests?.cpu) problem(where(h), `${c.name} of ${d.metadata.name} requests no CPU: no utilisation to scale on`);
  if (d.spec.replicas !== undefined) problem(where(h), `${d.metadata.name} sets replicas too: each helm upgrade would undo the HPA`);
}
for (const s of services) {
  const pods = podsOf(nsOf(s), s.spec.selector);
  if (!pods.length) { problem(where(s), "selects no Deployment's pods"); continue; }
  for (const p of s.spec.ports) {
    if (!/^(grpc|http|http2|tcp|tls|https)(-|$)/.test(p.name ?? "")) problem(where(s), `port ${p.port}: name ${p.name} tells Istio no protocol`);
    for (const d of pods)
      if (!d.spec.template.spec.containers.some((c) => (c.ports ?? []).some((cp) => cp.containerPort === p.targetPort || cp.name === p.targetPort)))
        problem(where(s), `targetPort ${p.targetPort} is no container port of ${d.metadata.name}`);
  }
}

// Istio routing.
const gateways = new Set(of("Gateway").map((g) => `${nsOf(g)}/${g.metadata.name}`));
const drs = of("DestinationRule");
const subsetsOf = (host) => drs.filter((r) => r.spec.host === host).flatMap((r) => r.spec.subsets ?? []);
const vss = of("VirtualService");
const splitOf = (route) => (route ?? []).map((r) => `${r.destination.host}|${r.destination.subset ?? ""}|${r.weight ?? 100}`).sort().join(",");
for (const r of drs) {
  const s = byHost.get(r.spec.host);
  if (!s) { problem(where(r), `host ${r.spec.host} is no Service`); continue; }
  for (const sub of r.spec.subsets ?? [])
    if (!podsOf(nsOf(s), { ...s.spec.selector, ...sub.labels }).length) problem(where(r), `subset ${sub.name} selects no pods (traffic to it would get 503 NR)`);
}
for (const v of vss) {
  const gws = v.spec.gateways ?? ["mesh"];
  for (const g of gws) {
    if (g === "mesh") continue;
    const ref = g.includes("/") ? g : `${nsOf(v)}/${g}`;
    if (!gateways.has(ref)) problem(where(v), `gateway ${g} does not resolve (looked for ${ref})`);
  }
  let usesSubsets = false;
  for (const h of v.spec.http ?? []) {
    const total = (h.route ?? []).reduce((a, r) => a + (r.weight ?? 0), 0);
    if ((h.route ?? []).length > 1 && total !== 100) problem(where(v), `route ${h.name}: weights add to ${total}, not 100`);
    for (const r of h.route ?? []) {
      const host = r.destination.host;
      if (!byHost.has(host)) problem(where(v), `route ${h.name}: host ${host} is no Service (use the full name)`);
      if (r.destination.subset) {
        usesSubsets = true;
        if (!subsetsOf(host).some((s) => s.name === r.destination.subset)) problem(where(v), `route ${h.name}: no subset ${r.destination.subset} for ${host}`);
      }
    }
  }
  if (usesSubsets && !(v.spec.hosts ?? []).includes("*")) {
    if (!gws.includes("mesh")) problem(where(v), "a split not bound to mesh: service-to-service traffic would ignore it");
    if (!gws.some((g) => g !== "mesh")) problem(where(v), "a split not bound to the ingress gateway");
  }
}
// North-south traffic meets a split only where the gateway's own route splits
// the same way (Istio does not chain VirtualServices).
for (const v of vss.filter((x) => (x.spec.hosts ?? []).includes("*"))) {
  for (const h of v.spec.http ?? []) {
    for (const host of new Set((h.route ?? []).map((r) => r.destination.host))) {
      const mesh = vss.find((m) => m !== v && (m.spec.hosts ?? []).includes(host));
      if (!mesh) continue;
      const want = splitOf(mesh.spec.http?.[0]?.route);
      const got = splitOf((h.route ?? []).filter((r) => r.destination.host === host).map((r) => ({ ...r, destination: { host, subset: r.destination.subset } })));
      if (want !== got) problem(where(v), `route ${h.name} splits ${host} as ${got}, but ${where(mesh)} splits it as ${want}`);
    }
  }
}
// Authorization: selectors select pods; principals are ServiceAccounts that exist.
for (const a of of("AuthorizationPolicy")) {
  if (a.spec.selector && !podsOf(nsOf(a), a.spec.selector.matchLabels).length) problem(where(a), "selector matches no pods");
  for (const r of a.spec.rules ?? [])
    for (const f of r.from ?? [])
      for (const p of f.source?.principals ?? []) {
        const m = /^cluster\.local\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(p);
        if (!m) problem(where(a), `principal ${p}: not cluster.local/ns/NS/sa/SA`);
        else if (m[1] !== "istio-system" && !serviceAccounts.has(`${m[1]}/${m[2]}`)) problem(where(a), `principal ${p}: no such ServiceAccount`);
      }
}
// Monitoring: what the Prometheus release selects.
if (promValues) {
  const spec = promValues.prometheus?.prometheusSpec ?? {};
  const sel = { ServiceMonitor: spec.serviceMonitorSelector, PodMonitor: spec.podMonitorSelector, PrometheusRule: spec.ruleSelector };
  for (const [kind, s] of Object.entries(sel)) {
    if (!s?.matchLabels) { problem("kube-prometheus-stack values", `no ${kind} selector (matchLabels)`); continue; }
    for (const o of of(kind)) if (!matches(s.matchLabels, o.metadata.labels)) problem(where(o), `labels do not match the Prometheus ${kind} selector ${JSON.stringify(s.matchLabels)}`);
  }
}

for (const p of problems) console.log(p);
console.log(`${items.length} objects, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);

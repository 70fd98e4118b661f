/**
 * @module Kubernetes manifests (deploy/k8s): they parse, build with kustomize, wire up (names,
 * labels, ports), probe /health and /ready on 18789, run non-root under the restricted Pod Security
 * Standard, set only SPEC env vars, and carry configs the gateway's own loaders accept.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadConfig, loadNodeFile } from '../../src/config/index.js';
import { deployPath, readDeploy } from './support/repo.js';
import { hasTool, makeTempDir, runTool } from './support/tools.js';
import { unknownEnvNames } from './support/env-names.js';
import { parseDockerfile } from './support/dockerfile.js';

/** Untyped YAML (manifests, Compose files). */
type Obj = Record<string, any>;

function docs(text: string, file: string): Obj[] {
  return parseAllDocuments(text).map((d) => {
    assert.deepEqual(d.errors, [], `${file}: ${d.errors.join('; ')}`);
    return d.toJS() as Obj;
  });
}

const K8S = deployPath('k8s');
const kustomization = docs(readDeploy('k8s', 'kustomization.yaml'), 'kustomization.yaml')[0] as Obj;
const resources: string[] = kustomization.resources;
const objects = resources.flatMap((f) => docs(readDeploy('k8s', f), f));
const find = (kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata?.name === name);
  assert.ok(o, `${kind}/${name}`);
  return o;
};
const gateway = find('Deployment', 'openclaw-gateway');
const node = find('Deployment', 'openclaw-node');
const pods = [gateway, node];
const container = (d: Obj) => d.spec.template.spec.containers[0] as Obj;

describe('Kubernetes manifests', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  before(() => {
    tmp = makeTempDir();
  });
  after(() => tmp.remove());

  test('every manifest parses, and kustomization lists all of them except the secret example', () => {
    const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml'));
    for (const f of files) docs(readDeploy('k8s', f), f);
    assert.deepEqual(
      [...resources].sort(),
      files.filter((f) => f !== 'kustomization.yaml' && f !== 'secret.example.yaml').sort(),
    );
    for (const o of objects)
      assert.equal(o.metadata.namespace ?? 'openclaw', 'openclaw', `${o.kind}/${o.metadata.name}`);
  });

  test('kustomize builds the set (kubectl kustomize)', (t) => {
    if (!hasTool('kubectl')) {
      t.diagnostic(
        'kubectl not installed: the kustomize build was not run (the manifests were parsed directly)',
      );
      return;
    }
    const res = runTool('kubectl', ['kustomize', K8S]);
    assert.equal(res.status, 0, res.output);
    const built = docs(res.stdout, 'kustomize output');
    assert.equal(built.length, objects.length);
    assert.ok(built.every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'openclaw'));
  });

  test('gateway probes: liveness and startup on /health, readiness on /ready, all on 18789', () => {
    const c = container(gateway);
    for (const [probe, path] of [
      ['livenessProbe', '/health'],
      ['startupProbe', '/health'],
      ['readinessProbe', '/ready'],
    ] as const) {
      assert.equal(c[probe]?.httpGet?.path, path, probe);
      assert.equal(c[probe]?.httpGet?.port, 18789, probe);
    }
  });

  test('gateway exposes 18789 and metrics on 9090 with Prometheus annotations', () => {
    const ports = Object.fromEntries(
      (container(gateway).ports as Obj[]).map((p) => [p.name, p.containerPort]),
    );
    assert.deepEqual(ports, { http: 18789, metrics: 9090 });
    assert.deepEqual(gateway.spec.template.metadata.annotations, {
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9090',
      'prometheus.io/path': '/metrics',
    });
    const env = Object.fromEntries((container(gateway).env as Obj[]).map((e) => [e.name, e.value]));
    assert.equal(env.OPENCLAW_METRICS_HOST, '0.0.0.0', 'metrics reachable from Prometheus in the cluster');
    assert.equal(env.OPENCLAW_GATEWAY_PORT, '18789');
  });

  test('one gateway replica with the Recreate strategy on its ReadWriteOnce volume', () => {
    assert.equal(gateway.spec.replicas, 1);
    assert.equal(gateway.spec.strategy.type, 'Recreate');
    const pvc = find('PersistentVolumeClaim', 'openclaw-gateway-pvc');
    assert.deepEqual(pvc.spec.accessModes, ['ReadWriteOnce']);
    const vol = (gateway.spec.template.spec.volumes as Obj[]).find((v) => v.persistentVolumeClaim);
    assert.equal(vol?.persistentVolumeClaim.claimName, 'openclaw-gateway-pvc');
    const mount = (container(gateway).volumeMounts as Obj[]).find((m) => m.name === vol?.name);
    assert.equal(mount?.mountPath, '/app/data');
  });

  test('pods run non-root with the image uid and meet the restricted Pod Security Standard', () => {
    const dockerfile = parseDockerfile(readDeploy('docker', 'Dockerfile'));
    const user = dockerfile.filter((i) => i.keyword === 'USER').at(-1)?.args;
    assert.equal(user, '1000:1000');
    const ns = find('Namespace', 'openclaw');
    assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
    for (const d of pods) {
      const spec = d.spec.template.spec;
      assert.equal(spec.securityContext.runAsNonRoot, true, d.metadata.name);
      assert.equal(spec.securityContext.runAsUser, 1000, d.metadata.name);
      assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault', d.metadata.name);
      assert.equal(spec.automountServiceAccountToken, false);
      for (const c of spec.containers as Obj[]) {
        assert.equal(c.securityContext.allowPrivilegeEscalation, false, c.name);
        assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], c.name);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true, c.name);
        assert.ok(c.resources.requests.cpu && c.resources.requests.memory, `${c.name} has requests (HPA)`);
      }
    }
  });

  test('sets only environment variables the gateway and node read, and no secret inline', () => {
    for (const d of pods) {
      const env = (container(d).env ?? []) as Obj[];
      assert.deepEqual(unknownEnvNames(env.map((e) => e.name)), [], d.metadata.name);
      assert.ok(
        env.every((e) => !/KEY|SECRET|TOKEN/.test(e.name)),
        'secrets come from Secrets',
      );
    }
    const secrets = docs(readDeploy('k8s', 'secret.example.yaml'), 'secret.example.yaml');
    const secretNames = new Set(secrets.map((s) => s.metadata.name));
    for (const d of pods)
      for (const ref of container(d).envFrom as Obj[])
        assert.ok(secretNames.has(ref.secretRef.name), ref.secretRef.name);
    for (const s of secrets)
      assert.deepEqual(s.stringData, {}, 'the example carries no value that could be applied');
    const documented = readDeploy('k8s', 'secret.example.yaml').match(/^\s+# ([A-Z_]+):/gm) ?? [];
    assert.deepEqual(unknownEnvNames(documented.map((l) => l.replace(/^\s+# /, '').replace(':', ''))), []);
  });

  test('Service and Ingress route to the gateway pod; the Ingress has the WebSocket annotations', () => {
    const svc = find('Service', 'openclaw-gateway');
    const labels = gateway.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(svc.spec.selector as Obj)) assert.equal(labels[k], v);
    const containerPorts = new Set((container(gateway).ports as Obj[]).map((p) => p.name));
    for (const p of svc.spec.ports as Obj[]) assert.ok(containerPorts.has(p.targetPort), p.targetPort);
    const ing = find('Ingress', 'openclaw-gateway');
    const a = ing.metadata.annotations as Record<string, string>;
    assert.ok(Number(a['nginx.ingress.kubernetes.io/proxy-read-timeout']) >= 3600);
    assert.ok(Number(a['nginx.ingress.kubernetes.io/proxy-send-timeout']) >= 3600);
    assert.equal(a['nginx.ingress.kubernetes.io/proxy-http-version'], '1.1');
    // ingress-nginx adds Upgrade/Connection itself and rejects snippets by default since v1.9.
    assert.equal(a['nginx.ingress.kubernetes.io/configuration-snippet'], undefined);
    const backend = ing.spec.rules[0].http.paths[0].backend.service;
    assert.equal(backend.name, svc.metadata.name);
    assert.ok((svc.spec.ports as Obj[]).some((p) => p.name === backend.port.name && p.port === 18789));
    assert.ok(ing.spec.tls[0].hosts.includes(ing.spec.rules[0].host));
  });

  test('nodes scale with an HPA (seed 6.4) and a PodDisruptionBudget that matches their pods', () => {
    const hpa = find('HorizontalPodAutoscaler', 'openclaw-node-hpa');
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.deepEqual(hpa.spec.scaleTargetRef, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'openclaw-node',
    });
    assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas], [2, 10]);
    const targets = Object.fromEntries(
      (hpa.spec.metrics as Obj[]).map((m) => [m.resource.name, m.resource.target.averageUtilization]),
    );
    assert.deepEqual(targets, { cpu: 70, memory: 80 });
    const pdb = find('PodDisruptionBudget', 'openclaw-node-pdb');
    for (const [k, v] of Object.entries(pdb.spec.matchLabels ?? pdb.spec.selector.matchLabels))
      assert.equal(node.spec.template.metadata.labels[k], v);
    assert.deepEqual(container(node).command.slice(-3), ['openclaw', 'node', 'start']);
  });

  test('config.yaml in the ConfigMap is accepted by the gateway config loader with the pod env', () => {
    const cm = find('ConfigMap', 'openclaw-config');
    const file = join(tmp.path, 'config.yaml');
    writeFileSync(file, cm.data['config.yaml']);
    const env = Object.fromEntries((container(gateway).env as Obj[]).map((e) => [e.name, e.value]));
    const cfg = loadConfig({ configPath: file, env: { ...env, OPENCLAW_CONFIG: file }, home: tmp.path });
    assert.equal(cfg.gateway.host, '0.0.0.0');
    assert.equal(cfg.metrics.host, '0.0.0.0');
    assert.ok(cfg.gateway.trusted_proxies.length > 0, 'the ingress may set X-Forwarded-For');
    const ing = find('Ingress', 'openclaw-gateway');
    assert.equal(
      cfg.gateway.proxy_read_timeout,
      Number(ing.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']),
    );
    assert.ok(cfg.gateway.websocket.ping_interval < cfg.gateway.proxy_read_timeout);
    assert.ok(gateway.spec.template.spec.terminationGracePeriodSeconds > cfg.gateway.drain_timeout + 5);
    const mount = (container(gateway).volumeMounts as Obj[]).find((m) => m.name === 'openclaw-config');
    assert.equal(`${mount?.mountPath}/config.yaml`, env.OPENCLAW_CONFIG);
  });

  test('node.yaml is accepted by the node config loader and points at the gateway Service', () => {
    const cm = find('ConfigMap', 'openclaw-config');
    const file = join(tmp.path, 'node.yaml');
    writeFileSync(file, cm.data['node.yaml']);
    const n = loadNodeFile(file, { OPENCLAW_AUTH_TOKEN: 'tok', OPENCLAW_NODE_ID: 'openclaw-node-abc' }, true);
    assert.equal(n.node.id, 'openclaw-node-abc');
    assert.equal(n.connection.auth_token, 'tok');
    assert.equal(n.connection.gateway_url, 'ws://openclaw-gateway.openclaw.svc.cluster.local:18789/ws');
    assert.throws(
      () => loadNodeFile(file, {}, true),
      /OPENCLAW_AUTH_TOKEN/,
      'a missing token is a clear error',
    );
    // node start reads ~/.openclaw/node.yaml; HOME of the image user is /app.
    const home = /usermod [^\n]*--home (\S+)/.exec(readDeploy('docker', 'Dockerfile'))?.[1];
    const mount = (container(node).volumeMounts as Obj[]).find((m) => m.subPath === 'node.yaml');
    assert.equal(mount?.mountPath, `${home}/.openclaw/node.yaml`);
    const idEnv = (container(node).env as Obj[]).find((e) => e.name === 'OPENCLAW_NODE_ID');
    assert.equal(idEnv?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
  });
});

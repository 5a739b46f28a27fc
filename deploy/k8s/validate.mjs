#!/usr/bin/env node
// Validates the Kubernetes manifests offline (.ci/run): renders the base and each overlay with kustomize
// (`kubectl kustomize`; KUBECTL names another binary) and checks every object
//   1. against the Kubernetes API schemas of the kubernetes-models package (npm; generated from the Kubernetes
//      OpenAPI of a current release: types, required fields, enums, formats) — an unknown apiVersion/kind fails;
//      Strimzi's custom resources (no schema there) get a structural check of the fields this repository sets;
//   2. against the deployment rules of this project: every workload runs the one image as non-root with resources,
//      readiness and liveness on the ops endpoint's /healthz, and has a PodDisruptionBudget and an HPA aiming at it.
// The examples (examples/*.yaml) are validated as they are. Exit status 1 on any finding.
//
//   node deploy/k8s/validate.mjs [overlay...]        (default: base, overlays/small, overlays/production)
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const kubectl = process.env.KUBECTL ?? 'kubectl';
const targets =
  process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['base', 'overlays/small', 'overlays/production'];

/** apiVersion → the kubernetes-models module folder ("apps/v1" → "apps/v1", "v1" → "v1"). */
async function schemaValidate(object) {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const path = `kubernetes-models/${group ? `${group}/` : ''}${version}/${object.kind}`;
  let model;
  try {
    model = (await import(path))[object.kind];
  } catch {
    return [`no Kubernetes API schema for ${object.apiVersion} ${object.kind}`];
  }
  try {
    new model(object).validate();
    return [];
  } catch (error) {
    return [String(error.message ?? error)];
  }
}

/** The fields of Strimzi's resources this repository relies on (no published schema in kubernetes-models). */
const STRIMZI = {
  Kafka: (o) => [
    o.spec?.kafka?.listeners?.length > 0 || 'spec.kafka.listeners must list at least one listener',
    typeof o.spec?.kafka?.version === 'string' || 'spec.kafka.version must be a string',
  ],
  KafkaNodePool: (o) => [
    Number.isInteger(o.spec?.replicas) || 'spec.replicas must be an integer',
    Array.isArray(o.spec?.roles) || 'spec.roles must be a list',
    typeof o.metadata?.labels?.['strimzi.io/cluster'] === 'string' || 'metadata.labels strimzi.io/cluster is missing',
    typeof o.spec?.storage?.type === 'string' || 'spec.storage.type is missing',
  ],
  KafkaTopic: (o) => [
    Number.isInteger(o.spec?.partitions) || 'spec.partitions must be an integer',
    Number.isInteger(o.spec?.replicas) || 'spec.replicas must be an integer',
    typeof o.metadata?.labels?.['strimzi.io/cluster'] === 'string' || 'metadata.labels strimzi.io/cluster is missing',
  ],
};

async function validateObject(object) {
  if (object.apiVersion === 'kafka.strimzi.io/v1beta2') {
    const check = STRIMZI[object.kind];
    if (!check) return [`unknown Strimzi kind ${object.kind}`];
    return check(object).filter((r) => r !== true);
  }
  return schemaValidate(object);
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet']);

/** The project's own rules for a rendered set of objects. */
function policy(objects) {
  const problems = [];
  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const workloads = objects.filter((o) => WORKLOADS.has(o.kind));
  if (workloads.length === 0) return problems;
  for (const w of workloads) {
    const name = `${w.kind} ${w.metadata.name}`;
    const pod = w.spec.template.spec;
    if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${name}: runAsNonRoot is not true`);
    for (const c of pod.containers) {
      if (!/\/telltale:[^:]+$/.test(c.image))
        problems.push(`${name}: image ${c.image} is not the tagged telltale image`);
      for (const probe of ['readinessProbe', 'livenessProbe']) {
        const get = c[probe]?.httpGet;
        if (get?.path !== '/healthz' || get?.port !== 'ops') problems.push(`${name}: ${probe} is not /healthz on ops`);
      }
      if (!c.ports?.some((p) => p.name === 'ops')) problems.push(`${name}: no ops port`);
      for (const kind of ['requests', 'limits']) {
        if (!c.resources?.[kind]?.cpu || !c.resources?.[kind]?.memory) problems.push(`${name}: no ${kind}`);
      }
    }
    const labels = w.spec.selector.matchLabels;
    const selects = (selector) =>
      Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v) && Object.keys(selector ?? {}).length > 0;
    if (!byKind('PodDisruptionBudget').some((p) => selects(p.spec.selector?.matchLabels)))
      problems.push(`${name}: no PodDisruptionBudget selects it`);
    const hpa = byKind('HorizontalPodAutoscaler').find(
      (h) => h.spec.scaleTargetRef.kind === w.kind && h.spec.scaleTargetRef.name === w.metadata.name,
    );
    if (!hpa) problems.push(`${name}: no HorizontalPodAutoscaler targets it`);
    else if (hpa.spec.minReplicas > hpa.spec.maxReplicas) problems.push(`${name}: HPA minReplicas > maxReplicas`);
  }
  if (byKind('Job').length === 0) problems.push('no migration Job');
  return problems;
}

function parse(text, where) {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${where}: ${d.errors[0].message}`);
      return d.toJS();
    })
    .filter((o) => o !== null);
}

let findings = 0;
const report = (where, problems) => {
  for (const p of problems) console.error(`${where}: ${p}`);
  findings += problems.length;
};

for (const target of targets) {
  const rendered = execFileSync(kubectl, ['kustomize', join(here, target)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const objects = parse(rendered, target);
  for (const o of objects) report(`${target} ${o.kind} ${o.metadata?.name}`, await validateObject(o));
  report(target, policy(objects));
  console.log(`${target}: ${objects.length} objects (${[...new Set(objects.map((o) => o.kind))].join(', ')})`);
}
for (const file of readdirSync(join(here, 'examples')).filter((f) => f.endsWith('.yaml'))) {
  const path = join(here, 'examples', file);
  const objects = parse(readFileSync(path, 'utf8'), file);
  for (const o of objects) report(`${relative(here, path)} ${o.kind}`, await validateObject(o));
  console.log(`examples/${file}: ${objects.length} objects`);
}
if (findings > 0) {
  console.error(`${findings} problem(s) in the Kubernetes manifests`);
  process.exit(1);
}
console.log('Kubernetes manifests valid (kubernetes-models API schemas, Strimzi structure, deployment rules)');

// Validates objects of a CustomResourceDefinition that has no models package on npm against
// the openAPIV3Schema of the CRD itself, vendored under tests/charts/crds/ (see the README
// there for where each came from). JSON Schema by ajv: types, enums, required fields,
// patterns, bounds, and no field the CRD does not know (structural schemas prune unknown
// fields, which the API server would drop silently, so here they are errors). The CEL rules
// (x-kubernetes-validations) are the API server's and are not checked.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { K8sObject } from './helm.ts';

export const CRDS_DIR = join(import.meta.dirname, '..', 'crds');

/** apiVersion -> kind -> vendored CRD file. */
const CRDS: Record<string, Record<string, string>> = {
  'postgresql.cnpg.io/v1': { Cluster: 'postgresql.cnpg.io_clusters.yaml' },
};

type Schema = Record<string, unknown>;

interface Crd {
  spec: {
    group: string;
    names: { kind: string };
    versions: Array<{ name: string; schema: { openAPIV3Schema: Schema } }>;
  };
}

/** The CRD's schema, with every object that lists properties closed to others. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema))
    out[key] = key === 'enum' || key === 'default' ? value : closed(value);
  if (out['properties'] && out['additionalProperties'] === undefined && !out['x-kubernetes-preserve-unknown-fields'])
    out['additionalProperties'] = false;
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();

/** The vendored CRD's openAPIV3Schema for apiVersion/kind, or undefined when none is vendored. */
export function crdSchema(apiVersion: string, kind: string): Schema | undefined {
  const file = CRDS[apiVersion]?.[kind];
  if (!file) return undefined;
  const crd = parse(readFileSync(join(CRDS_DIR, file), 'utf8')) as Crd;
  const [group, version] = apiVersion.split('/');
  if (crd.spec.group !== group || crd.spec.names.kind !== kind) throw new Error(`${file} is not the CRD of ${kind}`);
  const served = crd.spec.versions.find((v) => v.name === version);
  if (!served) throw new Error(`${file} has no version ${version}`);
  return served.schema.openAPIV3Schema;
}

function validator(apiVersion: string, kind: string): ValidateFunction | undefined {
  const key = `${apiVersion}/${kind}`;
  if (!compiled.has(key)) {
    const schema = crdSchema(apiVersion, kind);
    if (!schema) return undefined;
    // metadata is the API server's ObjectMeta: the CRD schema only says "object".
    compiled.set(key, ajv.compile(closed(schema) as Schema));
  }
  return compiled.get(key);
}

const describe = (e: ErrorObject): string =>
  `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? ` (${String(e.params['additionalProperty'])})` : ''}`;

/** Whether a vendored CRD covers apiVersion/kind. */
export const hasCrd = (apiVersion: string, kind: string): boolean => CRDS[apiVersion]?.[kind] !== undefined;

/** Error messages for `object` against its vendored CRD ([] = valid). */
export function crdErrors(object: K8sObject): string[] {
  const validate = validator(object.apiVersion, object.kind);
  if (!validate) return [`no vendored CRD for ${object.apiVersion} ${object.kind}`];
  return validate(object) ? [] : (validate.errors ?? []).map(describe);
}

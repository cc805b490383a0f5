// Linkerd policy objects checked by hand: npm has no models package for Linkerd's CRDs,
// so these are the fields the charts render, as the CRDs (policy.linkerd.io Server v1beta3,
// MeshTLSAuthentication and AuthorizationPolicy v1alpha1) define them: required fields,
// enums, patterns, and no field the CRD does not know.
import type { K8sObject } from './helm.ts';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GROUP = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const PROXY_PROTOCOLS = ['unknown', 'HTTP/1', 'HTTP/2', 'gRPC', 'opaque', 'TLS'];

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownFields(path: string, value: Fields, known: string[]): string[] {
  return Object.keys(value)
    .filter((k) => !known.includes(k))
    .map((k) => `${path}.${k} is not a field of the CRD`);
}

function ref(path: string, value: unknown, nameRequired: boolean): string[] {
  if (!isObject(value)) return [`${path} must be an object`];
  const out = unknownFields(path, value, ['group', 'kind', 'name', 'namespace']);
  if (typeof value['kind'] !== 'string' || !KIND.test(value['kind'])) out.push(`${path}.kind is not a kind`);
  if (value['group'] !== undefined && (typeof value['group'] !== 'string' || !GROUP.test(value['group'])))
    out.push(`${path}.group is not an API group`);
  if (nameRequired || value['name'] !== undefined)
    if (typeof value['name'] !== 'string' || value['name'].length < 1 || value['name'].length > 253)
      out.push(`${path}.name must be a non-empty string`);
  if (value['namespace'] !== undefined && typeof value['namespace'] !== 'string')
    out.push(`${path}.namespace must be a string`);
  return out;
}

function labelSelector(path: string, value: unknown): string[] {
  if (!isObject(value)) return [`${path} must be an object`];
  const out = unknownFields(path, value, ['matchLabels', 'matchExpressions']);
  const labels = value['matchLabels'];
  if (labels !== undefined && (!isObject(labels) || Object.values(labels).some((v) => typeof v !== 'string')))
    out.push(`${path}.matchLabels must map strings to strings`);
  return out;
}

function server(spec: Fields): string[] {
  const out = unknownFields('spec', spec, [
    'podSelector',
    'externalWorkloadSelector',
    'port',
    'proxyProtocol',
    'accessPolicy',
  ]);
  if ('podSelector' in spec === 'externalWorkloadSelector' in spec)
    out.push('spec needs exactly one of podSelector and externalWorkloadSelector');
  if (spec['podSelector'] !== undefined) out.push(...labelSelector('spec.podSelector', spec['podSelector']));
  const port = spec['port'];
  if (!(typeof port === 'string' && port.length > 0) && !(Number.isInteger(port) && (port as number) > 0))
    out.push('spec.port must be a port name or number');
  if (spec['proxyProtocol'] !== undefined && !PROXY_PROTOCOLS.includes(spec['proxyProtocol'] as string))
    out.push(`spec.proxyProtocol must be one of ${PROXY_PROTOCOLS.join(', ')}`);
  if (spec['accessPolicy'] !== undefined && typeof spec['accessPolicy'] !== 'string')
    out.push('spec.accessPolicy must be a string');
  return out;
}

function meshTlsAuthentication(spec: Fields): string[] {
  const out = unknownFields('spec', spec, ['identities', 'identityRefs']);
  if ('identities' in spec === 'identityRefs' in spec)
    out.push('spec needs exactly one of identities and identityRefs');
  const identities = spec['identities'];
  if (identities !== undefined) {
    if (!Array.isArray(identities)) out.push('spec.identities must be a list');
    else
      identities.forEach((id, i) => {
        if (
          typeof id !== 'string' ||
          !/^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(id)
        )
          out.push(`spec.identities[${i}] is not a proxy identity`);
      });
  }
  const refs = spec['identityRefs'];
  if (refs !== undefined) {
    if (!Array.isArray(refs)) out.push('spec.identityRefs must be a list');
    else refs.forEach((r, i) => out.push(...ref(`spec.identityRefs[${i}]`, r, false)));
  }
  return out;
}

function authorizationPolicy(spec: Fields): string[] {
  const out = unknownFields('spec', spec, ['targetRef', 'requiredAuthenticationRefs']);
  if (!('targetRef' in spec)) out.push('spec.targetRef is required');
  else out.push(...ref('spec.targetRef', spec['targetRef'], true));
  const refs = spec['requiredAuthenticationRefs'];
  if (!Array.isArray(refs)) out.push('spec.requiredAuthenticationRefs must be a list');
  else refs.forEach((r, i) => out.push(...ref(`spec.requiredAuthenticationRefs[${i}]`, r, false)));
  return out;
}

const KINDS: Record<string, { apiVersion: string; check: (spec: Fields) => string[] }> = {
  Server: { apiVersion: 'policy.linkerd.io/v1beta3', check: server },
  MeshTLSAuthentication: { apiVersion: 'policy.linkerd.io/v1alpha1', check: meshTlsAuthentication },
  AuthorizationPolicy: { apiVersion: 'policy.linkerd.io/v1alpha1', check: authorizationPolicy },
};

/** Problems of one policy.linkerd.io object; empty when it is sound. */
export function linkerdErrors(object: K8sObject): string[] {
  const kind = KINDS[object.kind];
  if (!kind) return [`no check for kind ${object.kind} in ${object.apiVersion}`];
  if (object.apiVersion !== kind.apiVersion)
    return [`${object.kind} is checked as ${kind.apiVersion}, not ${object.apiVersion}`];
  const out: string[] = [];
  if (!DNS_SUBDOMAIN.test(object.metadata.name) || object.metadata.name.length > 253)
    out.push('metadata.name is not a DNS subdomain');
  const spec = object['spec'];
  if (!isObject(spec)) return [...out, 'spec is required'];
  return [...out, ...kind.check(spec)];
}

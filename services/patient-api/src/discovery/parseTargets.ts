import { experimental } from '@grpc/grpc-js';
import type { Endpoint } from './Endpoint.js';
import { InvalidTargetError } from './InvalidTargetError.js';

type GrpcUri = experimental.GrpcUri;

/** `dns-poll:///host:port?intervalMs=5000&mode=resolve` */
export interface DnsPollTarget {
  host: string;
  port: number;
  intervalMs?: number;
  mode?: 'lookup' | 'resolve';
}

/** `kubernetes:///service.namespace:port`; a numeric port is used as is, a name is looked up in the slices. */
export interface KubernetesTarget {
  service: string;
  namespace: string;
  port: number | string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function text(uri: GrpcUri): string {
  return experimental.uriToString(uri);
}

function parsePort(uri: GrpcUri, value: string | number | undefined): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidTargetError(text(uri), 'port must be an integer in 1..65535');
  }
  return port;
}

function parseEndpoint(uri: GrpcUri, hostPort: string): Endpoint {
  const parsed = experimental.splitHostPort(hostPort);
  if (parsed === null || parsed.host === '') {
    throw new InvalidTargetError(text(uri), 'expected host:port');
  }
  return { host: parsed.host, port: parsePort(uri, parsed.port) };
}

/** `static:///127.0.0.2:50051,127.0.0.3:50051,[::1]:50051` */
export function parseStaticTarget(uri: GrpcUri): Endpoint[] {
  const parts = uri.path.split(',').filter((part) => part !== '');
  if (parts.length === 0) throw new InvalidTargetError(text(uri), 'empty endpoint list');
  return parts.map((part) => parseEndpoint(uri, part));
}

/** `file:///etc/patient-api/endpoints.json?intervalMs=5000` (absolute paths only). */
export interface FileTarget {
  path: string;
  intervalMs?: number;
}

export function parseFileTarget(uri: GrpcUri): FileTarget {
  const [path = '', query = ''] = uri.path.split('?', 2);
  if (path === '' || path.endsWith('/')) throw new InvalidTargetError(text(uri), 'expected file:///absolute/path.json');
  const target: FileTarget = { path: path.startsWith('/') ? path : `/${path}` };
  for (const [key, value] of new URLSearchParams(query)) {
    const intervalMs = Number(value);
    if (key !== 'intervalMs' || !Number.isInteger(intervalMs) || (intervalMs !== 0 && intervalMs < 100)) {
      throw new InvalidTargetError(text(uri), `unknown or invalid query parameter ${key}`);
    }
    target.intervalMs = intervalMs;
  }
  return target;
}

export function parseDnsPollTarget(uri: GrpcUri): DnsPollTarget {
  const [hostPort = '', query = ''] = uri.path.split('?', 2);
  const target: DnsPollTarget = parseEndpoint(uri, hostPort);
  for (const [key, value] of new URLSearchParams(query)) {
    if (key === 'intervalMs') {
      const intervalMs = Number(value);
      if (!Number.isInteger(intervalMs) || intervalMs < 100) {
        throw new InvalidTargetError(text(uri), 'intervalMs must be an integer >= 100');
      }
      target.intervalMs = intervalMs;
    } else if (key === 'mode' && (value === 'lookup' || value === 'resolve')) {
      target.mode = value;
    } else {
      throw new InvalidTargetError(text(uri), `unknown or invalid query parameter ${key}`);
    }
  }
  return target;
}

/**
 * `kubernetes:///service.namespace:port`, or `kubernetes:///service:port` with
 * `defaultNamespace()`. Longer names (`service.namespace.svc.cluster.local`) are accepted
 * and only their first two labels used.
 */
export function parseKubernetesTarget(uri: GrpcUri, defaultNamespace?: () => string | undefined): KubernetesTarget {
  const colon = uri.path.lastIndexOf(':');
  if (colon <= 0) throw new InvalidTargetError(text(uri), 'expected service.namespace:port');
  const [service = '', namespace = defaultNamespace?.() ?? ''] = uri.path.slice(0, colon).split('.');
  const portText = uri.path.slice(colon + 1);
  if (!DNS_LABEL.test(service)) throw new InvalidTargetError(text(uri), 'service is not a DNS label');
  if (!DNS_LABEL.test(namespace)) throw new InvalidTargetError(text(uri), 'namespace missing or not a DNS label');
  if (/^\d+$/.test(portText)) return { service, namespace, port: parsePort(uri, portText) };
  if (!PORT_NAME.test(portText)) throw new InvalidTargetError(text(uri), 'port is neither a number nor a port name');
  return { service, namespace, port: portText };
}

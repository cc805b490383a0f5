import type { experimental } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { isInvalidTargetError } from './InvalidTargetError.js';
import { parseDnsPollTarget, parseKubernetesTarget, parseStaticTarget } from './parseTargets.js';

/** Splits like grpc-js's own URI parser (not exported). */
function parse(text: string): experimental.GrpcUri {
  const match = /^([a-z-]+):\/\/([^/]*)\/(.+)$/.exec(text);
  if (!match) throw new Error(`bad test uri ${text}`);
  return { scheme: match[1], authority: match[2], path: match[3]! };
}

function rejects(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(isInvalidTargetError(thrown)).toBe(true);
}

describe('parseStaticTarget', () => {
  it('parses a comma-separated host:port list, IPv6 in brackets', () => {
    expect(parseStaticTarget(parse('static:///127.0.0.2:50051,[::1]:50052'))).toEqual([
      { host: '127.0.0.2', port: 50051 },
      { host: '::1', port: 50052 },
    ]);
  });

  it('rejects missing or bad ports and empty lists', () => {
    rejects(() => parseStaticTarget(parse('static:///127.0.0.2')));
    rejects(() => parseStaticTarget(parse('static:///127.0.0.2:0')));
    rejects(() => parseStaticTarget(parse('static:///127.0.0.2:70000')));
    rejects(() => parseStaticTarget(parse('static:///,')));
  });
});

describe('parseDnsPollTarget', () => {
  it('parses host, port and options', () => {
    expect(
      parseDnsPollTarget(parse('dns-poll:///rpc.ns.svc.cluster.local:50051?intervalMs=2000&mode=resolve')),
    ).toEqual({
      host: 'rpc.ns.svc.cluster.local',
      port: 50051,
      intervalMs: 2000,
      mode: 'resolve',
    });
    expect(parseDnsPollTarget(parse('dns-poll:///localhost:1'))).toEqual({
      host: 'localhost',
      port: 1,
    });
  });

  it('rejects unknown options and tiny intervals', () => {
    rejects(() => parseDnsPollTarget(parse('dns-poll:///localhost:1?interval=5')));
    rejects(() => parseDnsPollTarget(parse('dns-poll:///localhost:1?intervalMs=10')));
    rejects(() => parseDnsPollTarget(parse('dns-poll:///localhost:1?mode=srv')));
  });
});

describe('parseKubernetesTarget', () => {
  it('parses service.namespace with a port number or name', () => {
    expect(parseKubernetesTarget(parse('kubernetes:///patient-rpc.mesh:50051'))).toEqual({
      service: 'patient-rpc',
      namespace: 'mesh',
      port: 50051,
    });
    expect(parseKubernetesTarget(parse('kubernetes:///patient-rpc.mesh.svc.cluster.local:grpc'))).toEqual({
      service: 'patient-rpc',
      namespace: 'mesh',
      port: 'grpc',
    });
  });

  it('takes the namespace from the default only when the target has none', () => {
    const calls: string[] = [];
    const fallback = (): string => (calls.push('asked'), 'home');
    expect(parseKubernetesTarget(parse('kubernetes:///patient-rpc:grpc'), fallback).namespace).toBe('home');
    expect(parseKubernetesTarget(parse('kubernetes:///patient-rpc.other:grpc'), fallback).namespace).toBe('other');
    expect(calls).toEqual(['asked']);
    rejects(() => parseKubernetesTarget(parse('kubernetes:///patient-rpc:grpc')));
  });

  it('rejects bad names and ports', () => {
    rejects(() => parseKubernetesTarget(parse('kubernetes:///Patient_RPC.mesh:50051')));
    rejects(() => parseKubernetesTarget(parse('kubernetes:///patient-rpc.mesh')));
    rejects(() => parseKubernetesTarget(parse('kubernetes:///patient-rpc.mesh:0')));
    rejects(() => parseKubernetesTarget(parse('kubernetes:///patient-rpc.mesh:GRPC_port')));
  });
});

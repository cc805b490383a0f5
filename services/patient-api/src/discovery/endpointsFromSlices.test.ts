import type { V1Endpoint, V1EndpointSlice } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { endpointsFromSlices } from './endpointsFromSlices.js';
import { endpointKey } from './normalizeEndpoints.js';

const ep = (address: string, conditions?: V1Endpoint['conditions']): V1Endpoint => ({
  addresses: [address],
  conditions,
});
const slice = (endpoints: V1Endpoint[], extra: Partial<V1EndpointSlice> = {}): V1EndpointSlice => ({
  addressType: 'IPv4',
  endpoints,
  ports: [{ name: 'grpc', port: 50051, protocol: 'TCP' }],
  ...extra,
});
const keys = (slices: V1EndpointSlice[], port: number | string = 'grpc'): string[] =>
  endpointsFromSlices(slices, port).map(endpointKey);

describe('endpointsFromSlices', () => {
  it('keeps ready (or unknown) endpoints and drops not-ready and terminating ones', () => {
    const s = slice([
      ep('10.0.0.1', { ready: true }),
      ep('10.0.0.2'),
      ep('10.0.0.3', { ready: false }),
      ep('10.0.0.4', { ready: true, terminating: true }),
      ep('10.0.0.5', { ready: false, serving: true, terminating: true }),
    ]);
    expect(keys([s])).toEqual(['10.0.0.1:50051', '10.0.0.2:50051']);
  });

  it('merges slices and deduplicates addresses', () => {
    expect(keys([slice([ep('10.0.0.1'), ep('10.0.0.2')]), slice([ep('10.0.0.2'), ep('10.0.0.3')])])).toEqual([
      '10.0.0.1:50051',
      '10.0.0.2:50051',
      '10.0.0.3:50051',
    ]);
  });

  it('looks a named port up per slice, or uses a number as is', () => {
    const other = slice([ep('10.0.0.9')], { ports: [{ name: 'grpc', port: 6000 }] });
    const unnamed = slice([ep('10.0.0.8')], { ports: [{ port: 7000 }] });
    expect(keys([slice([ep('10.0.0.1')]), other, unnamed])).toEqual(['10.0.0.1:50051', '10.0.0.9:6000']);
    expect(keys([slice([ep('10.0.0.1')]), unnamed], 8080)).toEqual(['10.0.0.1:8080', '10.0.0.8:8080']);
  });

  it('handles IPv6 slices, skips FQDN slices, and uses only the first address', () => {
    const v6 = slice([ep('fd00::1')], { addressType: 'IPv6' });
    const fqdn = slice([ep('rpc.example.com')], { addressType: 'FQDN' });
    const two = slice([{ addresses: ['10.0.0.1', '10.0.0.2'] }]);
    expect(keys([v6, fqdn, two])).toEqual(['10.0.0.1:50051', '[fd00::1]:50051']);
  });

  it('yields nothing for no slices or no endpoints', () => {
    expect(keys([])).toEqual([]);
    expect(keys([slice([]), { addressType: 'IPv4' }])).toEqual([]);
  });
});

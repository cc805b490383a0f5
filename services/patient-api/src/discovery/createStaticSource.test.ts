import { describe, expect, it } from 'vitest';
import { createStaticSource } from './createStaticSource.js';
import { recordSource } from './testing/recordSource.js';

describe('createStaticSource', () => {
  it('reports its list once, deduplicated, on start', () => {
    const r = recordSource(
      createStaticSource([
        { host: '127.0.0.3', port: 50051 },
        { host: '127.0.0.2', port: 50051 },
        { host: '127.0.0.3', port: 50051 },
        { host: '::1', port: 50051 },
      ]),
    );
    expect(r.changes.map((c) => c.length)).toEqual([3]);
    expect(r.latest()).toEqual(['127.0.0.2:50051', '127.0.0.3:50051', '[::1]:50051']);
    r.stop();
  });

  it('reports nothing when stopped before start', () => {
    const source = createStaticSource([{ host: '127.0.0.2', port: 1 }]);
    source.stop();
    const r = recordSource(source);
    expect(r.changes).toEqual([]);
  });
});

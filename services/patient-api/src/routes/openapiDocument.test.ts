import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openapiDocument } from './openapiDocument.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

interface Operation {
  operationId?: string;
  tags?: string[];
}
interface Document {
  servers: { url: string }[];
  info: { license: { identifier: string } };
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
}

const doc = openapiDocument(version) as Document;
const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
);

describe('the OpenAPI document', () => {
  it('names every operation with a unique camelCase operationId, a verb first', () => {
    expect(operations.length).toBeGreaterThanOrEqual(10);
    for (const { path, method, operation } of operations)
      expect(operation.operationId, `${method.toUpperCase()} ${path}`).toMatch(/^(list|get|create|submit)[A-Z]\w*$/);
    const ids = operations.map((o) => o.operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('tags every operation with a tag the document declares', () => {
    const declared = new Set(doc.tags.map((t) => t.name));
    for (const { path, method, operation } of operations) {
      expect(operation.tags, `${method.toUpperCase()} ${path}`).toHaveLength(1);
      expect(declared, `${method.toUpperCase()} ${path}`).toContain(operation.tags![0]);
    }
  });

  it('points clients at the origin serving it, under the Apache-2.0 licence', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(doc.info.license.identifier).toBe('Apache-2.0');
  });
});

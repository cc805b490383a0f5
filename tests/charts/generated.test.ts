// Generated files are up to date: values.schema.json (scripts/tools/chart-schemas.ts)
// and the values reference in docs/operations.md (scripts/tools/values-reference.ts).
// Also: every key of every values.yaml is described in its schema.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './lib/helm.ts';

// Node 24 (the repo's pinned node) runs the .ts tools directly.
const NODE = join(ROOT, 'node_modules', '.bin', 'node');

function tool(script: string): { status: number | null; stderr: string } {
  const result = spawnSync(NODE, [join(ROOT, 'scripts', 'tools', script), '--check'], { encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

interface Schema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
}

/** Paths in `values` that the schema does not describe with a property and a description. */
function undocumented(values: unknown, schema: Schema, path: string[] = []): string[] {
  if (!values || typeof values !== 'object' || Array.isArray(values) || !schema.properties) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const child = schema.properties[key];
    const here = [...path, key].join('.');
    if (!child) {
      if (schema.additionalProperties === false) out.push(`${here} (not in schema)`);
      continue;
    }
    if (!child.description && path[0] !== 'global') out.push(`${here} (no description)`);
    out.push(...undocumented(value, child, [...path, key]));
  }
  return out;
}

describe('generated files', () => {
  it('values.schema.json files match scripts/tools/chart-schemas.ts', () => {
    const result = tool('chart-schemas.ts');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('docs/operations.md values reference matches the schemas and values', () => {
    const result = tool('values-reference.ts');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(['patient-api', 'patient-rpc', 'patient-mesh'])(
    '%s: every value is described in values.schema.json',
    (chart) => {
      const schema = JSON.parse(readFileSync(join(ROOT, 'charts', chart, 'values.schema.json'), 'utf8')) as Schema;
      const values = parse(readFileSync(join(ROOT, 'charts', chart, 'values.yaml'), 'utf8')) as unknown;
      expect(undocumented(values, schema)).toEqual([]);
    },
  );
});

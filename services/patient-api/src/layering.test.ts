// The folders of src/ and what each may import, checked on the source: a folder that
// imports one that imports it back cannot be understood, tested or moved on its own.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = import.meta.dirname;

/**
 * A module's layer: its top folder, or for a file at the top its own name. The composition
 * root (main.ts, createApp.ts) may import every layer; config.ts only the fault settings.
 */
const ALLOWED: Record<string, readonly string[]> = {
  'main.ts': ['createApp.ts', 'config.ts', 'discovery', 'faults', 'http', 'rpc'],
  'createApp.ts': ['config.ts', 'http', 'routes', 'rpc'],
  'config.ts': ['faults'],
  routes: ['http', 'rpc'],
  http: ['config.ts'],
  rpc: ['config.ts', 'discovery'],
  discovery: [],
  faults: [],
};

const layerOf = (file: string) => relative(SRC, file).split('/')[0]!;

/** Every service module (tests and test helpers left out) with the modules of src/ it imports. */
function imports(): Map<string, string[]> {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.split('/').includes('testing'))
    .map((f) => join(SRC, f));
  return new Map(
    files.map((file) => [
      file,
      ts
        .preProcessFile(readFileSync(file, 'utf8'), true, true)
        .importedFiles.map((i) => i.fileName)
        .filter((name) => name.startsWith('.'))
        .map((name) => resolve(dirname(file), name).replace(/\.js$/, '.ts')),
    ]),
  );
}

describe('the layering of patient-api/src', () => {
  const graph = imports();

  it('has a layer for every module, and each imports only the layers below it', () => {
    const edges = new Set<string>();
    for (const [file, targets] of graph)
      for (const target of targets)
        if (layerOf(file) !== layerOf(target)) edges.add(`${layerOf(file)} → ${layerOf(target)}`);
    const refused = [...edges].filter((edge) => {
      const [from, to] = edge.split(' → ') as [string, string];
      return !ALLOWED[from]?.includes(to);
    });
    expect([...graph.keys()].map(layerOf).filter((layer) => !(layer in ALLOWED))).toEqual([]);
    expect(refused).toEqual([]);
  });

  it('has no import cycle between modules', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('sees the imports it checks', () => {
    // The checks above pass on an empty graph too: this one would not.
    const routes = graph.get(join(SRC, 'routes', 'patientRoutes.ts'))!;
    expect(routes).toContain(join(SRC, 'http', 'validate.ts'));
    expect(routes).toContain(join(SRC, 'rpc', 'PatientClient.ts'));
  });
});

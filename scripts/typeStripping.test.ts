// The scripts and the benchmarks run as `node file.ts`: Node strips the types and runs what
// is left, so it refuses TypeScript that needs a transform (parameter properties, enums,
// namespaces). This walks every file Node runs that way, and the project sources they
// import, and strips each as Node would.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY_DIRS = ['scripts', 'bench'];

const tsFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? e.name === 'results' || e.name === 'node_modules'
        ? []
        : tsFiles(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );

/** Relative imports of a file that are TypeScript (`.js` specifiers of the sources name `.ts` files). */
function imports(file: string): string[] {
  const specifiers = [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)];
  return specifiers
    .map((m) => resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')))
    .filter((f) => f.endsWith('.ts') && existsSync(f));
}

function runByNode(): string[] {
  const seen = new Set<string>();
  const queue = ENTRY_DIRS.flatMap((d) => tsFiles(join(ROOT, d)));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...imports(file));
  }
  return [...seen].sort();
}

describe('TypeScript that Node runs directly', () => {
  it('needs no transform beyond stripping types, in every script, benchmark and source they import', () => {
    const files = runByNode();
    expect(files.some((f) => f.includes('/services/'))).toBe(true);
    const refused = files.flatMap((file) => {
      try {
        stripTypeScriptTypes(readFileSync(file, 'utf8'), { mode: 'strip' });
        return [];
      } catch (error) {
        return [`${relative(ROOT, file)}: ${(error as Error).message.split('\n')[0]}`];
      }
    });
    expect(refused).toEqual([]);
  });
});

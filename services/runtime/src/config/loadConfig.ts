import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors/ConfigError.js';

export interface LoadConfigOptions {
  /** YAML file to read; falls back to `env.CONFIG_FILE`; none means defaults only. */
  file?: string | undefined;
  /** Environment; variables named `${prefix}SECTION__KEY` override file values. */
  env: Readonly<Record<string, string | undefined>>;
  /** Prefix of override variables. Default `PM_`. */
  prefix?: string;
}

type Tree = Record<string, unknown>;

/**
 * Reads a service's YAML config, applies environment overrides and validates the result
 * with `schema` once. `PM_HTTP__REQUEST_TIMEOUT_MS=500` sets `http.requestTimeoutMs`;
 * values are parsed as YAML scalars, so numbers, booleans and `[a, b]` lists work.
 * `${prefix}TEST_*` variables are reserved for test-only switches and never read as config.
 * Throws ConfigError naming the key, its source (file or variable) and the reason.
 */
export function loadConfig<S extends z.ZodType>(schema: S, options: LoadConfigOptions): z.infer<S> {
  const prefix = options.prefix ?? 'PM_';
  const file = options.file ?? options.env['CONFIG_FILE'] ?? undefined;
  const tree: Tree = file ? readYaml(file) : {};
  const sources = new Map<string, string>();

  // Every key lives in a section, so an override names at least two segments. A variable
  // with one (PM_DEV_DIR, PM_TOOLS_DIR: the project's tooling shares the prefix) is no key,
  // unless it begins with a section's name: then it is a key with "_" for "__", refused.
  const sections = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  for (const [name, raw] of Object.entries(options.env)) {
    // `PM_TEST_*` switches (e.g. PM_TEST_DISABLE_DRAIN) are test-only flags read by main.ts, not config.
    if (!name.startsWith(prefix) || name.startsWith(`${prefix}TEST_`) || raw === undefined) continue;
    const rest = name.slice(prefix.length);
    if (!rest.includes('__')) {
      const section = sections.find((s) => rest.startsWith(`${camelToSnake(s)}_`));
      if (section)
        throw new ConfigError(
          section,
          `environment variable ${name}`,
          `a section and its key are separated by "__": ${prefix}${camelToSnake(section)}__${rest.slice(camelToSnake(section).length + 1)}`,
        );
      continue;
    }
    const path = rest.split('__').map(snakeToCamel);
    setPath(tree, path, parseScalar(raw));
    sources.set(path.join('.'), `environment variable ${name}`);
  }

  const result = schema.safeParse(tree);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = issue.path.map(String).join('.');
  const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => (key ? `${key}.${k}` : k)) : [key];
  const source = sourceOf(keys[0]!, sources) ?? file ?? 'defaults';
  const reason = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
  throw new ConfigError(keys.join(', '), source, reason);
}

function readYaml(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError('', file, `cannot read file: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError('', file, `not valid YAML: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('', file, 'top level must be a mapping');
  return doc as Tree;
}

/** The variable that set `key`, one of its ancestors, or (an unknown section) a key under it. */
function sourceOf(key: string, sources: Map<string, string>): string | undefined {
  for (let k = key; k; k = k.slice(0, Math.max(0, k.lastIndexOf('.')))) {
    const source = sources.get(k);
    if (source) return source;
  }
  for (const [path, source] of sources) if (path.startsWith(`${key}.`)) return source;
  return undefined;
}

function snakeToCamel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

function parseScalar(raw: string): unknown {
  if (raw === '') return '';
  try {
    return parseYaml(raw) ?? raw;
  } catch {
    return raw;
  }
}

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Tree;
  }
  node[path.at(-1)!] = value;
}

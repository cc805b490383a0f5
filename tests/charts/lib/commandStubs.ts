// Stand-ins for docker, kind, kubectl and helm, so scripts/kind-up.sh can run for real with
// no cluster and no network: each is a link to command-stub.sh (bash, not node: kind-up calls
// them some forty times a run), which appends its argv, and its stdin for `apply -f -`, as one
// JSON line to a log, and prints what kind-up reads back (`kind version`, `kind get
// clusters`, `kubectl version`, `create --dry-run=client -o yaml`, ...). kind keeps its
// clusters in a state directory, so a second run sees the cluster the first one made.
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const STUB = join(import.meta.dirname, 'command-stub.sh');

export type StubCommand = 'docker' | 'kind' | 'kubectl' | 'helm';

export interface Call {
  cmd: StubCommand;
  args: string[];
  /** What was piped into `kubectl apply -f -`. */
  stdin?: string;
  /** `kind load image-archive`: the archive's size when kind read it (-1: no such file). */
  archiveBytes?: number;
  /** Exit status the stub answered with (absent: 0). */
  status?: number;
}

/** Knobs the stubs read from their environment. */
export interface StubBehaviour {
  /** `kind version` prints `kind <this> go1.25.5 linux/amd64` (default v0.31.0). */
  STUB_KIND_VERSION?: string;
  /** `kind load docker-image` fails as it does with Docker's containerd image store. */
  STUB_KIND_LOAD_DOCKER_IMAGE_FAILS?: '1';
  /** `docker image save --platform` is refused, as by Docker < 28. */
  STUB_DOCKER_SAVE_NO_PLATFORM?: '1';
  /** `kubectl get secret` finds a Secret whose password is this (else: NotFound). */
  STUB_POSTGRESQL_SECRET_PASSWORD?: string;
}

/** Links the four stubs into `dir`/bin (put it first on PATH); returns that and the state directory. */
export function writeStubs(dir: string): { bin: string; state: string } {
  const bin = join(dir, 'bin');
  const state = join(dir, 'state');
  mkdirSync(bin, { recursive: true });
  mkdirSync(state, { recursive: true });
  for (const cmd of ['docker', 'kind', 'kubectl', 'helm'] satisfies StubCommand[]) symlinkSync(STUB, join(bin, cmd));
  return { bin, state };
}

export function readCalls(log: string): Call[] {
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((entry) => JSON.parse(entry) as Call);
}

/** `cmd a b c` as one string, for readable assertions. */
export const line = (c: Call): string => [c.cmd, ...c.args].join(' ');

// A network namespace of the test's own, joined to the host by a veth pair: a process run in
// it (`ip netns exec`) is reachable at `nsAddress` and reaches the host at `hostAddress`, and
// iptables rules inside it cut exactly the traffic a row partitions. Root only.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);
const IP = execFileSync('sh', ['-c', 'command -v ip || echo /usr/sbin/ip'], { encoding: 'utf8' }).trim();

async function ip(...args: string[]): Promise<void> {
  try {
    await run(IP, args, { timeout: 10_000 });
  } catch (error) {
    throw new Error(`ip ${args.join(' ')} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
}

export class NetNamespace {
  private constructor(
    readonly name: string,
    readonly hostLink: string,
    readonly hostAddress: string,
    readonly nsAddress: string,
  ) {}

  /** Names unique per run (interface names stay within 15 characters); a /30 in 10.200-249.x. */
  static async create(): Promise<NetNamespace> {
    const tag = randomBytes(3).toString('hex');
    const [a, b] = randomBytes(2);
    const net = `10.${200 + (a! % 50)}.${b}`;
    const ns = new NetNamespace(`pmf-${process.pid}-${tag}`, `pmf${tag}h`, `${net}.1`, `${net}.2`);
    const nsLink = `pmf${tag}n`;
    await ip('netns', 'add', ns.name);
    try {
      await ip('link', 'add', ns.hostLink, 'type', 'veth', 'peer', 'name', nsLink);
      await ip('link', 'set', nsLink, 'netns', ns.name);
      await ip('addr', 'add', `${ns.hostAddress}/30`, 'dev', ns.hostLink);
      await ip('link', 'set', ns.hostLink, 'up');
      await ip('netns', 'exec', ns.name, IP, 'addr', 'add', `${ns.nsAddress}/30`, 'dev', nsLink);
      await ip('netns', 'exec', ns.name, IP, 'link', 'set', nsLink, 'up');
      await ip('netns', 'exec', ns.name, IP, 'link', 'set', 'lo', 'up');
    } catch (error) {
      await ns.destroy();
      throw error;
    }
    return ns;
  }

  /** The command prefix that runs a process inside the namespace. */
  get wrapper(): string[] {
    return [IP, 'netns', 'exec', this.name];
  }

  /** Drops every packet to and from TCP `port` inside the namespace (no reset: a silent partition). */
  async partition(port: number): Promise<void> {
    await this.#iptables('-I', port);
  }

  async heal(port: number): Promise<void> {
    await this.#iptables('-D', port);
  }

  async #iptables(op: '-I' | '-D', port: number): Promise<void> {
    for (const [chain, dir] of [
      ['INPUT', '--dport'],
      ['OUTPUT', '--sport'],
    ] as const)
      await ip('netns', 'exec', this.name, 'iptables', op, chain, '-p', 'tcp', dir, String(port), '-j', 'DROP');
  }

  /** Removes the namespace and the host end of the veth pair; safe to call twice. */
  async destroy(): Promise<void> {
    await ip('netns', 'del', this.name).catch(() => {});
    await ip('link', 'del', this.hostLink).catch(() => {});
  }
}

// Reads samples from a service's Prometheus text exposition.

/** The exposition a service's admin port serves at /metrics. */
export async function scrape(adminPort: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
}

/** The sum of the samples of `name` in `text` whose labels include `labels` (0 if none). */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Reads one sample (summed over matching label sets) from a service's /metrics. */
export async function metricValue(
  adminPort: number,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  return sampleValue(await scrape(adminPort), name, labels);
}

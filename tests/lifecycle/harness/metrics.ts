// Reads counters from a service's Prometheus text endpoint.
import { sampleValue } from '../../support/metrics.ts';

/** Sum of every series of `name` whose labels include all of `labels`. */
export async function scrapeSum(adminUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sampleValue(await (await fetch(`${adminUrl}/metrics`)).text(), name, labels);
}

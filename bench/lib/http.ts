// One set-up request to a system under test (not part of any measurement), bounded in time,
// tried again while patient-api answers 503 (its load shedder, on a busy machine) or 429.
export async function setupFetch(url: string, init: RequestInit = {}, tries = 40): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    if ((res.status !== 503 && res.status !== 429) || attempt >= tries) return res;
    await res.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

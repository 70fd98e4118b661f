/** @module One SDK client per API key, created on first use (the SDK module itself loads lazily). */

/**
 * Memoises `create` per key. The promise is cached, not the client, so two first calls at once share
 * one client instead of racing to build two.
 */
export function clientPerKey<T>(
  create: (apiKey: string | undefined) => Promise<T>,
): (apiKey: string | undefined) => Promise<T> {
  const clients = new Map<string, Promise<T>>();
  return (apiKey) => {
    const id = apiKey ?? '';
    let c = clients.get(id);
    if (!c) {
      c = create(apiKey);
      clients.set(id, c);
      // A failed load (e.g. a broken install) must not poison the cache for later calls.
      c.catch(() => clients.delete(id));
    }
    return c;
  };
}

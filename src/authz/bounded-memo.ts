/**
 * Values worked out once per distinct key, for inputs a sidecar sees again and again (a route's settings, a
 * caller's address). At most `limit` are held: when full, the memo starts over, so a flood of distinct keys
 * costs work, never memory without bound.
 */
export class BoundedMemo<K, V> {
  private readonly values = new Map<K, V>();

  constructor(readonly limit: number) {}

  get size(): number {
    return this.values.size;
  }

  get(key: K): V | undefined {
    return this.values.get(key);
  }

  set(key: K, value: V): void {
    if (this.values.size >= this.limit && !this.values.has(key)) this.values.clear();
    this.values.set(key, value);
  }
}

/**
 * Union-find over customer nodes where the root of a set is always its oldest node (the lowest
 * rank): the oldest customer survives a merge, as in the incremental path.
 */
export class OldestFirstUnionFind {
  private parent: Int32Array;
  private size = 0;

  constructor(capacity: number) {
    this.parent = new Int32Array(Math.max(16, capacity));
  }

  /** Adds a node; nodes must be added in rank order (oldest first). Returns its index. */
  add(): number {
    if (this.size === this.parent.length) {
      const bigger = new Int32Array(this.parent.length * 2);
      bigger.set(this.parent);
      this.parent = bigger;
    }
    this.parent[this.size] = this.size;
    return this.size++;
  }

  find(x: number): number {
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r]!;
    // Path compression.
    let at = x;
    while (this.parent[at] !== r) {
      const next = this.parent[at]!;
      this.parent[at] = r;
      at = next;
    }
    return r;
  }

  /** Joins the sets of a and b; the older root survives. Returns [survivor, retired] roots. */
  union(a: number, b: number): [number, number] {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return [ra, rb];
    const [keep, gone] = ra < rb ? [ra, rb] : [rb, ra];
    this.parent[gone] = keep;
    return [keep, gone];
  }
}

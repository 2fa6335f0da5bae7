/**
 * Connected components over links (union–find with path halving and union by size):
 * the customers that a set of links implies. Returns a cluster id per record index; the id is
 * the smallest record index in the cluster, so results are deterministic.
 */
export function connectedComponents(
  recordCount: number,
  links: Iterable<readonly [number, number]>,
): Int32Array {
  const parent = new Int32Array(recordCount);
  const size = new Int32Array(recordCount).fill(1);
  for (let i = 0; i < recordCount; i++) parent[i] = i;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      const grand = parent[parent[x] as number] as number;
      parent[x] = grand;
      x = grand;
    }
    return x;
  };
  for (const [a, b] of links) {
    let ra = find(a);
    let rb = find(b);
    if (ra === rb) continue;
    if ((size[ra] as number) < (size[rb] as number)) [ra, rb] = [rb, ra];
    parent[rb] = ra;
    size[ra] = (size[ra] as number) + (size[rb] as number);
  }
  const minOfRoot = new Int32Array(recordCount).fill(-1);
  const out = new Int32Array(recordCount);
  for (let i = 0; i < recordCount; i++) {
    const r = find(i);
    if (minOfRoot[r] === -1) minOfRoot[r] = i;
    out[i] = minOfRoot[r] as number;
  }
  return out;
}

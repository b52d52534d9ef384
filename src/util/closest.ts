// Nearest strings by edit distance, for "did you mean" hints in error messages.
export function closest(value: string, candidates: readonly string[], max = 3): string[] {
  return candidates
    .map((c) => ({ c, d: distance(value, c) }))
    .filter(({ c, d }) => d <= Math.max(2, Math.floor(Math.max(value.length, c.length) / 2)))
    .sort((a, b) => a.d - b.d)
    .slice(0, max)
    .map(({ c }) => c);
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, sub));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

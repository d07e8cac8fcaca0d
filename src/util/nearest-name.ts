/**
 * "Did you mean": the known name closest to a mistyped one, for unknown command-line flags and
 * unknown configuration keys. Closeness is the Damerau-Levenshtein distance (a swap of two
 * neighbours counts once, the commonest typo), and a suggestion is made only when the distance is
 * small beside the name's length, so a name that resembles nothing gets no suggestion.
 */

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[(i - 2) * cols + j - 2] + 1);
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1];
}

/**
 * The candidate nearest to `name`, or undefined when none is near enough: at most a third of the
 * longer name's length apart (at least one edit), ties going to the earlier candidate. A candidate
 * that starts with the name (an abbreviation) counts as near when the name has 3+ characters.
 */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const cl = c.toLowerCase();
    let dist = editDistance(lower, cl);
    if (dist > Math.max(1, Math.floor(Math.max(lower.length, cl.length) / 3))) {
      if (lower.length >= 3 && cl.startsWith(lower)) dist = cl.length - lower.length;
      else continue;
    }
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}

/** Prometheus text as a map from series (`name{labels}`, as printed) to value; comments skipped. */
export function parsePrometheus(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    series.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return series;
}

/** The values of one metric by the value of its single label, e.g. `veil_mediasoup_objects{kind}`. */
export function byLabel(series: ReadonlyMap<string, number>, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const prefix = `${name}{${label}="`;
  for (const [key, value] of series) {
    if (key.startsWith(prefix)) out[key.slice(prefix.length, key.indexOf('"', prefix.length))] = value;
  }
  return out;
}

/** The sum of a metric over all its label sets (0 when absent). */
export function total(series: ReadonlyMap<string, number>, name: string): number {
  let sum = 0;
  for (const [key, value] of series) if (key === name || key.startsWith(`${name}{`)) sum += value;
  return sum;
}

/**
 * The report of bench/moderation.ts: what one phase measured, and the markdown tables and the
 * summary line it prints for docs/BENCHMARKS.md.
 */
import type { Classification, ClassifierBackend } from '../src/moderation/classification.js';
import type { Decision } from '../src/moderation/policy.js';

export interface CpuPerSample {
  readonly samples: number;
  readonly wallMs: number;
  readonly node: number;
  readonly mainThread: number;
  readonly otherThreads: number;
  readonly decoder: number;
  readonly sender: number;
  readonly mediasoup: number;
}

export interface SampleTimings {
  readonly keyframeMs: number;
  readonly decodeMs: number;
  readonly stages: Classification['timingsMs'];
  /** pool.classify() wall time (transfer, worker, structured clone back). */
  readonly classifyMs: number;
  /** tap.sample() call → decision taken. */
  readonly totalMs: number;
  readonly classification: Classification;
  readonly decision: Decision;
}

export interface Phase {
  readonly name: string;
  readonly backend: ClassifierBackend | null;
  readonly samples: SampleTimings[];
  readonly failures: string[];
  readonly cpu: CpuPerSample;
  readonly load: readonly [number, number];
  readonly poolStartMs: number;
  /** The same pool classifying one decoded frame back to back: what a saturated worker costs. */
  readonly saturated: { readonly frames: number; readonly cpuMs: number; readonly wallMs: number };
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** "p50 / p99" of the values (nulls: the stage did not run), or "–". */
export function p50p99(values: readonly (number | null)[]): string {
  const ran = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (ran.length === 0) return '–';
  const f = (v: number): string => (v < 10 ? v.toFixed(1) : v.toFixed(0));
  return `${f(percentile(ran, 50))} / ${f(percentile(ran, 99))}`;
}

export function stageRows(phases: readonly Phase[], hashListSize: number): void {
  const rows: [string, (s: SampleTimings) => number | null][] = [
    ['keyframe request → complete keyframe (`keyframeMs`)', (s) => s.keyframeMs],
    ['decode + scale to 320 px, incl. consumer pause (`decodeMs`)', (s) => s.decodeMs],
    ['pdq (hash + quality)', (s) => s.stages.pdq],
    [`hashList (${hashListSize.toLocaleString('en')} entries)`, (s) => s.stages.hashList],
    ['nudity (nsfwjs MobileNetV2)', (s) => s.stages.nudity],
    ['faces (BlazeFace + faceres age)', (s) => s.stages.faces],
    ['classify() round trip (pool, transfer, worker)', (s) => s.classifyMs],
    ['**total: sample() → decision**', (s) => s.totalMs],
  ];
  console.log(`| stage | ${phases.map((p) => `${p.name} p50 / p99 ms`).join(' | ')} |`);
  console.log(`|---|${phases.map(() => '--:').join('|')}|`);
  console.log(`| samples (failed) | ${phases.map((p) => `${p.samples.length} (${p.failures.length})`).join(' | ')} |`);
  for (const [label, pick] of rows) console.log(`| ${label} | ${phases.map((p) => p50p99(p.samples.map(pick))).join(' | ')} |`);
}

export function cpuRows(phases: readonly Phase[]): void {
  const f = (v: number): string => (v < 10 ? v.toFixed(1) : v.toFixed(0));
  console.log(
    '| phase | samples | node main thread | node other threads (classifier worker, V8 helpers) | node total (process.cpuUsage) | ffmpeg decoder | **moderation CPU ms/sample** | samples/s per core | streams per core at 1 sample / 20 s |',
  );
  console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const p of phases) {
    const total = p.cpu.node + p.cpu.decoder;
    const perCore = 1000 / total;
    console.log(
      `| ${p.name} | ${p.cpu.samples} | ${f(p.cpu.mainThread)} | ${f(p.cpu.otherThreads)} | ${f(p.cpu.node)} | ${f(p.cpu.decoder)} | **${f(total)}** | ${perCore.toFixed(2)} | ${(20 * perCore).toFixed(0)} |`,
    );
  }
}

export function outsideRows(phases: readonly Phase[], idle: CpuPerSample): void {
  console.log('| phase | wall s | ffmpeg sender (libvpx encode) ms/s | mediasoup worker ms/s | node ms/s | decoder ms/s |');
  console.log('|---|--:|--:|--:|--:|--:|');
  const row = (name: string, c: CpuPerSample): void => {
    const perSecond = (perSample: number): string => ((perSample * c.samples * 1000) / c.wallMs).toFixed(0);
    console.log(
      `| ${name} | ${(c.wallMs / 1000).toFixed(1)} | ${perSecond(c.sender)} | ${perSecond(c.mediasoup)} | ${perSecond(c.node)} | ${perSecond(c.decoder)} |`,
    );
  };
  row('idle (consumer paused, no sample)', idle);
  for (const p of phases) row(p.name, p.cpu);
}

export function describe(phases: readonly Phase[]): void {
  for (const p of phases) {
    const decisions = new Map<string, number>();
    const faces = new Map<number, number>();
    for (const s of p.samples) {
      const key = s.decision.action === 'none' ? 'none' : `${s.decision.action}/${s.decision.reason}`;
      decisions.set(key, (decisions.get(key) ?? 0) + 1);
      const n = s.classification.faces?.length ?? -1;
      faces.set(n, (faces.get(n) ?? 0) + 1);
    }
    const ages = p.samples.flatMap((s) => s.classification.faces?.map((face) => face.age) ?? []).sort((a, b) => a - b);
    const match = p.samples.find((s) => s.classification.hashMatch)?.classification.hashMatch;
    const fmt = (m: Map<string | number, number>): string => [...m].map(([k, v]) => `${k === -1 ? 'not run' : k}: ${v}`).join(', ');
    console.log(
      `- ${p.name}: backend \`${p.backend}\`, pool (1 worker, 1M-entry list) ready in ${(p.poolStartMs / 1000).toFixed(1)} s; load average ${p.load[0].toFixed(2)} → ${p.load[1].toFixed(2)}; decisions ${fmt(decisions)}; faces per frame ${fmt(faces)}${ages.length ? `; age p50 ${percentile(ages, 50).toFixed(1)}` : ''}${match ? `; hash match distance ${match.distance} (list line ${match.entryLine})` : ''}${p.failures.length ? `; failures: ${[...new Set(p.failures)].join('; ')}` : ''}`,
    );
  }
}

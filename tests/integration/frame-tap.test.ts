import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { WorkerPool } from '../../src/media/worker-pool.js';
import { DecoderPool, FrameTap, FrameTapError, resolveFfmpeg, type FrameSample } from '../../src/media/frame-tap/index.js';
import { KeyframeAssembler, parseRtp, parseVp8Payload, vp8KeyframeInfo } from '../../src/media/frame-tap/rtp-vp8.js';
import { PpmStreamReader } from '../../src/media/frame-tap/ppm-reader.js';
import { ivfFileHeader, ivfFrame } from '../../src/media/frame-tap/ivf.js';
import { startRtpSource, type RtpSource } from '../support/rtp-source.js';

/** An RTP packet with the given header fields (optional CSRCs, header extension, padding). */
function rtp(p: {
  pt?: number;
  seq: number;
  ts?: number;
  marker?: boolean;
  payload: number[];
  csrcs?: number;
  extWords?: number;
  padding?: number;
}): Uint8Array {
  const csrcs = p.csrcs ?? 0;
  const ext = p.extWords === undefined ? [] : [0xbe, 0xde, 0, p.extWords, ...new Array<number>(4 * p.extWords).fill(0)];
  const pad = p.padding ? [...new Array<number>(p.padding - 1).fill(0), p.padding] : [];
  const out = new Uint8Array(12 + 4 * csrcs + ext.length + p.payload.length + pad.length);
  const view = new DataView(out.buffer);
  out[0] = 0x80 | (p.padding ? 0x20 : 0) | (p.extWords !== undefined ? 0x10 : 0) | csrcs;
  out[1] = (p.marker ? 0x80 : 0) | (p.pt ?? 101);
  view.setUint16(2, p.seq);
  view.setUint32(4, p.ts ?? 9000);
  out.set([...ext, ...p.payload, ...pad], 12 + 4 * csrcs);
  return out;
}
/** The first bytes of a VP8 keyframe of 640x480 (frame tag, start code, size). */
const KEYFRAME_HEAD = [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01];
const INTERFRAME_HEAD = [0x31, 0x02, 0x00, 0x00];

describe('frame tap: RTP/VP8 parsing (pure)', () => {
  it.each([
    ['plain header', { seq: 1, payload: [0x10, 1, 2] }, 3],
    ['2 CSRCs', { seq: 1, csrcs: 2, payload: [0x10, 1, 2] }, 3],
    ['header extension of 2 words', { seq: 1, extWords: 2, payload: [0x10, 1] }, 2],
    ['4 bytes of padding', { seq: 1, padding: 4, payload: [0x10, 1, 2, 3, 4] }, 5],
  ])('parseRtp: %s', (_name, packet, payloadLength) => {
    const parsed = parseRtp(rtp(packet));
    expect(parsed?.payload.length).toBe(payloadLength);
    expect(parsed?.payloadType).toBe(101);
  });

  it('parseRtp refuses short or non-v2 packets', () => {
    expect(parseRtp(new Uint8Array(8))).toBeUndefined();
    expect(parseRtp(new Uint8Array(12))).toBeUndefined(); // version 0
  });

  it.each([
    ['no extension', [0x10, 0xaa], true, 0, 1],
    ['7-bit picture id', [0x90, 0x80, 0x05, 0xaa], true, 0, 1],
    ['15-bit picture id, TL0PICIDX, TID', [0x90, 0xe0, 0x81, 0x05, 0x07, 0x40, 0xaa], true, 0, 1],
    ['continuation of partition 1', [0x01, 0xaa, 0xbb], false, 1, 2],
  ])('parseVp8Payload: %s', (_name, bytes, start, partitionId, dataLength) => {
    const parsed = parseVp8Payload(new Uint8Array(bytes));
    expect(parsed).toMatchObject({ start, partitionId });
    expect(parsed?.data.length).toBe(dataLength);
  });

  it('vp8KeyframeInfo reads the size of a keyframe and ignores inter frames', () => {
    expect(vp8KeyframeInfo(new Uint8Array(KEYFRAME_HEAD))).toEqual({ width: 640, height: 480 });
    expect(vp8KeyframeInfo(new Uint8Array([...INTERFRAME_HEAD, 0, 0, 0, 0, 0, 0]))).toBeUndefined();
  });

  it('KeyframeAssembler joins a keyframe across packets, ignores inter frames and RTX, drops frames with a gap', () => {
    const assembler = new KeyframeAssembler(101);
    expect(assembler.push(rtp({ seq: 1, ts: 1, marker: true, payload: [0x10, ...INTERFRAME_HEAD] }))).toBeUndefined();
    expect(assembler.push(rtp({ pt: 102, seq: 2, ts: 2, payload: [0x10, ...KEYFRAME_HEAD] }))).toBeUndefined();
    // a keyframe with a lost middle packet is dropped
    expect(assembler.push(rtp({ seq: 10, ts: 5, payload: [0x10, ...KEYFRAME_HEAD] }))).toBeUndefined();
    expect(assembler.push(rtp({ seq: 12, ts: 5, marker: true, payload: [0x00, 7] }))).toBeUndefined();
    // a whole one, the sequence number wrapping around
    expect(assembler.push(rtp({ seq: 65535, ts: 6, payload: [0x10, ...KEYFRAME_HEAD] }))).toBeUndefined();
    expect(assembler.push(rtp({ seq: 0, ts: 6, payload: [0x00, 7, 8] }))).toBeUndefined();
    const frame = assembler.push(rtp({ seq: 1, ts: 6, marker: true, payload: [0x00, 9] }));
    expect(frame).toMatchObject({ width: 640, height: 480, rtpTimestamp: 6 });
    expect([...frame!.data]).toEqual([...KEYFRAME_HEAD, 7, 8, 9]);
  });

  it('IVF framing and PPM reading handle split chunks', () => {
    const header = ivfFileHeader(640, 480);
    expect(new TextDecoder().decode(header.subarray(0, 4))).toBe('DKIF');
    expect(ivfFrame(new Uint8Array([1, 2, 3]), 7).subarray(0, 5)).toEqual(new Uint8Array([3, 0, 0, 0, 7]));
    const ppm = new Uint8Array([...new TextEncoder().encode('P6\n2 1\n255\n'), 255, 0, 0, 0, 0, 255]);
    const reader = new PpmStreamReader();
    const stream = new Uint8Array([...ppm, ...ppm]);
    const images = [reader.push(stream.subarray(0, 5)), reader.push(stream.subarray(5, 20)), reader.push(stream.subarray(20))].flat();
    expect(images).toHaveLength(2);
    expect(images[1]).toMatchObject({ width: 2, height: 1 });
    expect([...images[1]!.rgb]).toEqual([255, 0, 0, 0, 0, 255]);
  });
});

describe('frame tap: ffmpeg location', () => {
  it('takes the configured path, names it when unusable, else falls back to ffmpeg on PATH', async () => {
    const bad = resolveFfmpeg({ configuredPath: '/nonexistent/ffmpeg' });
    await expect(bad).rejects.toMatchObject({ code: 'ffmpeg-not-found' });
    await expect(bad).rejects.toThrow(/FFMPEG_PATH=\/nonexistent\/ffmpeg/);
    expect(await resolveFfmpeg({ configuredPath: '/usr/bin/ffmpeg' })).toMatchObject({ source: 'config', path: '/usr/bin/ffmpeg' });
    const fallback = await resolveFfmpeg({ findStaticBinary: () => '/nonexistent/ffmpeg-static' });
    expect(fallback).toMatchObject({ source: 'path', path: 'ffmpeg' });
    expect(fallback.version).toMatch(/^ffmpeg version/);
    expect(await resolveFfmpeg()).toMatchObject({ source: 'path' }); // ffmpeg-static is not installed here
  });
});

describe('frame tap: decoder pool', () => {
  it('a keyframe ffmpeg cannot decode times out with `timeout`, and the next decode gets a fresh decoder', async () => {
    const decoders = await DecoderPool.create({ ffmpegPath: 'ffmpeg', width: 320 });
    try {
      const [pid] = decoders.pids;
      const garbage = { width: 640, height: 480, rtpTimestamp: 0, data: new Uint8Array([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]) };
      await expect(decoders.decode(garbage, 1000)).rejects.toMatchObject({ code: 'timeout', message: /ffmpeg gave no image within 1000 ms/ });
      expect(decoders.pids).toEqual([]);
      await expect(decoders.decode(garbage, 1000)).rejects.toMatchObject({ code: 'timeout' });
      expect(decoders.pids).not.toContain(pid);
    } finally {
      decoders.close();
      await decoders.whenExited();
    }
  });
});

describe('frame tap on a live VP8 producer', () => {
  let pool: WorkerPool;
  let router: types.Router;
  const sources: RtpSource[] = [];
  const taps: FrameTap[] = [];

  beforeEach(async () => {
    pool = await WorkerPool.create({ count: 1, listenIp: '127.0.0.1', announcedIp: undefined, portBase: 46000 + Math.floor(Math.random() * 1000) });
    router = pool.pick().router;
  });
  afterEach(async () => {
    for (const tap of taps.splice(0)) {
      tap.close();
      await tap.whenDecodersExited();
    }
    await Promise.all(sources.splice(0).map((source) => source.close()));
    pool.close(); // mediasoup 3.12 has no 'subprocessclose' event to await
  });

  const source = async (options: Parameters<typeof startRtpSource>[1] = {}): Promise<RtpSource> => {
    const started = await startRtpSource(router, options);
    sources.push(started);
    return started;
  };
  const tap = async (producer: types.Producer, ffmpegPath = 'ffmpeg'): Promise<FrameTap> => {
    const created = await FrameTap.create(router, producer, { width: 320, ffmpegPath });
    taps.push(created);
    return created;
  };
  /** Share of pixels in [x0, x1) columns whose dominant channel is `channel` by a clear margin. */
  const share = (sample: FrameSample, x0: number, x1: number, channel: 0 | 1 | 2): number => {
    let hits = 0;
    let total = 0;
    for (let y = 0; y < sample.height; y++) {
      for (let x = x0; x < x1; x++) {
        const i = 3 * (y * sample.width + x);
        const c = [sample.rgb[i]!, sample.rgb[i + 1]!, sample.rgb[i + 2]!];
        if (c[channel]! > 150 && c.every((v, k) => k === channel || v < 80)) hits++;
        total++;
      }
    }
    return hits / total;
  };

  it('decodes a keyframe to an RGB image of the requested width whose pixels match the source; twice; paused in between', async () => {
    const { producer } = await source({ pattern: 'red-blue' });
    const frameTap = await tap(producer);
    expect(frameTap.consumer.paused).toBe(true);

    const first = await frameTap.sample({ timeoutMs: 10_000 });
    expect(frameTap.consumer.paused).toBe(true);
    expect(first).toMatchObject({ width: 320, height: 240, sourceWidth: 640, sourceHeight: 480 });
    expect(first.rgb.length).toBe(320 * 240 * 3);
    expect(share(first, 0, 150, 0)).toBeGreaterThan(0.95); // left half red
    expect(share(first, 170, 320, 2)).toBeGreaterThan(0.95); // right half blue

    const second = await frameTap.sample({ timeoutMs: 10_000 });
    expect(frameTap.consumer.paused).toBe(true);
    expect(second.capturedAt).toBeGreaterThan(first.capturedAt);
    expect(share(second, 0, 150, 0)).toBeGreaterThan(0.95);
  });

  it('refuses a concurrent sample with busy, and the partner consumer keeps receiving, never paused', async () => {
    const { producer } = await source({ pattern: 'red' });
    const partnerTransport = await router.createDirectTransport();
    const partner = await partnerTransport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
    const frameTap = await tap(producer);

    const running = frameTap.sample({ timeoutMs: 10_000 });
    await expect(frameTap.sample()).rejects.toMatchObject({ name: 'FrameTapError', code: 'busy' });
    const sample = await running;
    expect(share(sample, 0, 320, 0)).toBeGreaterThan(0.95);
    expect(partner.paused).toBe(false);
    await once(partner, 'rtp'); // still flowing after the tap paused its own consumer
    expect(frameTap.consumer.paused).toBe(true);
    partnerTransport.close();
  });

  it('times out with a clear error when the producer sends nothing, and stays paused and usable', async () => {
    const { producer } = await source({ send: false });
    const frameTap = await tap(producer);
    const error = await frameTap.sample({ timeoutMs: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FrameTapError);
    expect(error).toMatchObject({ code: 'timeout', message: expect.stringMatching(/no keyframe .* within 500 ms/) });
    expect(frameTap.consumer.paused).toBe(true);
    await expect(frameTap.sample({ timeoutMs: 200 })).rejects.toMatchObject({ code: 'timeout' });
  });

  it('gives a clear error for a bad ffmpeg path and leaves nothing on the router', async () => {
    const { producer } = await source({ send: false });
    const before = (await router.dump()).transportIds.length;
    await expect(FrameTap.create(router, producer, { width: 320, ffmpegPath: '/nonexistent/ffmpeg' })).rejects.toMatchObject({
      code: 'ffmpeg-not-found',
      message: expect.stringMatching(/cannot start ffmpeg \(\/nonexistent\/ffmpeg\)/),
    });
    expect((await router.dump()).transportIds.length).toBe(before);
  });

  it('close() releases the transport and consumer, kills ffmpeg, and is idempotent', async () => {
    const { producer } = await source({ pattern: 'red' });
    const before = await router.dump();
    const frameTap = await tap(producer);
    await frameTap.sample({ timeoutMs: 10_000 });
    const [pid] = frameTap.decoderPids;
    expect(pid).toBeTypeOf('number');
    expect((await router.dump()).transportIds.length).toBe(before.transportIds.length + 1);

    frameTap.close();
    frameTap.close();
    await frameTap.whenDecodersExited();
    expect(frameTap.consumer.closed).toBe(true);
    expect(await router.dump()).toMatchObject({ transportIds: before.transportIds, mapProducerIdConsumerIds: before.mapProducerIdConsumerIds });
    expect(() => process.kill(pid!, 0)).toThrow(/ESRCH/);
    await expect(frameTap.sample()).rejects.toMatchObject({ code: 'closed' });
  });

  it('reports a dying ffmpeg and takes the next sample with a fresh decoder', async () => {
    const { producer } = await source({ pattern: 'red' });
    const frameTap = await tap(producer);
    const [pid] = frameTap.decoderPids;
    const died = once(frameTap, 'decoderdied');
    process.kill(pid!, 'SIGKILL');
    const [error] = (await died) as [FrameTapError];
    expect(error).toMatchObject({ code: 'decoder-died', message: expect.stringMatching(/ffmpeg exited \(SIGKILL\)/) });
    const sample = await frameTap.sample({ timeoutMs: 10_000 });
    expect(sample.width).toBe(320);
    expect(frameTap.decoderPids).not.toContain(pid);
  });

  it('taps share one decoder across sources of different sizes; a shared pool outlives its taps', async () => {
    const decoders = await DecoderPool.create({ ffmpegPath: 'ffmpeg', width: 224 });
    try {
      const wide = await source({ pattern: 'red', width: 1280, height: 720 });
      const square = await source({ pattern: 'red-blue', width: 480, height: 480 });
      const wideTap = await FrameTap.create(router, wide.producer, { decoders });
      const squareTap = await FrameTap.create(router, square.producer, { decoders });
      taps.push(wideTap, squareTap);
      expect(await wideTap.sample({ timeoutMs: 10_000 })).toMatchObject({ width: 224, height: 126, sourceWidth: 1280 });
      const squareSample = await squareTap.sample({ timeoutMs: 10_000 });
      expect(squareSample).toMatchObject({ width: 224, height: 224, sourceWidth: 480 });
      expect(share(squareSample, 0, 100, 0)).toBeGreaterThan(0.95);
      expect(share(squareSample, 124, 224, 2)).toBeGreaterThan(0.95);
      const [pid] = decoders.pids;
      wideTap.close();
      squareTap.close();
      expect(decoders.pids).toEqual([pid]); // the taps do not close a pool they were given
    } finally {
      decoders.close();
      await decoders.whenExited();
    }
  });

  it('refuses at once when the producer is paused, and a close() during a sample rejects it with closed', async () => {
    const { producer } = await source({ send: false });
    const frameTap = await tap(producer);
    const paused = once(frameTap.consumer, 'producerpause');
    await producer.pause();
    await paused; // the consumer learns it from the worker, a moment after pause() resolves
    await expect(frameTap.sample()).rejects.toMatchObject({ code: 'producer-paused' });
    const resumed = once(frameTap.consumer, 'producerresume');
    await producer.resume();
    await resumed;
    const running = frameTap.sample({ timeoutMs: 60_000 });
    frameTap.close();
    await expect(running).rejects.toMatchObject({ code: 'closed' });
  });

  it('closes itself when the producer closes', async () => {
    const { producer } = await source({ send: false });
    const frameTap = await tap(producer);
    const closed = once(frameTap, 'close');
    producer.close();
    await closed;
    expect(frameTap.closed).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { activeResourcesByType, countMediasoupObjects, routerDumpSchema, workerDumpSchema, type WorkerDumps } from '../../src/metrics/resource-counts.js';

const worker = (routers: number, handlers: number): WorkerDumps['worker'] => ({
  routerIds: Array.from({ length: routers }, (_, i) => `r${i}`),
  channelMessageHandlers: { channelRequestHandlers: Array.from({ length: handlers }, (_, i) => `h${i}`) },
});
const router = (transports: number, producers: Record<string, string[]>): WorkerDumps['routers'][number] => ({
  transportIds: Array.from({ length: transports }, (_, i) => `t${i}`),
  mapProducerIdConsumerIds: producers,
  mapConsumerIdProducerId: Object.fromEntries(Object.entries(producers).flatMap(([producer, consumers]) => consumers.map((c) => [c, producer]))),
  mapDataProducerIdDataConsumerIds: {},
  mapDataConsumerIdDataProducerId: {},
});

describe('countMediasoupObjects', () => {
  it.each<[string, WorkerDumps[], Partial<Record<string, number>>]>([
    ['no worker', [], { router: 0, transport: 0, producer: 0, consumer: 0, request_handler: 0 }],
    [
      'an idle worker: its router and WebRtcServer only',
      [{ worker: worker(1, 2), routers: [router(0, {})], webRtcServers: [{ webRtcTransportIds: [] }] }],
      { router: 1, transport: 0, request_handler: 2 },
    ],
    [
      'a pair: four WebRTC transports, four producers each consumed once',
      [
        {
          worker: worker(1, 14),
          routers: [router(4, { a: ['c1'], b: ['c2'], c: ['c3'], d: ['c4'] })],
          webRtcServers: [{ webRtcTransportIds: ['t0', 't1', 't2', 't3'] }],
        },
      ],
      { transport: 4, webrtc_transport: 4, producer: 4, consumer: 4 },
    ],
    [
      'a frame tap: a DirectTransport is a transport but not a WebRTC one; its consumer counts',
      [{ worker: worker(1, 6), routers: [router(3, { v: ['partner', 'tap'] })], webRtcServers: [{ webRtcTransportIds: ['t0', 't1'] }] }],
      { transport: 3, webrtc_transport: 2, producer: 1, consumer: 2 },
    ],
    [
      'two workers add up',
      [
        { worker: worker(1, 3), routers: [router(1, {})], webRtcServers: [{ webRtcTransportIds: ['x'] }] },
        { worker: worker(1, 5), routers: [router(2, { p: [] })], webRtcServers: [{ webRtcTransportIds: ['y', 'z'] }] },
      ],
      { router: 2, transport: 3, webrtc_transport: 3, producer: 1, consumer: 0, request_handler: 8 },
    ],
  ])('%s', (_name, dumps, expected) => {
    expect(countMediasoupObjects(dumps)).toMatchObject(expected);
  });

  it('refuses a dump without the fields it counts (another mediasoup version), naming the field', () => {
    expect(() => workerDumpSchema.parse({ routerIds: [] })).toThrow(/channelMessageHandlers/);
    expect(() => routerDumpSchema.parse({ transportIds: 'x' })).toThrow(/transportIds/);
  });
});

describe('activeResourcesByType', () => {
  it.each([
    [[], {}],
    [['Timeout', 'TCPSocketWrap', 'Timeout'], { Timeout: 2, TCPSocketWrap: 1 }],
  ])('%j -> %j', (resources, expected) => {
    expect(activeResourcesByType(resources)).toEqual(expected);
  });

  it('reads this process by default, and counts a timer while it is set', () => {
    const before = activeResourcesByType().Timeout ?? 0;
    const timer = setTimeout(() => undefined, 60_000);
    expect(activeResourcesByType().Timeout).toBe(before + 1);
    clearTimeout(timer);
  });
});

/**
 * A real VP8 video producer without a browser: a comedia PlainTransport on the router, fed RTP by
 * an `ffmpeg -re -f lavfi ... -c:v libvpx -f rtp` child on loopback (or a looped video file, see
 * `input`). Note that ffmpeg does not answer keyframe requests (PLI/FIR): keyframes come every
 * `gop` frames, whatever is asked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { types } from 'mediasoup';

/** What the picture shows: `red-blue` is a red left half and a blue right half. */
export type TestPattern = 'red' | 'red-blue';

export interface RtpSourceOptions {
  readonly pattern?: TestPattern;
  /**
   * A video file to send instead of the pattern (e.g. a .y4m clip of a photo from `imageToY4m()`),
   * looped forever at its own rate. Its own size and frame rate are used: `pattern`, `width`,
   * `height` and `fps` are then ignored.
   */
  readonly input?: string;
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
  /** Frames between keyframes; default 15 (one per second at 15 fps). */
  readonly gop?: number;
  /** When false, the producer exists but nothing is ever sent to it. Default true. */
  readonly send?: boolean;
}

export interface RtpSource {
  readonly producer: types.Producer;
  readonly transport: types.PlainTransport;
  /** The ffmpeg sender, when sending. */
  readonly sender: ChildProcess | undefined;
  /** Kills ffmpeg, closes the transport (and so the producer), waits for ffmpeg to exit. */
  close(): Promise<void>;
}

const VP8_PAYLOAD_TYPE = 101;

export async function startRtpSource(router: types.Router, options: RtpSourceOptions = {}): Promise<RtpSource> {
  const { pattern = 'red', input, width = 640, height = 480, fps = 15, gop = 15, send = true } = options;
  const transport = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: false, comedia: true });
  const ssrc = 10_000 + Math.floor(Math.random() * 1_000_000);
  const producer = await transport.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [
        {
          mimeType: 'video/VP8',
          payloadType: VP8_PAYLOAD_TYPE,
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
        },
      ],
      encodings: [{ ssrc }],
    },
  });
  let sender: ChildProcess | undefined;
  if (send) {
    // ffmpeg sends RTP and RTCP from two sockets, so RTCP is not muxed: comedia learns each one.
    const port = transport.tuple.localPort;
    const rtcpPort = transport.rtcpTuple?.localPort ?? port;
    const half = Math.floor(width / 2);
    const source =
      pattern === 'red'
        ? `color=c=red:size=${width}x${height}:rate=${fps}`
        : `color=c=red:size=${width}x${height}:rate=${fps},drawbox=x=${half}:y=0:w=${width - half}:h=${height}:color=blue:t=fill`;
    const inputArgs = input === undefined ? ['-f', 'lavfi', '-i', source] : ['-stream_loop', '-1', '-i', input];
    sender = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-nostdin',
        '-re',
        ...inputArgs,
        '-c:v',
        'libvpx',
        '-deadline',
        'realtime',
        '-cpu-used',
        '8',
        '-b:v',
        '400k',
        '-g',
        String(gop),
        '-keyint_min',
        String(gop),
        '-auto-alt-ref',
        '0',
        '-lag-in-frames',
        '0',
        '-pix_fmt',
        'yuv420p',
        '-f',
        'rtp',
        '-payload_type',
        String(VP8_PAYLOAD_TYPE),
        '-ssrc',
        String(ssrc),
        `rtp://127.0.0.1:${port}?rtcpport=${rtcpPort}&pkt_size=1200`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    await once(sender, 'spawn');
  }
  const exited = sender ? once(sender, 'exit') : Promise.resolve();
  return {
    producer,
    transport,
    sender,
    async close() {
      sender?.kill('SIGKILL');
      transport.close();
      await exited;
    },
  };
}

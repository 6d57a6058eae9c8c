/**
 * Turns a still image into a short .y4m clip for Chromium's
 * `--use-file-for-fake-video-capture`, which plays it in a loop as the camera. Uses Debian's
 * `ffmpeg` on PATH.
 */
import { execFile } from 'node:child_process';

export interface Y4mOptions {
  /** Input image (anything ffmpeg reads: png, jpg, ...). */
  readonly image: string;
  /** Output .y4m path. */
  readonly output: string;
  /** Frame size; the image is scaled to it. Default 640x480. */
  readonly width?: number;
  readonly height?: number;
  /** Clip length and rate: Chromium loops it, so short is fine. Default 2 s at 10 fps. */
  readonly seconds?: number;
  readonly fps?: number;
}

/** Writes `output` (overwriting it) and resolves with its path. */
export async function imageToY4m(options: Y4mOptions): Promise<string> {
  const { image, output, width = 640, height = 480, seconds = 2, fps = 10 } = options;
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-y',
    '-loop',
    '1',
    '-i',
    image,
    '-t',
    String(seconds),
    '-r',
    String(fps),
    '-vf',
    `scale=${width}:${height}`,
    '-pix_fmt',
    'yuv420p',
    '-f',
    'yuv4mpegpipe',
    output,
  ];
  await new Promise<void>((resolve, reject) => {
    execFile('ffmpeg', args, (error, _stdout, stderr) => {
      if (!error) {
        resolve();
        return;
      }
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      const reason = missing ? '`ffmpeg` not found on PATH: apt-get install ffmpeg' : stderr.trim() || error.message;
      reject(new Error(`imageToY4m() | ${image} -> ${output} failed: ${reason}`, { cause: error }));
    });
  });
  return output;
}

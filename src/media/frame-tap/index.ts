/** The frame tap: decoded low-resolution images of live video producers, in memory, on demand. */
export { FrameTap, type FrameSample, type FrameTapEvents, type FrameTapOptions } from './frame-tap.js';
export { DecoderPool, type DecoderPoolOptions } from './decoder-pool.js';
export { FrameTapError, type FrameTapErrorCode } from './errors.js';
export { resolveFfmpeg, type FfmpegSource, type ResolvedFfmpeg, type ResolveFfmpegOptions } from './ffmpeg-path.js';
export type { RgbImage } from './ppm-reader.js';

/** The IVF container (the one libvpx's tools write), enough to stream VP8 frames into ffmpeg. */

/** The 32-byte IVF file header for a VP8 stream; width/height are hints, frames carry their own. */
export function ivfFileHeader(width: number, height: number): Uint8Array {
  const header = new Uint8Array(32);
  const view = new DataView(header.buffer);
  header.set([0x44, 0x4b, 0x49, 0x46], 0); // "DKIF"
  view.setUint16(4, 0, true); // version
  view.setUint16(6, 32, true); // header length
  header.set([0x56, 0x50, 0x38, 0x30], 8); // "VP80"
  view.setUint16(12, width, true);
  view.setUint16(14, height, true);
  view.setUint32(16, 1000, true); // time base denominator: milliseconds
  view.setUint32(20, 1, true); // time base numerator
  view.setUint32(24, 0, true); // frame count: unknown (a stream)
  return header;
}

/** One IVF frame: a 12-byte header (size, 64-bit pts) followed by the VP8 frame. */
export function ivfFrame(frame: Uint8Array, pts: number): Uint8Array {
  const out = new Uint8Array(12 + frame.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, frame.length, true);
  view.setBigUint64(4, BigInt(pts), true);
  out.set(frame, 12);
  return out;
}

/**
 * A short talker for Chromium's `--use-file-for-fake-audio-capture`, which plays a .wav in a loop
 * as the microphone: a 440 Hz tone for `talkSeconds`, then digital silence for `silentSeconds`
 * (16-bit mono PCM at 48 kHz).
 */
import { writeFile } from 'node:fs/promises';

const RATE = 48_000;

export interface TalkWavOptions {
  readonly output: string;
  readonly talkSeconds: number;
  readonly silentSeconds: number;
}

/** Writes `output` (overwriting it) and resolves with its path. */
export async function writeTalkWav({ output, talkSeconds, silentSeconds }: TalkWavOptions): Promise<string> {
  const talking = Math.round(talkSeconds * RATE);
  const samples = talking + Math.round(silentSeconds * RATE);
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8, 'ascii');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(RATE, 24);
  wav.writeUInt32LE(RATE * 2, 28); // bytes per second
  wav.writeUInt16LE(2, 32); // bytes per frame
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < talking; i++) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / RATE)), 44 + i * 2);
  await writeFile(output, wav);
  return output;
}

/**
 * The microphone the DTX tests give Chromium: 1 s of the tone, then 2 s of silence, in a loop.
 * Writes it to `output` and resolves with the flags that make Chromium play it.
 */
export async function talkingMicrophone(output: string): Promise<string[]> {
  const wav = await writeTalkWav({ output, talkSeconds: 1, silentSeconds: 2 });
  return [`--use-file-for-fake-audio-capture=${wav}`];
}

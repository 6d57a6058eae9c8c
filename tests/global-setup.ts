import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { projectRoot } from '../src/config/paths.js';

/** Converted ONNX model files the default model cache lacks (the onnx runtime is the default). */
async function missingConvertedModels(): Promise<string[]> {
  const { convertedFileName, defaultOnnxModelDir } = await import('../src/safety/onnx/convert.js');
  const { readHumanModel, readNudityModel } = await import('../src/safety/models/source-models.js');
  const sources = [await readNudityModel(), await readHumanModel('blazeface'), await readHumanModel('faceres')];
  const dir = process.env.VEIL_ONNX_MODEL_DIR || defaultOnnxModelDir();
  return sources.map((source) => join(dir, convertedFileName(source))).filter((file) => !existsSync(file));
}

/**
 * Checks, before any test runs, that what the tests need is installed; a missing piece fails the
 * run with the way to install it rather than letting tests skip or time out.
 */
export default async function checkPrerequisites(): Promise<void> {
  const problems: string[] = [];
  const onPath = (bin: string): boolean => {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  for (const [bin, pkg] of [
    ['redis-server', 'redis-server'],
    ['chromium', 'chromium'],
    ['firefox-esr', 'firefox-esr'],
    ['ip', 'iproute2'],
    ['nft', 'nftables'],
    ['ffmpeg', 'ffmpeg'],
  ]) {
    if (!onPath(bin as string)) problems.push(`${bin} is missing: apt-get install ${pkg} (or npm run setup)`);
  }
  const worker = process.env.MEDIASOUP_WORKER_BIN ?? join(projectRoot, 'node_modules/mediasoup/worker/out/Release/mediasoup-worker');
  if (!existsSync(worker)) problems.push(`the mediasoup worker binary is missing (${worker}): bash config/setup/mediasoup-worker.sh (or npm run setup)`);
  for (const [pkg, what] of [
    ['s3rver', 'the S3 server the evidence tests run'],
    ['puppeteer-core', 'what drives Firefox in the end-to-end tests'],
    ['@roamhq/wrtc', "the WebRTC of the load generator's bots"],
  ]) {
    try {
      createRequire(join(projectRoot, 'package.json')).resolve(pkg as string);
    } catch {
      problems.push(`${pkg} (${what}) is missing: npm install (it is a devDependency)`);
    }
  }
  if (!existsSync(join(projectRoot, 'dist/client/index.html'))) problems.push('the browser client is not built: npm run build (or npm run setup)');
  try {
    // In a child: argon2's bundled prebuild crashes on load on this platform (config/setup/setup.sh).
    execFileSync(process.execPath, ['-e', "require('argon2')"], { cwd: projectRoot, stdio: 'ignore' });
  } catch {
    problems.push('the argon2 module does not load (its prebuilt binary crashes here): npm rebuild argon2 (or npm run setup)');
  }
  const missingModels = await missingConvertedModels();
  if (missingModels.length > 0)
    problems.push(`the ONNX moderation models are not converted (${missingModels.join(', ')}): npm run convert-models (or npm run setup)`);
  if (process.getuid?.() !== 0) problems.push('the end-to-end tests create network namespaces and need root: run the tests as root');
  if (problems.length > 0) throw new Error(`test prerequisites missing:\n  - ${problems.join('\n  - ')}`);
}

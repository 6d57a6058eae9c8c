// Builds the browser client: bundles client/src/main.ts (mediasoup-client, zod and the shared
// protocol module included) into dist/client/app.js, the stylesheet parts into style.css, and
// copies the static pages and assets next to it. Run with `npm run build:client`.
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const clientDir = join(root, 'client');
const outDir = join(root, 'dist/client');
/** Static files copied as they are, by extension (sources, tsconfig and folders are not). */
const STATIC_EXTENSIONS = new Set(['.html', '.css', '.svg', '.png', '.ico', '.webmanifest', '.txt', '.woff2']);

async function main() {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  const result = await build({
    entryPoints: [join(clientDir, 'src/main.ts')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
    metafile: true,
  });

  const styles = await build({
    entryPoints: [join(clientDir, 'style.css')],
    outfile: join(outDir, 'style.css'),
    bundle: true,
    minify: true,
    logLevel: 'warning',
    metafile: true,
  });

  const copied = [];
  for (const name of await readdir(clientDir)) {
    const source = join(clientDir, name);
    if (name === 'style.css' || !STATIC_EXTENSIONS.has(extname(name)) || !(await stat(source)).isFile()) continue;
    await copyFile(source, join(outDir, name));
    copied.push(name);
  }

  const outputs = [...Object.values(result.metafile.outputs), ...Object.values(styles.metafile.outputs)];
  const bytes = outputs.reduce((sum, output) => sum + output.bytes, 0);
  console.log(`build-client: ${relative(root, outDir)}/app.js, style.css and ${copied.length} static files (${Math.round(bytes / 1024)} KiB with maps)`);
}

main().catch((error) => {
  console.error('build-client: failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});

// Builds the browser client: bundles client/src/main.ts (mediasoup-client, zod and the shared
// protocol module included) into dist/client/app.js, the stylesheet parts into style.css, the
// moderator console (client/src/console/main.ts, client/console.css) into console.js and
// console.css, and copies the static pages (console.html among them) and assets next to them.
// Run with `npm run build:client`.
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const clientDir = join(root, 'client');
const outDir = join(root, 'dist/client');
/** Static files copied as they are, by extension (sources, tsconfig and folders are not). */
const STATIC_EXTENSIONS = new Set(['.html', '.css', '.svg', '.png', '.ico', '.webmanifest', '.txt', '.woff2']);
/** Scripts: entry point (under client/) -> bundle (under dist/client/). */
const SCRIPTS = [
  ['src/main.ts', 'app.js'],
  ['src/console/main.ts', 'console.js'],
  ['src/my-data/main.ts', 'my-data.js'],
];
/** Stylesheets bundled from their @import parts; built, not copied. */
const STYLESHEETS = ['style.css', 'console.css'];

async function main() {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  // One build per bundle (not one build with several entry points), so that each output is
  // exactly what a build of that entry alone gives.
  const scripts = await Promise.all(
    SCRIPTS.map(([entry, output]) =>
      build({
        entryPoints: [join(clientDir, entry)],
        outfile: join(outDir, output),
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
      }),
    ),
  );

  const styles = await Promise.all(
    STYLESHEETS.map((name) =>
      build({
        entryPoints: [join(clientDir, name)],
        outfile: join(outDir, name),
        bundle: true,
        minify: true,
        logLevel: 'warning',
        metafile: true,
      }),
    ),
  );

  const copied = [];
  for (const name of await readdir(clientDir)) {
    const source = join(clientDir, name);
    if (STYLESHEETS.includes(name) || !STATIC_EXTENSIONS.has(extname(name)) || !(await stat(source)).isFile()) continue;
    await copyFile(source, join(outDir, name));
    copied.push(name);
  }

  const outputs = [...scripts, ...styles].flatMap((result) => Object.values(result.metafile.outputs));
  const bytes = outputs.reduce((sum, output) => sum + output.bytes, 0);
  const bundles = [...SCRIPTS.map(([, output]) => output), ...STYLESHEETS].join(', ');
  console.log(`build-client: ${relative(root, outDir)}/{${bundles}} and ${copied.length} static files (${Math.round(bytes / 1024)} KiB with maps)`);
}

main().catch((error) => {
  console.error('build-client: failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});

// Builds the console into dist/: index.html and assets/{app.js,app.css,favicon.svg}.
// `node build.mjs` (npm run build) once, minified; `--watch` rebuilds on change (not minified).
import * as esbuild from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const watch = process.argv.includes('--watch');

await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, 'assets'), { recursive: true });
await copyFile(join(root, 'src/index.html'), join(dist, 'index.html'));
await copyFile(join(root, 'src/favicon.svg'), join(dist, 'assets/favicon.svg'));

const options = {
  entryPoints: [join(root, 'src/app.js'), join(root, 'src/app.css')],
  outdir: join(dist, 'assets'),
  entryNames: '[name]',
  bundle: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: !watch,
  sourcemap: false,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'info',
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}

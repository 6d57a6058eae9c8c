// Says in one line which optional npm packages are installed and what is used instead of a
// missing one. Their install scripts download prebuilt binaries, so offline npm leaves them out.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const OPTIONAL = [
  { name: '@tensorflow/tfjs-node', instead: 'models run on onnxruntime-node (tfjs wasm as the fallback)' },
  { name: 'ffmpeg-static', instead: "frames decode with Debian's ffmpeg" },
];

const installed = (name) => {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
};

const parts = OPTIONAL.map(({ name, instead }) =>
  installed(name) ? `${name} installed` : `${name} absent (its installer could not download its binary): ${instead}`,
);
console.log(`optional packages: ${parts.join('; ')}`);

// Rewrites mediasoup 3.12.x's worker/meson.build files so that the worker builds against Debian's
// system libraries instead of meson subprojects (which are downloaded at configure time and so
// fail offline). libsrtp2 stays mediasoup's own subproject, built against OpenSSL as mediasoup
// configures it: Debian's libsrtp2 uses NSS, which cost ~30 % of the worker's CPU per packet
// (docs/mediasoup-worker.md); mediasoup-worker.sh puts its source archive (Debian's orig
// tarball, the same bytes as the wrap's) in subprojects/packagecache. Only the mediasoup-worker executable is kept: tests, fuzzer and the shared-library
// target need catch2 and link_whole'd subproject archives that the system does not provide.
// Usage: node patch-meson.mjs <path to mediasoup's worker/ folder>
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const workerDir = process.argv[2];
if (!workerDir) {
  process.stderr.write('usage: patch-meson.mjs <mediasoup worker dir>\n');
  process.exit(2);
}

function cut(text, startMarker, endMarker, file) {
  const start = text.indexOf(startMarker);
  const end = endMarker === null ? text.length : text.indexOf(endMarker, start);
  if (start < 0 || end < 0) {
    throw new Error(`${file}: expected "${startMarker}" ... "${endMarker}"; is this mediasoup 3.12.x?`);
  }
  return { before: text.slice(0, start), after: text.slice(end) };
}

const systemDeps = `
openssl_dep = dependency('openssl')
nlohmann_json_dep = dependency('nlohmann_json')
libuv_dep = dependency('libuv')
libsrtp2_proj = subproject(
  'libsrtp2',
  default_options: [
    'warning_level=0',
    'crypto-library=openssl',
    'crypto-library-kdf=disabled',
    'tests=disabled',
  ],
)
libsrtp2_dep = libsrtp2_proj.get_variable('libsrtp2_dep')
usrsctp_dep = cpp.find_library('usrsctp')
absl_deps = [
  dependency('absl_flat_hash_map'),
  dependency('absl_flat_hash_set'),
  dependency('absl_inlined_vector'),
  dependency('absl_strings'),
  dependency('absl_optional'),
  dependency('absl_variant'),
]
`;

const mainFile = join(workerDir, 'meson.build');
let main = readFileSync(mainFile, 'utf8');
main = main.replace(/meson_version: '>= 1\.\d+\.\d+'/, "meson_version: '>= 1.0.0'");
{
  const { before, after } = cut(main, 'openssl_proj = subproject(', 'libwebrtc_include_directories', mainFile);
  main = before + systemDeps + after;
}
{
  const { before, after } = cut(main, 'dependencies = [', 'executable(\n', mainFile);
  main =
    before +
    `dependencies = absl_deps + [
  openssl_dep,
  nlohmann_json_dep,
  libuv_dep,
  libsrtp2_dep,
  usrsctp_dep,
  libwebrtc_dep,
]

` +
    after;
}
{
  const { before } = cut(main, 'test_sources = [', null, mainFile);
  main = before;
}
writeFileSync(mainFile, main);

const webrtcFile = join(workerDir, 'deps', 'libwebrtc', 'meson.build');
let webrtc = readFileSync(webrtcFile, 'utf8');
{
  const { before, after } = cut(webrtc, 'abseil_cpp_proj = subproject(', 'local_include_directories', webrtcFile);
  webrtc = before + after;
}
webrtc = webrtc
  .replaceAll("openssl_proj.get_variable('openssl_dep')", 'openssl_dep')
  .replaceAll("nlohmann_json_proj.get_variable('nlohmann_json_dep')", 'nlohmann_json_dep')
  .replaceAll("libuv_proj.get_variable('libuv_dep')", 'libuv_dep')
  .replaceAll("abseil_cpp_proj.get_variable('absl_strings_dep'),", '')
  .replaceAll("abseil_cpp_proj.get_variable('absl_types_dep'),", 'absl_deps,');
if (webrtc.includes('_proj.')) {
  throw new Error(`${webrtcFile}: a subproject reference is left; is this mediasoup 3.12.x?`);
}
writeFileSync(webrtcFile, webrtc);

// Builds AWS's runtime client for the sandbox's runtime on this Node (3.x for nodejs20.x and
// nodejs22.x, 4.x for nodejs24.x) into the cache, unless one is already there: what the sandbox
// would do on first use, done once before the tests (a native build of minutes, which no single
// test's time limit should pay). Exit 0 either way: without it the sandbox uses its built-in client.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const lib = createRequire(import.meta.url)(join(root, 'dist', 'lib.cjs'));
const runtime = `nodejs${process.versions.node.split('.')[0]}.x`;
if (!lib.findAwsClient(runtime, root)) {
  process.stderr.write(`install-clients: building ${lib.awsClientInstallSpec(runtime)} for ${runtime}…\n`);
  if (!lib.installAwsClient(runtime))
    process.stderr.write(
      `install-clients: it did not build; the sandbox will use its built-in client for ${runtime}\n`,
    );
}

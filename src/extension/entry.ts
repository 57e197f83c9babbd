/**
 * The extension's entry point (`warden/extension.cjs`, run by `extensions/warden`): registers
 * with the Extensions API before anything else is loaded, then loads the extension proper
 * (`warden/extension-main.cjs`, main.ts). Lambda starts the runtime only once every extension
 * has registered, so each millisecond before the registration is added to every cold start:
 * parsing the extension's code (policy, detection, watcher, telemetry) first cost ~20 ms of
 * init here; loaded after, it runs while the runtime initialises.
 */
import * as path from 'node:path';
import { ExtensionsClient } from './lambda-api';
import type { ExtensionBoot } from './main';
import { stderr } from './stderr';

const started = Date.now();

/** WARDEN_DISABLE's values that turn Warden off (the wrapper reads the same). */
function disabled(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

function fatal(text: string): never {
  stderr(text, 'error');
  process.exit(1);
}

async function boot(): Promise<void> {
  const loadedMs = Math.round(performance.now() * 10) / 10;
  const runtimeApi = process.env.AWS_LAMBDA_RUNTIME_API;
  if (!runtimeApi) fatal('AWS_LAMBDA_RUNTIME_API is not set: not in a Lambda sandbox');
  const client = new ExtensionsClient(runtimeApi, process.env.WARDEN_EXTENSION_NAME || 'warden');
  const registration = await client.register(['SHUTDOWN']);
  if (disabled(process.env.WARDEN_DISABLE)) {
    // The kill switch: registered (Lambda expects every extension to), then nothing until SHUTDOWN.
    stderr('WARDEN_DISABLE is set: the extension watches nothing');
    for (;;) if ((await client.next()).eventType === 'SHUTDOWN') process.exit(0);
  }
  const registeredMs = Math.round(performance.now() * 10) / 10;
  const { run } = require(path.join(__dirname, 'extension-main.cjs')) as {
    run(b: ExtensionBoot): Promise<void>;
  };
  await run({ client, registration, runtimeApi, started, loadedMs, registeredMs });
}

boot().catch((e) => fatal(`fatal: ${(e as Error).stack ?? String(e)}`));

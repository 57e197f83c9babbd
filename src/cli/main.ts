/** `warden`: the command-line interface. Each command lives in its own module. */
import { Command } from 'commander';
import { registerDemo } from './demo';
import { registerExport } from './export';
import { registerInstrument } from './instrument';
import { registerInvoke } from './invoke';
import { registerLayer } from './layer';
import { registerLearn } from './learn';
import { registerPermissionFlags } from './permission-flags';
import { registerPolicy } from './policy';
import { registerRules } from './rules';
import { registerServe } from './serve';

declare const __WARDEN_VERSION__: string;

const program = new Command();
program
  .name('warden')
  .description('Runtime security sensor for AWS Lambda functions on Node.js')
  .version(typeof __WARDEN_VERSION__ === 'string' ? __WARDEN_VERSION__ : '0.0.0-dev', '-v, --version')
  // Bad usage is one line (what was wrong, and where the options are listed), never the whole help.
  .configureOutput({
    outputError: (str, write) =>
      write(
        `warden: ${str
          .trim()
          .replace(/^error: /, '')
          .replace(/\s*\n\s*/g, ' ')} (--help lists the options)\n`,
      ),
  })
  .exitOverride((err) => {
    // commander's own usage errors exit 2, as every bad-usage path of warden does
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

registerPolicy(program);
registerRules(program);
registerPermissionFlags(program);
registerInvoke(program);
registerLearn(program);
registerLayer(program);
registerInstrument(program);
registerDemo(program);
registerServe(program);
registerExport(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`warden: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

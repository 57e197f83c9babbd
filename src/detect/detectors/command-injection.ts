/**
 * Command injection: a string of the invocation's event appears in a shell command and changes
 * its structure (operators, redirections, command substitutions), i.e. the shell runs something
 * the code did not write. Input that stays a word (quoted, or plain text) is not injection, so
 * shell metacharacters inside properly quoted input do not fire. For a program run without a
 * shell, input that becomes a whole option argument (`--upload-pack=…`) is argument injection.
 */
import type { SensorEvent } from '../../events/types';
import { shellShape } from '../../shell/parse';
import type { DetectContext } from '../context';
import { type Detector, type DetectorHit, evidence } from './types';

/**
 * Options that make a program run a command or write where it is told (git, tar, ssh, rsync,
 * curl, zip, find …): injected from any trigger, these are argument injection.
 */
const DANGEROUS_OPTION =
  /^(--upload-pack|--receive-pack|-u|--exec|-exec|-execdir|--to-command|--checkpoint-action|--use-compress-program|-I|-o|-oProxyCommand|--rsh|-e|--config|-K|--output|-O|--upload-file|-T|--post-file|--unzip-command|-TT|--eval|-c|--import|--require|-r)(=|$)/;

/** The script with every occurrence of `value` replaced by a plain word of the same length. */
function neutralize(script: string, value: string): string {
  return script.split(value).join('x'.repeat(Math.min(value.length, 8)));
}

export const commandInjection: Detector = (ev: SensorEvent, ctx: DetectContext): DetectorHit | null => {
  if (ev.surface !== 'process' || ev.op !== 'spawn') return null;
  const inputs = ctx.inputs?.();
  if (!inputs || inputs.values.length === 0) return null;
  const script = ev.shellScript;
  if (script !== undefined) {
    let shape: string | undefined;
    for (const t of inputs.values) {
      // Input needs a letter or digit to do anything; pure punctuation matches by chance.
      if (!/[A-Za-z0-9]/.test(t.value) || !script.includes(t.value)) continue;
      // A script that is the input and nothing else has no structure of the code's to change.
      if (t.value.trim() === script.trim()) continue;
      shape ??= shellShape(script);
      const before = shellShape(neutralize(script, t.value));
      if (before !== shape)
        return {
          reason: `input from ${t.source} changes the shell command's structure (${before} → ${shape})`,
          input: evidence(inputs.trigger, t.source, t.value, 'changed the structure of a shell command'),
        };
    }
    return null;
  }
  // Argument injection: input that became a whole option. From a direct invoke (the caller is
  // usually another part of the same system) only the options that run commands count.
  const direct = inputs.trigger === 'direct';
  for (const arg of ev.argv.slice(1)) {
    if (!/^--?[A-Za-z]/.test(arg)) continue;
    if (direct && !DANGEROUS_OPTION.test(arg)) continue;
    for (const t of inputs.values) {
      if (t.value === arg || (arg.startsWith(t.value) && t.value.length >= 4 && t.value.startsWith('-')))
        return {
          reason: `input from ${t.source} became the option ${JSON.stringify(arg)} of ${ev.exe}`,
          input: evidence(inputs.trigger, t.source, t.value, 'became an option of a command'),
        };
    }
  }
  return null;
};

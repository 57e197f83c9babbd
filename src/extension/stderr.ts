import { writeSync } from 'node:fs';
import { type LogLevel, logs } from '../log-level';

const setting = process.env.WARDEN_LOG_LEVEL;

/**
 * A line of the extension's own on stderr (the function's log in CloudWatch), never throwing,
 * when WARDEN_LOG_LEVEL lets lines of its level through (`warn` unless said otherwise).
 */
export function stderr(text: string, level: LogLevel = 'warn'): void {
  if (!logs(setting, level)) return;
  try {
    writeSync(2, `warden-extension: ${text}\n`);
  } catch {
    // nowhere to say it
  }
}

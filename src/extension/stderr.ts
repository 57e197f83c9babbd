import { writeSync } from 'node:fs';

/** A line of the extension's own on stderr (the function's log in CloudWatch), never throwing. */
export function stderr(text: string): void {
  try {
    writeSync(2, `warden-extension: ${text}\n`);
  } catch {
    // nowhere to say it
  }
}

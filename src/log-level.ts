/**
 * WARDEN_LOG_LEVEL: how much Warden writes on stderr besides its findings (which always go to
 * stdout, whatever the level). Read once per process, without the settings module where a
 * process has not loaded it (the extension's entry, the handler swap); the settings module
 * validates the value and reports one it does not understand.
 */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The level a setting names (trimmed, any case); `info` when unset or not understood. */
export function logLevelOf(value: string | undefined): LogLevel {
  const v = value?.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(v ?? '') ? (v as LogLevel) : 'info';
}

/** Whether a line of `level` is written under `setting`. */
export function logs(setting: string | undefined, level: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(logLevelOf(setting));
}

/**
 * Whether the CLI colours what it writes to a stream: the conventions terminals and CI share.
 * On a terminal, Node's own reading of the environment (`hasColors`: NO_COLOR, FORCE_COLOR,
 * NODE_DISABLE_COLORS, TERM=dumb); elsewhere (a pipe, a file) only when FORCE_COLOR asks for it.
 */
export function useColor(
  stream: { isTTY?: boolean; hasColors?: () => boolean },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (stream.isTTY && typeof stream.hasColors === 'function') return stream.hasColors();
  const force = env.FORCE_COLOR;
  return (
    force !== undefined && force !== '0' && force.toLowerCase() !== 'false' && env.NO_COLOR === undefined
  );
}

// When the CLI colours its output: Node's reading of the terminal's environment on a TTY
// (NO_COLOR, FORCE_COLOR, TERM), FORCE_COLOR alone elsewhere.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import * as tty from 'node:tty';

const { useColor } = createRequire(import.meta.url)('../../dist/lib.cjs');

/** A terminal stream whose colour support Node computes from `env`, as a real one would. */
function terminal(env) {
  const proto = tty.WriteStream.prototype;
  return {
    isTTY: true,
    hasColors: () => proto.hasColors.call({ getColorDepth: proto.getColorDepth }, 16, env),
  };
}

test('a terminal: colour unless NO_COLOR or TERM=dumb says no; FORCE_COLOR=0 too', () => {
  assert.equal(useColor(terminal({ TERM: 'xterm-256color' })), true);
  assert.equal(useColor(terminal({ TERM: 'xterm-256color', NO_COLOR: '1' })), false);
  assert.equal(useColor(terminal({ TERM: 'dumb' })), false);
  assert.equal(useColor(terminal({ TERM: 'xterm-256color', FORCE_COLOR: '0' })), false);
});

test('a pipe or a file: no colour unless FORCE_COLOR asks (and NO_COLOR does not forbid)', () => {
  const pipe = { isTTY: false };
  assert.equal(useColor(pipe, {}), false);
  assert.equal(useColor(pipe, { FORCE_COLOR: '1' }), true);
  assert.equal(useColor(pipe, { FORCE_COLOR: '' }), true);
  assert.equal(useColor(pipe, { FORCE_COLOR: '0' }), false);
  assert.equal(useColor(pipe, { FORCE_COLOR: 'false' }), false);
  assert.equal(useColor(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' }), false);
});

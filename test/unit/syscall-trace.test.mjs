// The learning sandbox's syscall trace: strace's lines into a process tree, and the tree into
// observations as the extension would see each process (the kernel's executable, a `#!` line
// followed, threads apart from processes, the runtime's own calls left to the sensor).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const require = createRequire(import.meta.url);
const lib = require('../../dist/lib.cjs');

test('parseTraceLine: strings with parentheses, quotes and escapes; unfinished calls have no result', () => {
  const l = lib.parseTraceLine(
    '1796310671.478901 execve("/bin/sh", ["/bin/sh", "-c", "echo \\"a) = 1\\" \\303\\251"], 0x1 /* 39 vars */) = 0',
  );
  assert.equal(l.call, 'execve');
  assert.equal(l.result, '0');
  assert.equal(l.at, 1796310671479);
  const u = lib.parseTraceLine(
    '1796310671.5 connect(5, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("10.0.0.1")}, 16 <unfinished ...>',
  );
  assert.equal(u.result, undefined);
  assert.equal(lib.parseTraceLine('+++ exited with 0 +++'), undefined);
});

test('inetAddress: IPv4, IPv6, mapped IPv4; an address spelled inside sent data is not one', () => {
  assert.deepEqual(
    lib.inetAddress('{sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("127.0.0.1")}, 16'),
    {
      ip: '127.0.0.1',
      port: 1,
    },
  );
  assert.deepEqual(
    lib.inetAddress(
      '{sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::ffff:127.0.0.9", &sin6_addr), sin6_scope_id=0}, 28',
    ),
    { ip: '127.0.0.9', port: 443 },
  );
  assert.equal(
    lib.inetAddress(
      '"{sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr(\\"6.6.6.6\\")}", 40, 0, NULL, 0',
    ),
    undefined,
  );
});

const trace = (files) => lib.parseTrace(files.map(([tid, lines]) => ({ tid, text: lines.join('\n') })));

// The runtime (100) under the exec wrapper: a thread (101) does DNS for it; it spawns sh (102),
// which vforks curl (103); curl's resolver thread (104) queries DNS; curl connects.
const FILES = [
  [
    100,
    [
      '1000.000000 execve("/opt/warden/wrapper", ["/opt/warden/wrapper", "/usr/bin/node"], 0x1 /* 3 vars */) = 0',
      '1000.001000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1) = 99',
      '1000.002000 execve("/usr/bin/node", ["/usr/bin/node", "index.mjs"], 0x1 /* 3 vars */) = 0',
      '1000.003000 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0}, 88) = 101',
      '1001.000000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1) = 102',
      '1001.100000 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP) = 20',
      '1001.100100 connect(20, {sa_family=AF_INET, sin_port=htons(9001), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
    ],
  ],
  [99, ['1000.001500 execve("/usr/bin/cat", ["cat", "/opt/warden/flags"], 0x1 /* 3 vars */) = 0']],
  [
    101,
    [
      '1001.050000 socket(AF_INET, SOCK_DGRAM|SOCK_NONBLOCK, IPPROTO_IP) = 21',
      '1001.050100 sendto(21, "\\1\\2", 2, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.9.9.9")}, 16) = 2',
    ],
  ],
  [
    102,
    [
      '1001.001000 execve("/bin/sh", ["/bin/sh", "-c", "curl -s http://127.0.0.1:8080/x | wc -c"], 0x1 /* 3 vars */) = 0',
      '1001.002000 vfork() = 103',
    ],
  ],
  [
    103,
    [
      '1001.003000 execve("/usr/local/bin/curl", ["curl", "-s", "http://127.0.0.1:8080/x"], 0x1 /* 3 vars */) = -1 ENOENT (No such file or directory)',
      '1001.003100 execve("/usr/bin/curl", ["curl", "-s", "http://127.0.0.1:8080/x"], 0x1 /* 3 vars */) = 0',
      '1001.004000 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0}, 88) = 104',
      '1001.006000 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 5',
      '1001.006100 connect(5, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)',
    ],
  ],
  [
    104,
    [
      '1001.005000 socket(AF_INET6, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 6',
      '1001.005100 connect(6, {sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
    ],
  ],
];

test('parseTrace: threads belong to their process, forks are processes with parents, failed execs are not images', () => {
  const t = trace(FILES);
  assert.deepEqual(t.roots, [100]);
  assert.deepEqual([...t.processes.keys()].sort(), [100, 102, 103, 99]);
  assert.equal(t.processes.get(103).parent, 102);
  assert.deepEqual(
    t.processes.get(103).execs.map((e) => e.path),
    ['/usr/bin/curl'],
  );
  // curl's resolver thread's query is curl's; a UDP socket is UDP.
  assert.deepEqual(
    t.processes.get(103).sockets.map((s) => `${s.op} ${s.protocol} ${s.ip}:${s.port}`),
    ['connect udp ::1:53', 'connect tcp 127.0.0.1:8080'],
  );
  assert.deepEqual(
    t.processes.get(100).sockets.map((s) => `${s.op} ${s.protocol} ${s.ip}:${s.port}`),
    ['send udp 10.9.9.9:53', 'connect tcp 127.0.0.1:9001'],
  );
});

const ctx = (over = {}) => ({
  windows: [{ requestId: 'r1', start: 1000_500, end: 1002_000 }],
  cwd: '/var/task',
  pathVar: '/usr/bin:/bin',
  probe: {
    isExecutable: (f) => ['/usr/bin/curl', '/bin/sh', '/usr/bin/wc', '/var/task/bin/tool.sh'].includes(f),
    realpath: (f) => (f === '/bin/sh' ? '/usr/bin/dash' : f),
  },
  shebang: (f) => (f === '/var/task/bin/tool.sh' ? '#!/bin/sh -e' : undefined),
  resolvers: new Set(['::1']),
  ...over,
});

test("observationsFromTrace: the runtime's descendants as the extension sees them, in their invocation; the runtime's own calls and the wrapper's helpers left out", () => {
  const obs = lib.observationsFromTrace(trace(FILES), ctx());
  assert.deepEqual(
    obs.map((o) =>
      o.event.surface === 'process'
        ? `${o.requestId} spawn ${o.event.exe} [${o.event.argv.join(' ')}] parent ${o.event.parentExe?.join(',')}`
        : `${o.requestId} ${o.event.op} ${o.event.protocol} ${o.event.ip}:${o.event.port}`,
    ),
    [
      'r1 spawn /bin/sh [/bin/sh -c curl -s http://127.0.0.1:8080/x | wc -c] parent /usr/bin/node',
      'r1 spawn /usr/bin/curl [curl -s http://127.0.0.1:8080/x] parent /usr/bin/dash',
      // The resolver's query (::1:53) is a name lookup; the connection is the destination.
      'r1 connect tcp 127.0.0.1:8080',
    ],
  );
  assert.ok(obs.every((o) => o.layer === 'extension' && o.package === '<outside>' && !o.event.observed));
});

test('kernelImage: a `#!` script runs its interpreter, with the script and its arguments after', () => {
  assert.deepEqual(
    lib.kernelImage({ at: 0, path: 'bin/tool.sh', argv: ['bin/tool.sh', '--month', '5'] }, ctx()),
    {
      exe: '/usr/bin/dash',
      argv: ['/bin/sh', '-e', 'bin/tool.sh', '--month', '5'],
    },
  );
  assert.deepEqual(lib.kernelImage({ at: 0, path: '/usr/bin/curl', argv: ['curl'] }, ctx()), {
    exe: '/usr/bin/curl',
    argv: ['curl'],
  });
});

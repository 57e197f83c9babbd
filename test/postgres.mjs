// A PostgreSQL server for the console's tests: the one `.ci/run` starts (WARDEN_TEST_POSTGRES, an
// admin URL), else a private one this process starts from Debian's binaries in a temp dir (as the
// postgres user when run as root: initdb refuses root), on 127.0.0.1, stopped at exit. Each
// caller gets a database of its own. Without PostgreSQL the tests that need it are skipped, except
// under CI, where its absence is a failure.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

let admin;

function binDir() {
  for (const dir of (process.env.PATH ?? '').split(':')) if (existsSync(join(dir, 'initdb'))) return dir;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'initdb')));
}

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function startPrivate() {
  const bin = binDir();
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'warden-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const asPostgres = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  const run = (cmd, args) => {
    const [exe, ...rest] = [...asPostgres, join(bin, cmd), ...args];
    return spawnSync(exe, rest, { encoding: 'utf8', timeout: 60_000 });
  };
  const init = run('initdb', ['-D', data, '-A', 'trust', '-U', 'warden', '--no-sync']);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const started = run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-w',
    '-o',
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off`,
    'start',
  ]);
  if (started.status !== 0) throw new Error(`pg_ctl start failed: ${started.stderr}${started.stdout}`);
  // Stopped when this process ends, however it ends (the test runner may end a file's process
  // without its exit handlers): a watchdog polls for it, then stops the server and removes it.
  const stopCmd = [...asPostgres, join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop']
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
    .join(' ');
  spawn(
    'sh',
    [
      '-c',
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${stopCmd} >/dev/null 2>&1; rm -rf '${dir}'`,
    ],
    { detached: true, stdio: 'ignore' },
  ).unref();
  return `postgres://warden@127.0.0.1:${port}/postgres`;
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export async function postgresUnavailable() {
  try {
    admin ??= process.env.WARDEN_TEST_POSTGRES || (await startPrivate());
  } catch (e) {
    if (process.env.CI) throw e;
    return `PostgreSQL could not start: ${e.message}`;
  }
  if (admin) return undefined;
  if (process.env.CI)
    throw new Error('CI: no PostgreSQL (install Debian postgresql, or set WARDEN_TEST_POSTGRES)');
  return 'no PostgreSQL binaries (Debian postgresql) and WARDEN_TEST_POSTGRES unset';
}

/** A new, empty database on the test server; its URL. */
export async function freshDatabase() {
  const name = `warden_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

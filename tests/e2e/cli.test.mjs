// The `siyu` command line against a data directory that a running server holds.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  startServer,
  runCli,
  cliValue,
  login,
  loginOk,
  api,
  expectError,
  expectOk,
  randomPassword,
  uniq,
  sleep,
  CREATED,
} from './lib/server.mjs';

/** Problems with a command that should have failed: [] when it exited non-zero with a one-line reason. */
function failureProblems(r, what) {
  if (r.code === 0) return [`${what}: exit code 0; stdout: ${r.stdout.trim()}`];
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) return [`${what}: exit ${r.code}, expected a one-line reason on stderr, got ${JSON.stringify(r.stderr)}`];
  return [];
}

function assertFailure(r, what) {
  assert.deepEqual(failureProblems(r, what), []);
}

function assertSuccess(r, what) {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.stdout}`);
}

describe('siyu command line', () => {
  let srv;
  let cookie;
  const tmpDirs = [];

  function tmpDir() {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-e2e-cli-'));
    tmpDirs.push(d);
    return d;
  }

  before(async () => {
    srv = await startServer();
    cookie = await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword);
  });

  after(async () => {
    if (srv) await srv.stop();
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('siyu version prints the version of /metrics siyu_build_info', async () => {
    const r = runCli(['version']);
    assertSuccess(r, 'version');
    const m = /(\d+\.\d+\.\d+[^\s]*)/.exec(r.stdout);
    assert.ok(m, `no version in: ${r.stdout}`);
    const metrics = await api(srv.baseUrl, 'GET', '/metrics');
    const label = /^siyu_build_info\{[^}]*version="([^"]+)"/m.exec(metrics.text);
    assert.ok(label, 'siyu_build_info missing');
    assert.ok(r.stdout.includes(label[1]), `version ${r.stdout.trim()} vs build info ${label[1]}`);
  });

  test('siyu --help lists the subcommands', () => {
    const r = runCli(['--help']);
    assertSuccess(r, '--help');
    for (const sub of ['serve', 'tenant', 'user', 'apikey', 'backup', 'restore', 'version']) {
      assert.match(r.stdout, new RegExp(`\\b${sub}\\b`), `--help does not mention ${sub}`);
    }
  });

  test('every subcommand answers --help with exit code 0', () => {
    const cases = [
      [['serve'], ['--data-dir', '--host', '--port', '--log-level', '--body-limit']],
      [['tenant'], ['add', 'list']],
      [['tenant', 'add'], ['--name', '--time-zone', '--currency']],
      [['tenant', 'list'], []],
      [['user'], ['add', 'list', 'passwd']],
      [['user', 'add'], ['--tenant-id', '--email', '--name', '--role', '--password']],
      [['user', 'list'], ['--tenant-id']],
      [['user', 'passwd'], ['--password']],
      [['apikey'], ['create', 'list', 'revoke']],
      [['apikey', 'create'], ['--tenant-id', '--name', '--kind', '--role']],
      [['apikey', 'list'], ['--tenant-id']],
      [['apikey', 'revoke'], ['--tenant-id', '--id']],
      [['backup'], []],
      [['restore'], []],
      [['version'], []],
    ];
    for (const [args, mentions] of cases) {
      const r = runCli([...args, '--help']);
      assertSuccess(r, `${args.join(' ')} --help`);
      assert.ok(r.stdout.trim().length > 0, `${args.join(' ')} --help printed nothing`);
      for (const word of mentions) assert.ok(r.stdout.includes(word), `${args.join(' ')} --help does not mention ${word}`);
    }
  });

  test('bad usage exits non-zero with a one-line reason and changes nothing', () => {
    const tenantsBefore = srv.cli(['tenant', 'list']).stdout;
    const usersBefore = srv.cli(['user', 'list', '--tenant-id', '1']).stdout;
    const keysBefore = srv.cli(['apikey', 'list', '--tenant-id', '1']).stdout;
    const email = `${uniq('bad')}@example.com`;
    const userArgs = (over = {}) => {
      const o = { '--tenant-id': '1', '--email': email, '--name': 'Bad', '--role': 'operator', '--password': randomPassword(12), ...over };
      return ['user', 'add', ...Object.entries(o).flat()];
    };
    const cases = [
      [['frobnicate'], 'unknown subcommand'],
      [['tenant', 'add'], 'tenant add without --name'],
      [['tenant', 'add', '--name', 'Mars', '--time-zone', 'Mars/Olympus_Mons'], 'unknown time zone'],
      [['tenant', 'add', '--name', 'Mars', '--currency', 'DOGECOIN'], 'bad currency'],
      [['tenant', 'add', '--name', 'X', '--no-such-flag'], 'unknown flag'],
      [userArgs({ '--tenant-id': '999999' }), 'user add to an unknown tenant'],
      [userArgs({ '--role': 'emperor' }), 'user add with an unknown role'],
      [userArgs({ '--password': 'short' }), 'user add with a short password'],
      [userArgs({ '--email': 'not-an-email' }), 'user add with a bad email'],
      [['user', 'list', '--tenant-id', '999999'], 'user list of an unknown tenant'],
      [['apikey', 'create', '--tenant-id', '999999', '--name', 'x'], 'apikey create in an unknown tenant'],
      [['apikey', 'create', '--tenant-id', '1', '--name', 'x', '--role', 'owner'], 'apikey create with role owner'],
      [['apikey', 'create', '--tenant-id', '1', '--name', 'x', '--kind', 'public'], 'apikey create with a bad kind'],
      [['apikey', 'revoke', '--tenant-id', '1', '--id', '999999'], 'apikey revoke of an unknown key'],
    ];
    const problems = [];
    for (const [args, what] of cases) problems.push(...failureProblems(srv.cli(args), what));
    const empty = tmpDir();
    problems.push(...failureProblems(runCli(['restore', path.join(empty, 'missing.db')], empty), 'restore of a missing file'));
    assert.deepEqual(problems, []);
    assert.equal(srv.cli(['tenant', 'list']).stdout, tenantsBefore);
    assert.equal(srv.cli(['user', 'list', '--tenant-id', '1']).stdout, usersBefore);
    assert.equal(srv.cli(['apikey', 'list', '--tenant-id', '1']).stdout, keysBefore);
  });

  test('tenant add and list', async () => {
    const name = `CLI Brand ${uniq()}`;
    const r = srv.cli(['tenant', 'add', '--name', name, '--time-zone', 'Europe/Berlin', '--currency', 'EUR']);
    assertSuccess(r, 'tenant add');
    const id = Number(cliValue(r.stdout, 'tenant_id'));
    assert.ok(Number.isInteger(id) && id > 1, r.stdout);
    const list = srv.cli(['tenant', 'list']);
    assertSuccess(list, 'tenant list');
    const line = list.stdout.split('\n').find((l) => l.includes(name));
    assert.ok(line, `tenant list lacks ${name}:\n${list.stdout}`);
    assert.match(line, new RegExp(`\\b${id}\\b`));
    assert.ok(list.stdout.includes('My Brand'));

    const email = `${uniq('berlin')}@example.com`;
    const password = randomPassword(16);
    assertSuccess(srv.cli(['user', 'add', '--tenant-id', String(id), '--email', email, '--name', 'Berliner', '--role', 'owner', '--password', password]), 'user add');
    const c = await loginOk(srv.baseUrl, email, password);
    const t = await api(srv.baseUrl, 'GET', '/api/v1/tenant', { cookie: c });
    assert.equal(t.status, 200);
    assert.equal(t.body.id, id);
    assert.equal(t.body.name, name);
    assert.equal(t.body.time_zone, 'Europe/Berlin');
    assert.equal(t.body.currency, 'EUR');

    const d = srv.cli(['tenant', 'add', '--name', `Defaults ${uniq()}`]);
    assertSuccess(d, 'tenant add with defaults');
    const did = Number(cliValue(d.stdout, 'tenant_id'));
    const e2 = `${uniq('dflt')}@example.com`;
    assertSuccess(srv.cli(['user', 'add', '--tenant-id', String(did), '--email', e2, '--name', 'D', '--role', 'admin', '--password', password]), 'user add');
    const t2 = await api(srv.baseUrl, 'GET', '/api/v1/tenant', { cookie: await loginOk(srv.baseUrl, e2, password) });
    assert.equal(t2.body.time_zone, 'Asia/Shanghai');
    assert.equal(t2.body.currency, 'CNY');
  });

  test('user add, list and passwd', async () => {
    const email = `${uniq('cliuser')}@example.com`;
    const password = randomPassword(16);
    const r = srv.cli(['user', 'add', '--tenant-id', '1', '--email', email, '--name', 'Cli User', '--role', 'analyst', '--password', password]);
    assertSuccess(r, 'user add');
    const id = Number(cliValue(r.stdout, 'user_id'));
    assert.ok(Number.isInteger(id) && id > 0, r.stdout);

    assertFailure(
      srv.cli(['user', 'add', '--tenant-id', '1', '--email', email, '--name', 'Again', '--role', 'analyst', '--password', password]),
      'user add of an existing member',
    );

    const list = srv.cli(['user', 'list', '--tenant-id', '1']);
    assertSuccess(list, 'user list');
    const line = list.stdout.split('\n').find((l) => l.includes(email));
    assert.ok(line, `user list lacks ${email}`);
    assert.match(line, new RegExp(`\\b${id}\\b`));
    assert.ok(line.includes('analyst'), line);
    assert.ok(!list.stdout.includes(password), 'user list prints a password');

    const viaApi = await api(srv.baseUrl, 'GET', `/api/v1/users/${id}`, { cookie });
    assert.equal(viaApi.status, 200);
    assert.equal(viaApi.body.email, email);
    assert.equal(viaApi.body.role, 'analyst');
    const audit = await api(srv.baseUrl, 'GET', '/api/v1/audit-log?action=user.create&limit=200', { cookie });
    const entry = audit.body.data.find((e) => String(e.target_id) === String(id));
    assert.ok(entry, 'user add by the CLI is not audited');
    assert.equal(entry.actor_type, 'cli');

    const old = await loginOk(srv.baseUrl, email, password);
    const help = runCli(['user', 'passwd', '--help']).stdout;
    const newPassword = randomPassword(16);
    const args = ['user', 'passwd'];
    if (help.includes('--tenant-id')) args.push('--tenant-id', '1');
    if (help.includes('--email')) args.push('--email', email);
    else if (help.includes('--user-id')) args.push('--user-id', String(id));
    else args.push('--id', String(id));
    args.push('--password', newPassword);
    assertSuccess(srv.cli(args), 'user passwd');
    expectError(await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { cookie: old }), 401, 'unauthenticated');
    await loginOk(srv.baseUrl, email, newPassword);
    expectError(await login(srv.baseUrl, email, password), 401, 'unauthenticated');

    const short = args.slice(0, -1).concat('short');
    assertFailure(srv.cli(short), 'user passwd with a short password');
    await loginOk(srv.baseUrl, email, newPassword);
  });

  test('apikey create, list and revoke', async () => {
    const name = uniq('cli-key-');
    const r = srv.cli(['apikey', 'create', '--tenant-id', '1', '--name', name, '--role', 'operator']);
    assertSuccess(r, 'apikey create');
    const key = cliValue(r.stdout, 'key');
    const id = Number(cliValue(r.stdout, 'api_key_id'));
    assert.match(String(key), /^sk_/);
    assert.ok(Number.isInteger(id) && id > 0, r.stdout);

    const me = await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { token: key });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.role, 'operator');
    assert.equal(me.body.tenant.id, 1);
    expectOk(await api(srv.baseUrl, 'POST', '/api/v1/customers', { token: key, body: { name: 'made with a CLI key' } }), CREATED);

    const list = srv.cli(['apikey', 'list', '--tenant-id', '1']);
    assertSuccess(list, 'apikey list');
    const line = list.stdout.split('\n').find((l) => l.includes(name));
    assert.ok(line, `apikey list lacks ${name}`);
    assert.match(line, new RegExp(`\\b${id}\\b`));
    assert.ok(!list.stdout.includes(key), 'apikey list prints the secret');
    assert.ok(line.includes(key.slice(0, 7)), `apikey list does not show the prefix: ${line}`);

    const viaApi = await api(srv.baseUrl, 'GET', '/api/v1/api-keys', { cookie });
    const listed = viaApi.body.data.find((k) => k.id === id);
    assert.ok(listed, 'CLI key not listed by the API');
    assert.equal(listed.role, 'operator');
    assert.ok(key.startsWith(listed.prefix));

    assertSuccess(srv.cli(['apikey', 'revoke', '--tenant-id', '1', '--id', String(id)]), 'apikey revoke');
    // Another process revoked it: the server re-reads cached keys within 5 s (docs/api.md).
    let revoked;
    for (const deadline = Date.now() + 8000; Date.now() < deadline; await sleep(250)) {
      revoked = await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { token: key });
      if (revoked.status === 401) break;
    }
    expectError(revoked, 401, 'unauthenticated');

    const w = srv.cli(['apikey', 'create', '--tenant-id', '1', '--name', uniq('cli-wk-'), '--kind', 'write']);
    assertSuccess(w, 'apikey create --kind write');
    assert.match(String(cliValue(w.stdout, 'key')), /^wk_/);
    expectError(await api(srv.baseUrl, 'GET', '/api/v1/customers', { token: cliValue(w.stdout, 'key') }), 401, 'unauthenticated');

    const d = srv.cli(['apikey', 'create', '--tenant-id', '1', '--name', uniq('cli-default-')]);
    assertSuccess(d, 'apikey create with defaults');
    const dme = await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { token: cliValue(d.stdout, 'key') });
    assert.equal(dme.body.role, 'admin');

    const t2 = srv.cli(['tenant', 'add', '--name', `Key Brand ${uniq()}`]);
    const t2id = cliValue(t2.stdout, 'tenant_id');
    assertFailure(srv.cli(['apikey', 'revoke', '--tenant-id', t2id, '--id', cliValue(d.stdout, 'api_key_id')]), 'revoke in the wrong tenant');
    assert.equal((await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { token: cliValue(d.stdout, 'key') })).status, 200);
  });

  test('backup while serving, restore into a new data dir, serve it', async () => {
    const phone = '13600001111';
    const before = expectOk(
      await api(srv.baseUrl, 'POST', '/api/v1/customers', { cookie, body: { name: '备份前', phone, traits: { k: 'v' } } }),
      CREATED,
    );
    const dir = tmpDir();
    const file = path.join(dir, 'siyu-backup.db');
    assertSuccess(srv.cli(['backup', file]), 'backup');
    assert.ok(fs.existsSync(file), 'backup file missing');
    assert.ok(fs.statSync(file).size > 0, 'backup file is empty');
    const afterBackup = expectOk(await api(srv.baseUrl, 'POST', '/api/v1/customers', { cookie, body: { name: '备份后' } }), CREATED);

    assertFailure(srv.cli(['backup', path.join(dir, 'no-such-dir', 'x.db')]), 'backup into a missing directory');

    const newDir = tmpDir();
    assertSuccess(runCli(['restore', file], newDir), 'restore into a new data dir');
    const second = await startServer({ dataDir: newDir });
    try {
      const c2 = await loginOk(second.baseUrl, srv.adminEmail, srv.adminPassword);
      const read = await api(second.baseUrl, 'GET', `/api/v1/customers/${before.id}`, { cookie: c2 });
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.deepEqual(read.body, before);
      const byPhone = await api(second.baseUrl, 'GET', `/api/v1/customers/lookup?type=phone&value=${phone}`, { cookie: c2 });
      assert.equal(byPhone.body.id, before.id);
      expectError(await api(second.baseUrl, 'GET', `/api/v1/customers/${afterBackup.id}`, { cookie: c2 }), 404, 'not_found');
    } finally {
      assert.equal(await second.stop(), 0);
    }
  });

  test('restore into a data dir held by a running server fails and changes nothing', async () => {
    const c = expectOk(await api(srv.baseUrl, 'POST', '/api/v1/customers', { cookie, body: { name: 'must survive' } }), CREATED);
    const dir = tmpDir();
    const file = path.join(dir, 'b.db');
    assertSuccess(srv.cli(['backup', file]), 'backup');
    const late = expectOk(await api(srv.baseUrl, 'POST', '/api/v1/customers', { cookie, body: { name: 'after that backup' } }), CREATED);
    assertFailure(srv.cli(['restore', file]), 'restore while serving');
    assert.equal((await api(srv.baseUrl, 'GET', '/healthz')).status, 200);
    assert.equal((await api(srv.baseUrl, 'GET', '/readyz')).status, 200);
    assert.equal((await api(srv.baseUrl, 'GET', `/api/v1/customers/${c.id}`, { cookie })).status, 200);
    assert.equal((await api(srv.baseUrl, 'GET', `/api/v1/customers/${late.id}`, { cookie })).status, 200);
  });
});

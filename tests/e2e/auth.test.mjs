// Console sessions, API keys, login throttling and tenant switching.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  login,
  loginOk,
  api,
  expectError,
  expectOk,
  cliValue,
  readPermissionMatrix,
  randomPassword,
  sessionCookie,
  sleep,
  uniq,
  CREATED,
  DELETED,
  TIMESTAMP_RE,
} from './lib/server.mjs';

const { matrix } = readPermissionMatrix();
const permissionsOf = (role) => Object.keys(matrix).filter((p) => matrix[p].has(role)).sort();

function checkSessionInfo(body, { email, tenantId, role }) {
  assert.equal(typeof body, 'object');
  assert.equal(body.user?.email, email);
  assert.equal(typeof body.user.id, 'number');
  assert.equal(typeof body.user.name, 'string');
  assert.equal(body.tenant?.id, tenantId);
  assert.equal(typeof body.tenant.name, 'string');
  assert.equal(typeof body.tenant.time_zone, 'string');
  assert.equal(typeof body.tenant.currency, 'string');
  assert.equal(typeof body.tenant.demo, 'boolean');
  assert.match(body.tenant.created_at, TIMESTAMP_RE);
  assert.equal(body.role, role);
  assert.deepEqual([...body.permissions].sort(), permissionsOf(role));
  assert.ok(Array.isArray(body.store_ids));
  assert.ok(Array.isArray(body.tenants));
  const here = body.tenants.find((t) => t.id === tenantId);
  assert.ok(here, `tenants lacks the current tenant: ${JSON.stringify(body.tenants)}`);
  assert.equal(here.role, role);
  assert.equal(here.name, body.tenant.name);
  assert.equal(typeof here.demo, 'boolean');
}

describe('authentication', () => {
  let srv;
  let ownerCookie;
  let ownerId;
  let disabledUserId;

  async function createUser(role = 'operator', extra = {}) {
    const email = `${uniq('u')}@example.com`;
    const password = randomPassword(12);
    const res = await api(srv.baseUrl, 'POST', '/api/v1/users', {
      cookie: ownerCookie,
      body: { email, name: `User ${email}`, role, password, ...extra },
    });
    const user = expectOk(res, CREATED);
    return { id: user.id, email, password };
  }

  before(async () => {
    srv = await startServer();
    const r = await login(srv.baseUrl, srv.adminEmail, srv.adminPassword);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    ownerCookie = r.cookie;
    ownerId = r.body.user.id;
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  // Malformed login bodies come first: every later failed login counts towards the per-address
  // throttle that the last test exercises.
  test('login with a malformed body answers 400', async () => {
    expectError(
      await api(srv.baseUrl, 'POST', '/api/v1/auth/login', { rawBody: '{"email": "a@b.c", "password": ' }),
      400,
      'invalid_json',
    );
    expectError(
      await api(srv.baseUrl, 'POST', '/api/v1/auth/login', { body: { email: 5, password: 'whatever1' } }),
      400,
      'invalid_argument',
      'email',
    );
    expectError(
      await api(srv.baseUrl, 'POST', '/api/v1/auth/login', {
        body: { email: srv.adminEmail, password: srv.adminPassword, remember_me: true },
      }),
      400,
      'unknown_field',
      'remember_me',
    );
  });

  test('login answers session info and sets an HttpOnly SameSite=Strict cookie', async () => {
    const r = await login(srv.baseUrl, srv.adminEmail, srv.adminPassword);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    checkSessionInfo(r.body, { email: srv.adminEmail, tenantId: 1, role: 'owner' });
    assert.equal(r.body.tenant.name, 'My Brand');
    assert.equal(r.body.tenant.time_zone, 'Asia/Shanghai');
    assert.equal(r.body.tenant.currency, 'CNY');
    assert.equal(r.body.tenant.demo, false);
    assert.deepEqual(r.body.store_ids, []);
    assert.deepEqual(r.body.tenants, [{ id: 1, name: 'My Brand', role: 'owner', demo: false }]);
    assert.ok(r.cookie, 'no siyu_session cookie');
    assert.ok(r.cookie.length > 'siyu_session='.length + 16, `session token too short: ${r.cookie}`);
    const attrs = r.setCookie.split(';').map((a) => a.trim().toLowerCase());
    assert.ok(attrs.includes('httponly'), r.setCookie);
    assert.ok(attrs.includes('samesite=strict'), r.setCookie);
    assert.ok(attrs.includes('path=/'), r.setCookie);
    assert.ok(!JSON.stringify(r.body).includes(r.cookie.split('=')[1]), 'session token leaked in the body');
  });

  test('GET /auth/me answers the session info for the cookie', async () => {
    const res = await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { cookie: ownerCookie });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    checkSessionInfo(res.body, { email: srv.adminEmail, tenantId: 1, role: 'owner' });
    assert.equal(res.body.user.id, ownerId);
  });

  test('missing credentials answer 401 unauthenticated', async () => {
    for (const p of ['/api/v1/customers', '/api/v1/auth/me', '/api/v1/tenant', '/api/v1/users']) {
      expectError(await api(srv.baseUrl, 'GET', p), 401, 'unauthenticated');
    }
    expectError(
      await api(srv.baseUrl, 'POST', '/api/v1/customers', { body: { name: 'nobody' } }),
      401,
      'unauthenticated',
    );
  });

  test('bad bearer tokens and bad cookies answer 401', async () => {
    const bad = [
      { token: 'sk_' + 'a'.repeat(40) },
      { token: 'not-a-key' },
      { headers: { authorization: 'Bearer' } },
      { headers: { authorization: `Basic ${Buffer.from('admin:x').toString('base64')}` } },
      { cookie: 'siyu_session=' + 'b'.repeat(43) },
      { cookie: 'siyu_session=' },
    ];
    for (const auth of bad) {
      const res = await api(srv.baseUrl, 'GET', '/api/v1/customers', auth);
      expectError(res, 401, 'unauthenticated');
    }
  });

  test('wrong password and unknown email answer 401 without a session cookie', async () => {
    const wrong = await login(srv.baseUrl, srv.adminEmail, srv.adminPassword + 'x');
    expectError(wrong, 401, 'unauthenticated');
    assert.equal(wrong.cookie, null, 'a failed login set a session cookie');
    const unknown = await login(srv.baseUrl, `${uniq('ghost')}@example.com`, 'whatever-password');
    expectError(unknown, 401, 'unauthenticated');
    assert.equal(unknown.cookie, null);
    assert.equal(unknown.body.error.message, wrong.body.error.message, 'messages reveal whether the email exists');
  });

  test('logout answers 204, clears the cookie and revokes the session', async () => {
    const cookie = await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword);
    assert.equal((await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { cookie })).status, 200);
    const out = await api(srv.baseUrl, 'POST', '/api/v1/auth/logout', { cookie });
    assert.equal(out.status, 204, JSON.stringify(out.body));
    const cleared = sessionCookie(out.headers);
    assert.ok(cleared, 'logout did not send a Set-Cookie for siyu_session');
    assert.ok(
      cleared.value === '' || /max-age=0/i.test(cleared.raw) || /expires=thu, 01 jan 1970/i.test(cleared.raw),
      `cookie not cleared: ${cleared.raw}`,
    );
    expectError(await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { cookie }), 401, 'unauthenticated');
    expectError(await api(srv.baseUrl, 'GET', '/api/v1/customers', { cookie }), 401, 'unauthenticated');
    assert.equal((await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { cookie: ownerCookie })).status, 200);
  });

  test('sessions are listed and can be revoked one by one', async () => {
    const a = await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword);
    const ua = `siyu-e2e/${uniq()}`;
    const rb = await login(srv.baseUrl, srv.adminEmail, srv.adminPassword, undefined, { 'user-agent': ua });
    assert.equal(rb.status, 200);
    const b = rb.cookie;

    const list = await api(srv.baseUrl, 'GET', '/api/v1/auth/sessions', { cookie: a });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.ok(Array.isArray(list.body.data));
    assert.ok(list.body.data.length >= 3, `sessions: ${list.body.data.length}`);
    const current = list.body.data.filter((s) => s.current === true);
    assert.equal(current.length, 1, 'exactly one session is current');
    for (const s of list.body.data) {
      assert.equal(typeof s.current, 'boolean');
      assert.match(s.created_at, TIMESTAMP_RE);
      assert.match(s.expires_at, TIMESTAMP_RE);
      assert.equal(s.ip, '127.0.0.1');
      assert.ok('user_agent' in s);
      const ttl = Date.parse(s.expires_at) - Date.parse(s.created_at);
      assert.ok(Math.abs(ttl - 12 * 3600_000) < 120_000, `session ttl ${ttl} ms, expected 12 h`);
    }
    const sb = list.body.data.find((s) => s.user_agent === ua);
    assert.ok(sb, `no session with user agent ${ua}`);
    assert.equal(sb.current, false);
    assert.notEqual(sb.id, current[0].id);

    const fromB = await api(srv.baseUrl, 'GET', '/api/v1/auth/sessions', { cookie: b });
    assert.equal(fromB.body.data.find((s) => s.current).id, sb.id);

    const del = await api(srv.baseUrl, 'DELETE', `/api/v1/auth/sessions/${sb.id}`, { cookie: a });
    assert.equal(del.status, 204, JSON.stringify(del.body));
    expectError(await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { cookie: b }), 401, 'unauthenticated');
    assert.equal((await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { cookie: a })).status, 200);
    const after = await api(srv.baseUrl, 'GET', '/api/v1/auth/sessions', { cookie: a });
    assert.ok(!after.body.data.some((s) => s.id === sb.id), 'revoked session still listed');

    expectError(await api(srv.baseUrl, 'DELETE', '/api/v1/auth/sessions/987654321', { cookie: a }), 404, 'not_found');
  });

  test("another user's session cannot be revoked (404)", async () => {
    const u = await createUser('operator');
    const uc = await loginOk(srv.baseUrl, u.email, u.password);
    const theirs = await api(srv.baseUrl, 'GET', '/api/v1/auth/sessions', { cookie: uc });
    const sid = theirs.body.data.find((s) => s.current).id;
    const mine = await api(srv.baseUrl, 'GET', '/api/v1/auth/sessions', { cookie: ownerCookie });
    assert.ok(!mine.body.data.some((s) => s.id === sid), "another user's session is listed");
    expectError(await api(srv.baseUrl, 'DELETE', `/api/v1/auth/sessions/${sid}`, { cookie: ownerCookie }), 404, 'not_found');
    assert.equal((await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { cookie: uc })).status, 200);
  });

  describe('API keys', () => {
    test('a secret key is shown once, listed by prefix only, and works as Bearer', async () => {
      const name = uniq('key-');
      const res = await api(srv.baseUrl, 'POST', '/api/v1/api-keys', { cookie: ownerCookie, body: { name, kind: 'secret' } });
      const k = expectOk(res, CREATED);
      assert.equal(typeof k.id, 'number');
      assert.equal(k.name, name);
      assert.equal(k.kind, 'secret');
      assert.equal(k.role, 'admin');
      assert.match(k.key, /^sk_[A-Za-z0-9_-]{20,}$/);
      assert.equal(typeof k.prefix, 'string');
      assert.ok(k.prefix.startsWith('sk_') && k.key.startsWith(k.prefix), `prefix ${k.prefix}`);
      assert.ok(k.prefix.length < k.key.length - 16, 'prefix reveals too much of the key');
      assert.match(k.created_at, TIMESTAMP_RE);
      assert.equal(k.last_used_at, null);
      assert.equal(k.revoked_at, null);

      const list = await api(srv.baseUrl, 'GET', '/api/v1/api-keys', { cookie: ownerCookie });
      assert.equal(list.status, 200);
      assert.ok(Array.isArray(list.body.data));
      const listed = list.body.data.find((x) => x.id === k.id);
      assert.ok(listed, 'new key not listed');
      assert.equal(listed.prefix, k.prefix);
      assert.equal(listed.name, name);
      assert.ok(!('key' in listed), 'the list shows the secret');
      assert.ok(!list.text.includes(k.key), 'the secret appears in the list');

      const me = await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { token: k.key });
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.user, null);
      assert.ok(me.body.api_key, 'api_key missing from /auth/me');
      if (typeof me.body.api_key === 'object') assert.equal(me.body.api_key.id, k.id);
      assert.equal(me.body.tenant.id, 1);
      assert.equal(me.body.role, 'admin');
      assert.deepEqual([...me.body.permissions].sort(), permissionsOf('admin'));

      const customers = await api(srv.baseUrl, 'GET', '/api/v1/customers', { token: k.key });
      assert.equal(customers.status, 200, JSON.stringify(customers.body));
      assert.ok(Array.isArray(customers.body.data));

      const created = await api(srv.baseUrl, 'POST', '/api/v1/stores', {
        token: k.key,
        body: { code: uniq('K'), name: 'Key store', kind: 'hq' },
      });
      expectOk(created, CREATED);

      const audit = await api(srv.baseUrl, 'GET', '/api/v1/audit-log?action=store.create', { cookie: ownerCookie });
      const entry = audit.body.data.find((e) => String(e.target_id) === String(created.body.id));
      assert.ok(entry, 'store.create by the key not audited');
      assert.equal(entry.actor_type, 'api_key');
      assert.equal(String(entry.actor_id), String(k.id));
    });

    test('a revoked key answers 401', async () => {
      const k = expectOk(
        await api(srv.baseUrl, 'POST', '/api/v1/api-keys', { cookie: ownerCookie, body: { name: uniq('rev-'), kind: 'secret' } }),
        CREATED,
      );
      assert.equal((await api(srv.baseUrl, 'GET', '/api/v1/customers', { token: k.key })).status, 200);
      const del = await api(srv.baseUrl, 'DELETE', `/api/v1/api-keys/${k.id}`, { cookie: ownerCookie });
      expectOk(del, DELETED);
      expectError(await api(srv.baseUrl, 'GET', '/api/v1/customers', { token: k.key }), 401, 'unauthenticated');
      expectError(await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { token: k.key }), 401, 'unauthenticated');
      const list = await api(srv.baseUrl, 'GET', '/api/v1/api-keys', { cookie: ownerCookie });
      const listed = list.body.data.find((x) => x.id === k.id);
      if (listed) assert.match(String(listed.revoked_at), TIMESTAMP_RE);
      const audit = await api(srv.baseUrl, 'GET', '/api/v1/audit-log?action=apikey.revoke', { cookie: ownerCookie });
      assert.ok(audit.body.data.some((e) => String(e.target_id) === String(k.id)), 'apikey.revoke not audited');
    });

    test('a write key (wk_) is rejected on /api/v1 with 401', async () => {
      const k = expectOk(
        await api(srv.baseUrl, 'POST', '/api/v1/api-keys', { cookie: ownerCookie, body: { name: uniq('wk-'), kind: 'write' } }),
        CREATED,
      );
      assert.equal(k.kind, 'write');
      assert.match(k.key, /^wk_[A-Za-z0-9_-]{20,}$/);
      assert.ok(k.prefix.startsWith('wk_'));
      for (const p of ['/api/v1/customers', '/api/v1/auth/me', '/api/v1/tenant']) {
        expectError(await api(srv.baseUrl, 'GET', p, { token: k.key }), 401, 'unauthenticated');
      }
    });

    test('a key carries its role', async () => {
      const k = expectOk(
        await api(srv.baseUrl, 'POST', '/api/v1/api-keys', {
          cookie: ownerCookie,
          body: { name: uniq('an-'), kind: 'secret', role: 'analyst' },
        }),
        CREATED,
      );
      assert.equal(k.role, 'analyst');
      assert.equal((await api(srv.baseUrl, 'GET', '/api/v1/customers', { token: k.key })).status, 200);
      expectError(
        await api(srv.baseUrl, 'POST', '/api/v1/stores', { token: k.key, body: { code: uniq('A'), name: 'x', kind: 'hq' } }),
        403,
        'forbidden',
      );
      expectError(await api(srv.baseUrl, 'GET', '/api/v1/api-keys', { token: k.key }), 403, 'forbidden');
    });

    test('invalid key requests answer 400 naming the field', async () => {
      const before = (await api(srv.baseUrl, 'GET', '/api/v1/api-keys', { cookie: ownerCookie })).body.data.length;
      const post = (body) => api(srv.baseUrl, 'POST', '/api/v1/api-keys', { cookie: ownerCookie, body });
      expectError(await post({ name: 'o', kind: 'secret', role: 'owner' }), 400, 'invalid_argument', 'role');
      expectError(await post({ name: 'o', kind: 'secret', role: 'emperor' }), 400, 'invalid_argument', 'role');
      expectError(await post({ name: 'o', kind: 'public' }), 400, 'invalid_argument', 'kind');
      expectError(await post({ name: 42, kind: 'secret' }), 400, 'invalid_argument', 'name');
      expectError(await post({ kind: 'secret' }), 400, 'invalid_argument', 'name');
      expectError(await post({ name: 'o', kind: 'secret', scopes: [] }), 400, 'unknown_field', 'scopes');
      const after = (await api(srv.baseUrl, 'GET', '/api/v1/api-keys', { cookie: ownerCookie })).body.data.length;
      assert.equal(after, before, 'a rejected request created a key');
    });
  });

  test('changing a password revokes the sessions of that user', async () => {
    const u = await createUser('operator');
    const cookie = await loginOk(srv.baseUrl, u.email, u.password);
    const newPassword = randomPassword(14);
    const res = await api(srv.baseUrl, 'PATCH', `/api/v1/users/${u.id}`, { cookie: ownerCookie, body: { password: newPassword } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(!res.text.includes(newPassword), 'the answer echoes the password');
    expectError(await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { cookie }), 401, 'unauthenticated');
    await loginOk(srv.baseUrl, u.email, newPassword);
  });

  test('disabling a user revokes their sessions and blocks login', async () => {
    const u = await createUser('operator');
    disabledUserId = u.id;
    const cookie = await loginOk(srv.baseUrl, u.email, u.password);
    const res = await api(srv.baseUrl, 'PATCH', `/api/v1/users/${u.id}`, { cookie: ownerCookie, body: { disabled: true } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.disabled, true);
    expectError(await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { cookie }), 401, 'unauthenticated');
    const again = await login(srv.baseUrl, u.email, u.password);
    expectError(again, 401, 'unauthenticated');
    assert.equal(again.cookie, null);
  });

  test('a user of two tenants sees both and can switch', async () => {
    const email = `${uniq('multi')}@example.com`;
    const password = randomPassword(16);
    const r1 = srv.cli(['user', 'add', '--tenant-id', '1', '--email', email, '--name', 'Multi', '--role', 'operator', '--password', password]);
    assert.equal(r1.code, 0, r1.stderr);
    const t2name = `Second Brand ${uniq()}`;
    const t = srv.cli(['tenant', 'add', '--name', t2name]);
    assert.equal(t.code, 0, t.stderr);
    const t2 = Number(cliValue(t.stdout, 'tenant_id'));
    assert.ok(t2 > 1, t.stdout);
    const r2 = srv.cli(['user', 'add', '--tenant-id', String(t2), '--email', email, '--name', 'Multi', '--role', 'admin', '--password', password]);
    assert.equal(r2.code, 0, r2.stderr);

    const r = await login(srv.baseUrl, email, password);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const ids = r.body.tenants.map((x) => x.id).sort((a, b) => a - b);
    assert.deepEqual(ids, [1, t2]);
    assert.equal(r.body.tenants.find((x) => x.id === 1).role, 'operator');
    assert.equal(r.body.tenants.find((x) => x.id === t2).role, 'admin');
    assert.equal(r.body.tenants.find((x) => x.id === t2).name, t2name);

    const direct = await login(srv.baseUrl, email, password, t2);
    assert.equal(direct.status, 200, JSON.stringify(direct.body));
    checkSessionInfo(direct.body, { email, tenantId: t2, role: 'admin' });

    const c1 = await loginOk(srv.baseUrl, email, password, 1);
    let cookie = c1;
    const me1 = await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { cookie });
    checkSessionInfo(me1.body, { email, tenantId: 1, role: 'operator' });

    const sw = await api(srv.baseUrl, 'POST', '/api/v1/auth/switch-tenant', { cookie, body: { tenant_id: t2 } });
    assert.equal(sw.status, 200, JSON.stringify(sw.body));
    checkSessionInfo(sw.body, { email, tenantId: t2, role: 'admin' });
    assert.equal(sw.body.tenant.name, t2name);
    const renewed = sessionCookie(sw.headers);
    if (renewed && renewed.value) cookie = renewed.pair;

    const me2 = await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { cookie });
    checkSessionInfo(me2.body, { email, tenantId: t2, role: 'admin' });
    const tenant = await api(srv.baseUrl, 'GET', '/api/v1/tenant', { cookie });
    assert.equal(tenant.status, 200);
    assert.equal(tenant.body.id, t2);
    assert.equal(tenant.body.name, t2name);
    assert.equal((await api(srv.baseUrl, 'GET', '/api/v1/users', { cookie })).status, 200, 'admin in tenant 2 reads users');

    const t3 = srv.cli(['tenant', 'add', '--name', `Third ${uniq()}`]);
    assert.equal(t3.code, 0, t3.stderr);
    const t3id = Number(cliValue(t3.stdout, 'tenant_id'));
    const denied = await api(srv.baseUrl, 'POST', '/api/v1/auth/switch-tenant', { cookie, body: { tenant_id: t3id } });
    assert.ok([400, 403, 404].includes(denied.status), `switch to a foreign tenant: ${denied.status} ${JSON.stringify(denied.body)}`);
    const me3 = await api(srv.baseUrl, 'GET', '/api/v1/auth/me', { cookie });
    assert.equal(me3.body.tenant.id, t2, 'a refused switch changed the tenant');

    expectError(
      await api(srv.baseUrl, 'POST', '/api/v1/auth/switch-tenant', { cookie, body: { tenant_id: 'two' } }),
      400,
      'invalid_argument',
      'tenant_id',
    );

    const back = await api(srv.baseUrl, 'POST', '/api/v1/auth/switch-tenant', { cookie, body: { tenant_id: 1 } });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    checkSessionInfo(back.body, { email, tenantId: 1, role: 'operator' });
    const renewed2 = sessionCookie(back.headers);
    if (renewed2 && renewed2.value) cookie = renewed2.pair;
    expectError(await api(srv.baseUrl, 'GET', '/api/v1/users', { cookie }), 403, 'forbidden');
  });

  test('logins and login failures are in the audit log, newest first', async () => {
    const failed = await api(srv.baseUrl, 'GET', '/api/v1/audit-log?action=auth.login_failed', { cookie: ownerCookie });
    assert.equal(failed.status, 200, JSON.stringify(failed.body));
    for (const e of failed.body.data) {
      assert.equal(e.action, 'auth.login_failed');
      assert.match(e.at, TIMESTAMP_RE);
      assert.equal(e.ip, '127.0.0.1');
    }
    const targets = failed.body.data.map((e) => String(e.target_id));
    assert.ok(targets.includes(String(ownerId)), `the owner's wrong password is not audited: ${JSON.stringify(failed.body.data)}`);
    assert.ok(targets.includes(String(disabledUserId)), `the disabled user's refused login is not audited: ${JSON.stringify(failed.body.data)}`);
    const ok = await api(srv.baseUrl, 'GET', '/api/v1/audit-log?action=auth.login', { cookie: ownerCookie });
    assert.ok(ok.body.data.length >= 3);
    assert.ok(ok.body.data.every((e) => e.action === 'auth.login'));
    const mine = ok.body.data.filter((e) => e.actor_type === 'user' && String(e.actor_id) === String(ownerId));
    assert.ok(mine.length >= 2, 'owner logins not attributed to the owner');

    const logout = await api(srv.baseUrl, 'GET', '/api/v1/audit-log?action=auth.logout', { cookie: ownerCookie });
    assert.ok(logout.body.data.length >= 1, 'auth.logout not audited');

    const all = await api(srv.baseUrl, 'GET', '/api/v1/audit-log?limit=200', { cookie: ownerCookie });
    const times = all.body.data.map((e) => Date.parse(e.at));
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1] >= times[i], 'audit log is not newest first');

    const byActor = await api(srv.baseUrl, 'GET', `/api/v1/audit-log?actor=${ownerId}&limit=200`, { cookie: ownerCookie });
    assert.equal(byActor.status, 200);
    assert.ok(byActor.body.data.length > 0);
    assert.ok(byActor.body.data.every((e) => String(e.actor_id) === String(ownerId)), 'actor filter ignored');
  });

  // Failed logins from 127.0.0.1 count towards the per-address throttle: keep these two tests last.
  test('repeated failed logins for one email answer 429 with Retry-After until the back-off passes', async () => {
    const u = await createUser('analyst');
    let first429 = null;
    const statuses = [];
    for (let i = 1; i <= 8; i++) {
      const r = await login(srv.baseUrl, u.email, 'wrong-password-' + i);
      statuses.push(r.status);
      if (r.status === 429) {
        first429 = { attempt: i, res: r };
        break;
      }
      expectError(r, 401, 'unauthenticated');
    }
    assert.ok(first429, `no 429 after 8 failed logins: ${statuses.join(',')}`);
    assert.ok(first429.attempt <= 6, `429 only at attempt ${first429.attempt}`);
    expectError(first429.res, 429, 'too_many_requests');
    const ra = Number(first429.res.headers.get('retry-after'));
    assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= 900, `Retry-After: ${first429.res.headers.get('retry-after')}`);

    const rightPassword = await login(srv.baseUrl, u.email, u.password);
    expectError(rightPassword, 429, 'too_many_requests');
    assert.equal(rightPassword.cookie, null);
    const wait = Number(rightPassword.headers.get('retry-after'));
    assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 30, `Retry-After: ${rightPassword.headers.get('retry-after')}`);

    await sleep(wait * 1000 + 500);
    const afterBackoff = await login(srv.baseUrl, u.email, u.password);
    assert.equal(afterBackoff.status, 200, `after the back-off: ${afterBackoff.status} ${JSON.stringify(afterBackoff.body)}`);
  });

  test('fifty failed logins from one address answer 429 for any email from that address', async () => {
    for (let i = 0; i < 50; i++) {
      const r = await login(srv.baseUrl, `${uniq('nobody')}@example.com`, 'wrong-password');
      assert.ok([401, 429].includes(r.status), `failed login ${i}: ${r.status}`);
      if (r.status === 429) break;
    }
    const other = await login(srv.baseUrl, `${uniq('someone')}@example.com`, 'wrong-password');
    expectError(other, 429, 'too_many_requests');
    assert.ok(Number(other.headers.get('retry-after')) >= 1, 'Retry-After missing');
    const owner = await login(srv.baseUrl, srv.adminEmail, srv.adminPassword);
    expectError(owner, 429, 'too_many_requests');
    assert.equal(owner.cookie, null);
  });
});

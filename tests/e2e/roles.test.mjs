// The permission matrix of docs/permissions.md against every operation of /api/openapi.json,
// PII masking, store scoping and the owner rules.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  loginOk,
  api,
  expectError,
  expectOk,
  listAll,
  normalizePath,
  openapiOperations,
  readPermissionMatrix,
  randomPassword,
  uniq,
  CREATED,
  DELETED,
} from './lib/server.mjs';

const { roles, matrix } = readPermissionMatrix();

describe('roles and permissions', () => {
  let srv;
  let owner;
  let hq;
  let region;
  let storeA;
  let storeB;
  let custA;
  let custB;
  let custNone;
  let target;
  const unionA = uniq('o6_a_');
  const unionB = uniq('o6_b_');
  const phoneA = '13812345678';
  const emailA = 'zhang@example.com';
  const phoneB = '13900009999';
  const users = {};
  const sessions = {};
  const keys = {};
  let ops;

  const c = (auth) => ({
    get: (p) => api(srv.baseUrl, 'GET', p, auth),
    post: (p, body) => api(srv.baseUrl, 'POST', p, { ...auth, body }),
    patch: (p, body) => api(srv.baseUrl, 'PATCH', p, { ...auth, body }),
    del: (p) => api(srv.baseUrl, 'DELETE', p, auth),
  });

  async function createUser(body) {
    return expectOk(
      await c(owner).post('/api/v1/users', { email: `${uniq('u')}@example.com`, name: 'User', password: randomPassword(12), ...body }),
      CREATED,
    );
  }

  before(async () => {
    srv = await startServer();
    owner = { cookie: await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword) };
    const o = c(owner);
    hq = expectOk(await o.post('/api/v1/stores', { code: uniq('HQ-'), name: 'HQ', kind: 'hq' }), CREATED);
    region = expectOk(await o.post('/api/v1/stores', { code: uniq('R-'), name: 'East', kind: 'region', parent_id: hq.id }), CREATED);
    storeA = expectOk(await o.post('/api/v1/stores', { code: uniq('A-'), name: 'Store A', kind: 'store', parent_id: region.id }), CREATED);
    storeB = expectOk(await o.post('/api/v1/stores', { code: uniq('B-'), name: 'Store B', kind: 'store', parent_id: region.id }), CREATED);
    custA = expectOk(
      await o.post('/api/v1/customers', {
        name: 'Customer A',
        phone: phoneA,
        email: emailA,
        store_id: storeA.id,
        identifiers: [{ type: 'wechat_unionid', value: unionA }],
      }),
      CREATED,
    );
    custB = expectOk(
      await o.post('/api/v1/customers', { name: 'Customer B', phone: phoneB, store_id: storeB.id, identifiers: [{ type: 'wechat_unionid', value: unionB }] }),
      CREATED,
    );
    custNone = expectOk(await o.post('/api/v1/customers', { name: 'Customer without store' }), CREATED);
    target = await createUser({ name: 'Target', role: 'analyst' });

    const me = await o.get('/api/v1/auth/me');
    users.owner = me.body.user;
    sessions.owner = owner;
    for (const role of roles) {
      if (role === 'owner') continue;
      const password = randomPassword(14);
      const body = { email: `${role}-${uniq()}@example.com`, name: `The ${role}`, role, password };
      if (role === 'store_manager' || role === 'guide') body.store_ids = [storeA.id];
      const u = expectOk(await o.post('/api/v1/users', body), CREATED);
      assert.equal(u.role, role);
      users[role] = u;
      sessions[role] = { cookie: await loginOk(srv.baseUrl, body.email, password) };
    }
    for (const role of ['admin', 'operator', 'analyst']) {
      const k = expectOk(await o.post('/api/v1/api-keys', { name: `key ${role}`, kind: 'secret', role }), CREATED);
      keys[role] = { token: k.key };
    }
    const doc = await api(srv.baseUrl, 'GET', '/api/openapi.json');
    assert.equal(doc.status, 200);
    ops = openapiOperations(doc.body).filter((x) => x.path.startsWith('/api/v1/') && x.op['x-siyu-permission'] !== undefined);
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  /**
   * A plausible request for one operation: {path, body, forbiddenLeftNoTrace()}.
   * DELETE targets are throwaway objects created by the owner.
   */
  async function requestFor(method, p) {
    const key = `${method} ${normalizePath(p)}`;
    const o = c(owner);
    const marker = uniq('m');
    switch (key) {
      case 'PATCH /api/v1/tenant':
        return { path: p, body: { name: 'My Brand' } };
      case 'POST /api/v1/users': {
        const email = `${marker}@example.com`;
        return {
          path: p,
          body: { email, name: marker, role: 'analyst', password: randomPassword(12) },
          check: async () => assert.ok(!(await listAll(srv.baseUrl, '/api/v1/users', owner)).some((u) => u.email === email)),
        };
      }
      case 'GET /api/v1/users/{}':
        return { path: `/api/v1/users/${target.id}` };
      case 'PATCH /api/v1/users/{}':
        return {
          path: `/api/v1/users/${target.id}`,
          body: { name: marker },
          check: async () => assert.notEqual((await o.get(`/api/v1/users/${target.id}`)).body.name, marker),
        };
      case 'DELETE /api/v1/users/{}': {
        const u = await createUser({ role: 'analyst' });
        return {
          path: `/api/v1/users/${u.id}`,
          check: async () => assert.equal((await o.get(`/api/v1/users/${u.id}`)).status, 200),
        };
      }
      case 'POST /api/v1/api-keys':
        return {
          path: p,
          body: { name: marker, kind: 'secret', role: 'analyst' },
          check: async () => assert.ok(!(await o.get('/api/v1/api-keys')).body.data.some((k) => k.name === marker)),
        };
      case 'DELETE /api/v1/api-keys/{}': {
        const k = expectOk(await o.post('/api/v1/api-keys', { name: marker, kind: 'secret' }), CREATED);
        return {
          path: `/api/v1/api-keys/${k.id}`,
          check: async () => assert.equal((await api(srv.baseUrl, 'GET', '/api/v1/tenant', { token: k.key })).status, 200),
        };
      }
      case 'POST /api/v1/stores':
        return {
          path: p,
          body: { code: marker, name: marker, kind: 'store', parent_id: region.id },
          check: async () => assert.ok(!(await listAll(srv.baseUrl, '/api/v1/stores', owner)).some((s) => s.code === marker)),
        };
      case 'GET /api/v1/stores/{}':
        return { path: `/api/v1/stores/${storeA.id}` };
      case 'PATCH /api/v1/stores/{}':
        return {
          path: `/api/v1/stores/${storeA.id}`,
          body: { city: marker },
          check: async () => assert.notEqual((await o.get(`/api/v1/stores/${storeA.id}`)).body.city, marker),
        };
      case 'DELETE /api/v1/stores/{}': {
        const s = expectOk(await o.post('/api/v1/stores', { code: marker, name: 'leaf', kind: 'store', parent_id: region.id }), CREATED);
        return { path: `/api/v1/stores/${s.id}`, check: async () => assert.equal((await o.get(`/api/v1/stores/${s.id}`)).status, 200) };
      }
      case 'POST /api/v1/customers':
        return {
          path: p,
          body: { name: marker, store_id: storeA.id },
          check: async () => assert.deepEqual((await o.get(`/api/v1/customers?name=${marker}`)).body.data, []),
        };
      case 'GET /api/v1/customers/lookup':
        return { path: `${p}?type=wechat_unionid&value=${unionA}` };
      case 'GET /api/v1/customers/{}':
        return { path: `/api/v1/customers/${custA.id}` };
      case 'PATCH /api/v1/customers/{}':
        return {
          path: `/api/v1/customers/${custA.id}`,
          body: { traits: { touched_by: marker } },
          check: async () => assert.notDeepEqual((await o.get(`/api/v1/customers/${custA.id}`)).body.traits, { touched_by: marker }),
        };
      case 'DELETE /api/v1/customers/{}': {
        const cu = expectOk(await o.post('/api/v1/customers', { name: marker, store_id: storeA.id }), CREATED);
        return { path: `/api/v1/customers/${cu.id}`, check: async () => assert.equal((await o.get(`/api/v1/customers/${cu.id}`)).status, 200) };
      }
      case 'GET /api/v1/loyalty/members/lookup':
        // Needs a phone or member number; an unknown one is a 404 (allowed), never a 403.
        return { path: `${p}?member_no=${marker}`, generic: true };
      default:
        if (method === 'GET' && !p.includes('{')) return { path: p, generic: false };
        return { path: p.replace(/\{[^}]+\}/g, '1'), body: method === 'GET' || method === 'DELETE' ? undefined : {}, generic: true };
    }
  }

  async function runMatrix(role, auth) {
    const problems = [];
    for (const { method, path: p, op } of ops) {
      const perm = op['x-siyu-permission'];
      if (!(perm in matrix)) {
        problems.push(`${method} ${p}: unknown permission ${perm}`);
        continue;
      }
      const allowed = matrix[perm].has(role);
      const req = await requestFor(method, p);
      const res = await api(srv.baseUrl, method, req.path, { ...auth, body: req.body });
      const what = `${role} ${method} ${req.path} (${perm}, ${allowed ? 'allowed' : 'denied'}): ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`;
      if (res.status === 401 || res.status >= 500) {
        problems.push(what);
      } else if (!allowed) {
        if (res.status !== 403 || res.body?.error?.code !== 'forbidden') problems.push(what);
        else if (req.check) {
          try {
            await req.check();
          } catch (err) {
            problems.push(`${what}: the forbidden request changed something (${err.message})`);
          }
        }
      } else if (req.generic) {
        if (res.status === 403) problems.push(what);
      } else if (res.status < 200 || res.status > 299) {
        problems.push(what);
      }
    }
    return problems;
  }

  test('the document lists operations for every permission of the matrix', () => {
    const used = new Set(ops.map((o) => o.op['x-siyu-permission']));
    const unused = Object.keys(matrix).filter((p) => p !== 'pii' && !used.has(p));
    assert.deepEqual(unused, []);
    assert.ok(ops.length >= 23, `only ${ops.length} operations with x-siyu-permission`);
  });

  for (const role of roles) {
    test(`role ${role}: 403 forbidden exactly where the matrix denies (session)`, async () => {
      const problems = await runMatrix(role, sessions[role]);
      assert.deepEqual(problems, []);
      assert.equal((await c(sessions[role]).get('/api/v1/auth/me')).status, 200, 'session lost');
    });
  }

  for (const role of ['admin', 'operator', 'analyst']) {
    test(`role ${role}: 403 forbidden exactly where the matrix denies (API key)`, async () => {
      const problems = await runMatrix(role, keys[role]);
      assert.deepEqual(problems, []);
    });
  }

  test('/auth/me lists the permissions of the role', async () => {
    for (const role of roles) {
      const me = await c(sessions[role]).get('/api/v1/auth/me');
      assert.equal(me.body.role, role);
      const expected = Object.keys(matrix).filter((p) => matrix[p].has(role)).sort();
      assert.deepEqual([...me.body.permissions].sort(), expected, role);
      if (role === 'store_manager' || role === 'guide') assert.deepEqual(me.body.store_ids, [storeA.id]);
    }
  });

  describe('PII masking', () => {
    const maskedPhone = '+86138****5678';
    const maskedEmail = 'z***@example.com';

    function assertMasked(cust, who) {
      assert.equal(cust.phone, maskedPhone, `${who}: phone`);
      assert.equal(cust.email, maskedEmail, `${who}: email`);
      const ids = Object.fromEntries(cust.identifiers.map((i) => [i.type, i.value]));
      assert.equal(ids.phone, maskedPhone, `${who}: phone identifier`);
      assert.equal(ids.email, maskedEmail, `${who}: email identifier`);
      assert.equal(ids.wechat_unionid, unionA, `${who}: other identifiers stay readable`);
      const text = JSON.stringify(cust);
      assert.ok(!text.includes('12345678') && !text.includes('zhang'), `${who}: PII leaks: ${text}`);
    }

    function assertClear(cust, who) {
      assert.equal(cust.phone, '+8613812345678', `${who}: phone`);
      assert.equal(cust.email, emailA, `${who}: email`);
      const ids = Object.fromEntries(cust.identifiers.map((i) => [i.type, i.value]));
      assert.equal(ids.phone, '+8613812345678', `${who}: phone identifier`);
      assert.equal(ids.email, emailA, `${who}: email identifier`);
    }

    test('roles without pii see masked phone and email in reads, lists and lookups', async () => {
      for (const [who, auth] of [['guide', sessions.guide], ['analyst', sessions.analyst], ['analyst key', keys.analyst]]) {
        const cl = c(auth);
        const read = await cl.get(`/api/v1/customers/${custA.id}`);
        assert.equal(read.status, 200, who);
        assertMasked(read.body, `${who} read`);
        const list = await listAll(srv.baseUrl, '/api/v1/customers', auth);
        const row = list.find((x) => x.id === custA.id);
        assert.ok(row, `${who}: customer A not listed`);
        assertMasked(row, `${who} list`);
        for (const x of list) if (x.phone) assert.ok(x.phone.includes('****'), `${who}: list row ${x.id} phone ${x.phone}`);
        const byPhone = await cl.get(`/api/v1/customers/lookup?type=phone&value=${phoneA}`);
        assert.equal(byPhone.status, 200, `${who}: lookup by phone`);
        assertMasked(byPhone.body, `${who} lookup`);
        const q = await cl.get(`/api/v1/customers?q=${phoneA}`);
        assert.deepEqual(q.body.data.map((x) => x.id), [custA.id], `${who}: q by phone`);
        assertMasked(q.body.data[0], `${who} q`);
      }
    });

    test('a write by a role without pii answers masked data and keeps the real values', async () => {
      const res = await c(sessions.guide).patch(`/api/v1/customers/${custA.id}`, { name: 'Customer A' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assertMasked(res.body, 'guide patch');
      assertClear((await c(owner).get(`/api/v1/customers/${custA.id}`)).body, 'owner after guide patch');
      const created = await c(sessions.guide).post('/api/v1/customers', { name: 'Guide made', phone: '13712341234', email: 'li@example.com', store_id: storeA.id });
      expectOk(created, CREATED);
      assert.equal(created.body.phone, '+86137****1234');
      assert.equal(created.body.email, 'l***@example.com');
      assert.equal((await c(owner).get(`/api/v1/customers/${created.body.id}`)).body.phone, '+8613712341234');
    });

    test('roles with pii see the full values', async () => {
      for (const [who, auth] of [['operator', sessions.operator], ['store_manager', sessions.store_manager], ['admin', sessions.admin], ['operator key', keys.operator]]) {
        const read = await c(auth).get(`/api/v1/customers/${custA.id}`);
        assert.equal(read.status, 200, who);
        assertClear(read.body, who);
      }
    });
  });

  describe('store scope', () => {
    test('a guide of store A gets 404 for customers outside store A and does not see them', async () => {
      for (const role of ['guide', 'store_manager']) {
        const cl = c(sessions[role]);
        for (const other of [custB, custNone]) {
          expectError(await cl.get(`/api/v1/customers/${other.id}`), 404, 'not_found');
          expectError(await cl.patch(`/api/v1/customers/${other.id}`, { name: 'stolen' }), 404, 'not_found');
        }
        expectError(await cl.get(`/api/v1/customers/lookup?type=wechat_unionid&value=${unionB}`), 404, 'not_found');
        expectError(await cl.get(`/api/v1/customers/lookup?type=phone&value=${phoneB}`), 404, 'not_found');
        const list = await listAll(srv.baseUrl, '/api/v1/customers', sessions[role]);
        assert.ok(list.some((x) => x.id === custA.id), `${role}: customer A missing`);
        assert.ok(list.every((x) => x.store_id === storeA.id), `${role}: sees customers outside store A`);
        assert.deepEqual((await cl.get(`/api/v1/customers?q=${phoneB}`)).body.data, []);
        assert.deepEqual((await cl.get(`/api/v1/customers?q=${unionB}`)).body.data, []);
        const byStore = await cl.get(`/api/v1/customers?store_id=${storeB.id}`);
        assert.ok(byStore.status === 403 || (byStore.status === 200 && byStore.body.data.length === 0), `${role}: store_id filter ${byStore.status}`);
      }
      assert.equal((await c(owner).get(`/api/v1/customers/${custB.id}`)).body.name, 'Customer B');
    });

    test('creating a customer outside the own stores is 403', async () => {
      for (const role of ['guide', 'store_manager']) {
        const name = uniq('outside');
        expectError(await c(sessions[role]).post('/api/v1/customers', { name, store_id: storeB.id }), 403, 'forbidden');
        assert.deepEqual((await c(owner).get(`/api/v1/customers?name=${name}`)).body.data, []);
      }
    });

    test('a manager of a region sees every store below it', async () => {
      const password = randomPassword(12);
      const email = `${uniq('regional')}@example.com`;
      expectOk(await c(owner).post('/api/v1/users', { email, name: 'Regional', role: 'store_manager', store_ids: [region.id], password }), CREATED);
      const auth = { cookie: await loginOk(srv.baseUrl, email, password) };
      assert.equal((await c(auth).get(`/api/v1/customers/${custA.id}`)).status, 200);
      assert.equal((await c(auth).get(`/api/v1/customers/${custB.id}`)).status, 200);
      expectError(await c(auth).get(`/api/v1/customers/${custNone.id}`), 404, 'not_found');
      const list = await listAll(srv.baseUrl, '/api/v1/customers', auth);
      assert.ok(list.every((x) => x.store_id === storeA.id || x.store_id === storeB.id));
      assert.ok(list.some((x) => x.id === custB.id));
    });

    test('statistics of store roles cover their stores only', async () => {
      const inA = (await listAll(srv.baseUrl, `/api/v1/customers?store_id=${storeA.id}`, owner)).length;
      const all = (await listAll(srv.baseUrl, '/api/v1/customers', owner)).length;
      const g = await c(sessions.guide).get('/api/v1/stats/overview');
      assert.equal(g.status, 200, JSON.stringify(g.body));
      assert.equal(g.body.customers_total, inA);
      assert.ok(g.body.by_store.every((s) => s.store_id === storeA.id), JSON.stringify(g.body.by_store));
      const a = await c(sessions.analyst).get('/api/v1/stats/overview');
      assert.equal(a.body.customers_total, all);
    });

    test('analysts and operators see every store', async () => {
      for (const role of ['analyst', 'operator']) {
        assert.equal((await c(sessions[role]).get(`/api/v1/customers/${custB.id}`)).status, 200);
        assert.equal((await c(sessions[role]).get(`/api/v1/customers/${custNone.id}`)).status, 200);
      }
    });
  });

  describe('users and the owner role', () => {
    test('an admin cannot grant or take away owner', async () => {
      const admin = c(sessions.admin);
      const email = `${uniq('wannabe')}@example.com`;
      expectError(await admin.post('/api/v1/users', { email, name: 'x', role: 'owner', password: randomPassword(12) }), 403, 'forbidden');
      assert.ok(!(await listAll(srv.baseUrl, '/api/v1/users', owner)).some((u) => u.email === email));
      expectError(await admin.patch(`/api/v1/users/${target.id}`, { role: 'owner' }), 403, 'forbidden');
      assert.equal((await c(owner).get(`/api/v1/users/${target.id}`)).body.role, 'analyst');
      expectError(await admin.patch(`/api/v1/users/${users.owner.id}`, { role: 'admin' }), 403, 'forbidden');
      expectError(await admin.del(`/api/v1/users/${users.owner.id}`), 403, 'forbidden');
      assert.equal((await c(owner).get(`/api/v1/users/${users.owner.id}`)).body.role, 'owner');
      const made = expectOk(await admin.post('/api/v1/users', { email: `${uniq('adm')}@example.com`, name: 'Another admin', role: 'admin', password: randomPassword(12) }), CREATED);
      assert.equal(made.role, 'admin');
    });

    test('the last owner cannot be demoted or removed (409 failed_precondition)', async () => {
      const o = c(owner);
      expectError(await o.patch(`/api/v1/users/${users.owner.id}`, { role: 'admin' }), 409, 'failed_precondition');
      expectError(await o.del(`/api/v1/users/${users.owner.id}`), 409, 'failed_precondition');
      assert.equal((await o.get('/api/v1/auth/me')).body.role, 'owner');

      const second = await createUser({ name: 'Second owner', role: 'owner' });
      assert.equal(second.role, 'owner');
      const demoted = await o.patch(`/api/v1/users/${second.id}`, { role: 'admin' });
      assert.equal(demoted.status, 200, JSON.stringify(demoted.body));
      assert.equal(demoted.body.role, 'admin');
      expectError(await o.patch(`/api/v1/users/${users.owner.id}`, { role: 'operator' }), 409, 'failed_precondition');

      const third = await createUser({ name: 'Third owner', role: 'owner' });
      expectOk(await o.del(`/api/v1/users/${third.id}`), DELETED);
      expectError(await o.get(`/api/v1/users/${third.id}`), 404, 'not_found');
    });

    test('user input is validated', async () => {
      const o = c(owner);
      const before = (await listAll(srv.baseUrl, '/api/v1/users', owner)).length;
      const base = () => ({ email: `${uniq('v')}@example.com`, name: 'V', role: 'analyst', password: randomPassword(12) });
      expectError(await o.post('/api/v1/users', { ...base(), role: 'emperor' }), 400, 'invalid_argument', 'role');
      expectError(await o.post('/api/v1/users', { ...base(), password: 'short12' }), 400, 'invalid_argument', 'password');
      expectError(await o.post('/api/v1/users', { ...base(), password: 'p'.repeat(129) }), 400, 'invalid_argument', 'password');
      expectError(await o.post('/api/v1/users', { ...base(), email: 'not-an-email' }), 400, 'invalid_argument', 'email');
      const noEmail = base();
      delete noEmail.email;
      expectError(await o.post('/api/v1/users', noEmail), 400, 'invalid_argument', 'email');
      expectError(await o.post('/api/v1/users', { ...base(), role: 'store_manager', store_ids: [987654321] }), 400, 'invalid_argument', 'store_ids');
      expectError(await o.post('/api/v1/users', { ...base(), role: 'store_manager', store_ids: String(storeA.id) }), 400, 'invalid_argument', 'store_ids');
      expectError(await o.post('/api/v1/users', { ...base(), nickname: 'x' }), 400, 'unknown_field', 'nickname');
      expectError(await o.post('/api/v1/users', { ...base(), email: users.operator.email }), 409, 'already_exists', 'email');
      expectError(await o.patch(`/api/v1/users/${target.id}`, { disabled: 'yes' }), 400, 'invalid_argument', 'disabled');
      expectError(await o.patch(`/api/v1/users/${target.id}`, { password: 'short' }), 400, 'invalid_argument', 'password');
      assert.equal((await listAll(srv.baseUrl, '/api/v1/users', owner)).length, before);
      const ok = expectOk(await o.post('/api/v1/users', { ...base(), password: 'p'.repeat(128) }), CREATED);
      assert.equal(ok.role, 'analyst');
    });

    test('a generated password is returned once and works', async () => {
      const email = `${uniq('gen')}@example.com`;
      const res = await c(owner).post('/api/v1/users', { email, name: 'Generated', role: 'operator' });
      const u = expectOk(res, CREATED);
      assert.equal(typeof u.password, 'string');
      assert.ok(u.password.length >= 8 && u.password.length <= 128);
      assert.equal(u.email, email);
      assert.equal(u.disabled, false);
      assert.deepEqual(u.store_ids, []);
      assert.equal(u.last_login_at, null);
      await loginOk(srv.baseUrl, email, u.password);
      const read = await c(owner).get(`/api/v1/users/${u.id}`);
      assert.ok(!('password' in read.body));
      assert.ok(read.body.last_login_at, 'last_login_at not set after login');
      const list = await listAll(srv.baseUrl, '/api/v1/users', owner);
      assert.ok(list.every((x) => !('password' in x)));
      assert.ok(!JSON.stringify(list).includes(u.password));
    });

    test('users list filters by role; user changes are audited', async () => {
      const guides = await listAll(srv.baseUrl, '/api/v1/users?role=guide', owner);
      assert.ok(guides.length >= 1 && guides.every((u) => u.role === 'guide'));
      assert.ok(guides.some((u) => u.id === users.guide.id));
      assert.deepEqual(guides.find((u) => u.id === users.guide.id).store_ids, [storeA.id]);
      for (const action of ['user.create', 'user.update', 'user.delete', 'apikey.create', 'tenant.update']) {
        const res = await c(owner).get(`/api/v1/audit-log?action=${action}`);
        assert.ok(res.body.data.length > 0, `${action} not audited`);
        assert.ok(res.body.data.every((e) => e.action === action));
      }
    });
  });
});

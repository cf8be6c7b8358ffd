// Customers and stores: CRUD, validation, identifiers, pagination and filters.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  loginOk,
  api,
  rawRequest,
  expectError,
  expectOk,
  listAll,
  dateInZone,
  uniq,
  sleep,
  CREATED,
  DELETED,
  TIMESTAMP_RE,
} from './lib/server.mjs';

const BODY_LIMIT = 256 * 1024;

let seq = 0;
/** A valid, unused Chinese mobile number (137xxxxxxxx), local form. */
function mobile() {
  seq += 1;
  const n = (Date.now() % 1e5) * 100 + seq;
  return `137${String(n % 1e8).padStart(8, '0')}`;
}

describe('customers and stores', () => {
  let srv;
  let cookie;
  const auth = () => ({ cookie });
  let hq;
  let region;
  let storeA;
  let storeB;

  const post = (p, body) => api(srv.baseUrl, 'POST', p, { cookie, body });
  const patch = (p, body) => api(srv.baseUrl, 'PATCH', p, { cookie, body });
  const get = (p) => api(srv.baseUrl, 'GET', p, { cookie });
  const del = (p) => api(srv.baseUrl, 'DELETE', p, { cookie });

  async function createCustomer(body) {
    return expectOk(await post('/api/v1/customers', body), CREATED);
  }

  async function createStore(body) {
    return expectOk(await post('/api/v1/stores', body), CREATED);
  }

  async function snapshot(refPath) {
    const customers = (await listAll(srv.baseUrl, '/api/v1/customers', auth())).map((c) => c.id).sort((a, b) => a - b);
    const stores = (await listAll(srv.baseUrl, '/api/v1/stores', auth())).map((s) => s.id).sort((a, b) => a - b);
    const ref = refPath ? (await get(refPath)).body : null;
    return { customers, stores, ref };
  }

  async function assertUnchanged(snap, refPath, what) {
    const now = await snapshot(refPath);
    assert.deepEqual(now.customers, snap.customers, `${what}: the customer set changed`);
    assert.deepEqual(now.stores, snap.stores, `${what}: the store set changed`);
    if (refPath) assert.deepEqual(now.ref, snap.ref, `${what}: ${refPath} changed`);
    const h = await api(srv.baseUrl, 'GET', '/healthz');
    assert.equal(h.status, 200, `${what}: /healthz after the bad request`);
  }

  before(async () => {
    srv = await startServer({ args: ['--body-limit', String(BODY_LIMIT)] });
    cookie = await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword);
    hq = await createStore({ code: uniq('HQ-'), name: '总部', kind: 'hq' });
    region = await createStore({ code: uniq('R-'), name: '华东大区', kind: 'region', parent_id: hq.id });
    storeA = await createStore({ code: uniq('SA-'), name: '上海静安店', kind: 'store', parent_id: region.id, city: '上海' });
    storeB = await createStore({ code: uniq('SB-'), name: '杭州西湖店', kind: 'store', parent_id: region.id, city: '杭州' });
    // Custom identifier types must be declared before customers can carry them.
    const declared = await api(srv.baseUrl, 'PUT', '/api/v1/identity/settings', {
      cookie,
      body: { custom_types: [{ type: 'custom:loyalty_card', label: '会员卡' }, { type: `custom:${'z'.repeat(32)}`, label: 'z' }] },
    });
    assert.equal(declared.status, 200, JSON.stringify(declared.body));
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  describe('stores', () => {
    test('create answers the full store', async () => {
      const code = uniq('S-');
      const s = await createStore({
        code,
        name: '南京新街口店',
        kind: 'store',
        parent_id: region.id,
        city: '南京',
        latitude: 32.0415,
        longitude: 118.7781,
      });
      assert.equal(typeof s.id, 'number');
      assert.equal(s.parent_id, region.id);
      assert.equal(s.kind, 'store');
      assert.equal(s.code, code);
      assert.equal(s.name, '南京新街口店');
      assert.equal(s.city, '南京');
      assert.equal(s.latitude, 32.0415);
      assert.equal(s.longitude, 118.7781);
      assert.match(s.created_at, TIMESTAMP_RE);
      assert.match(s.updated_at, TIMESTAMP_RE);
      assert.equal(hq.parent_id, null);
      assert.equal(hq.city ?? null, null);
      const read = await get(`/api/v1/stores/${s.id}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, s);
    });

    test('a store may hang directly below HQ', async () => {
      const s = await createStore({ code: uniq('D-'), name: 'Direct', kind: 'store', parent_id: hq.id });
      assert.equal(s.parent_id, hq.id);
    });

    test('patch changes only the given fields', async () => {
      const s = await createStore({ code: uniq('P-'), name: 'Before', kind: 'store', parent_id: region.id, city: '苏州' });
      await sleep(5);
      const res = await patch(`/api/v1/stores/${s.id}`, { name: 'After' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.name, 'After');
      assert.equal(res.body.city, '苏州');
      assert.equal(res.body.code, s.code);
      assert.equal(res.body.parent_id, region.id);
      assert.equal(res.body.created_at, s.created_at);
      assert.ok(Date.parse(res.body.updated_at) >= Date.parse(s.updated_at));
      assert.deepEqual((await get(`/api/v1/stores/${s.id}`)).body, res.body);
      const moved = await patch(`/api/v1/stores/${s.id}`, { parent_id: hq.id });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.equal(moved.body.parent_id, hq.id);
    });

    test('codes are unique and well-formed', async () => {
      const snap = await snapshot();
      expectError(await post('/api/v1/stores', { code: storeA.code, name: 'dup', kind: 'store', parent_id: region.id }), 409, 'already_exists', 'code');
      for (const code of ['has space', 'x'.repeat(33), '', '店铺', 'a/b', 'a.b']) {
        expectError(await post('/api/v1/stores', { code, name: 'bad', kind: 'store', parent_id: region.id }), 400, 'invalid_argument', 'code');
      }
      expectError(await post('/api/v1/stores', { code: 7, name: 'bad', kind: 'store', parent_id: region.id }), 400, 'invalid_argument', 'code');
      await assertUnchanged(snap, null, 'bad store codes');
      const ok = await createStore({ code: 'Z'.repeat(24) + uniq().slice(0, 8), name: '32 chars', kind: 'store', parent_id: region.id });
      assert.equal(ok.code.length, 32);
      expectError(await patch(`/api/v1/stores/${storeB.id}`, { code: storeA.code }), 409, 'already_exists', 'code');
    });

    test('invalid kinds, names and coordinates answer 400 naming the field', async () => {
      const snap = await snapshot(`/api/v1/stores/${storeA.id}`);
      const base = { code: uniq('V-'), name: 'v', kind: 'store', parent_id: region.id };
      const cases = [
        [{ ...base, kind: 'shop' }, 'kind'],
        [{ code: base.code, name: 'v', parent_id: region.id }, 'kind'],
        [{ code: base.code, kind: 'store', parent_id: region.id }, 'name'],
        [{ ...base, name: 12 }, 'name'],
        [{ name: 'v', kind: 'store', parent_id: region.id }, 'code'],
        [{ ...base, latitude: 91 }, 'latitude'],
        [{ ...base, latitude: -90.5 }, 'latitude'],
        [{ ...base, longitude: 181 }, 'longitude'],
        [{ ...base, latitude: '31.2' }, 'latitude'],
        [{ ...base, parent_id: 'one' }, 'parent_id'],
      ];
      for (const [body, field] of cases) {
        expectError(await post('/api/v1/stores', body), 400, 'invalid_argument', field);
      }
      expectError(await post('/api/v1/stores', { ...base, manager: 'x' }), 400, 'unknown_field', 'manager');
      expectError(await patch(`/api/v1/stores/${storeA.id}`, { kind: 'shop' }), 400, 'invalid_argument', 'kind');
      expectError(await patch(`/api/v1/stores/${storeA.id}`, { latitude: 100 }), 400, 'invalid_argument', 'latitude');
      expectError(await patch(`/api/v1/stores/${storeA.id}`, { colour: 'red' }), 400, 'unknown_field', 'colour');
      await assertUnchanged(snap, `/api/v1/stores/${storeA.id}`, 'invalid stores');
    });

    test('a parent must be of a higher kind and exist', async () => {
      const snap = await snapshot(`/api/v1/stores/${storeA.id}`);
      const c = () => uniq('H-');
      const cases = [
        { code: c(), name: 'hq below hq', kind: 'hq', parent_id: hq.id },
        { code: c(), name: 'region below region', kind: 'region', parent_id: region.id },
        { code: c(), name: 'region below store', kind: 'region', parent_id: storeA.id },
        { code: c(), name: 'store below store', kind: 'store', parent_id: storeA.id },
        { code: c(), name: 'unknown parent', kind: 'store', parent_id: 987654321 },
      ];
      for (const body of cases) {
        expectError(await post('/api/v1/stores', body), 400, 'invalid_argument', 'parent_id');
      }
      expectError(await patch(`/api/v1/stores/${storeA.id}`, { parent_id: storeB.id }), 400, 'invalid_argument', 'parent_id');
      expectError(await patch(`/api/v1/stores/${region.id}`, { parent_id: region.id }), 400, 'invalid_argument', 'parent_id');
      await assertUnchanged(snap, `/api/v1/stores/${storeA.id}`, 'bad hierarchy');
    });

    test('list filters by kind, parent and q, and pages with a cursor', async () => {
      const stores = await listAll(srv.baseUrl, '/api/v1/stores?kind=store', auth());
      assert.ok(stores.length >= 2);
      assert.ok(stores.every((s) => s.kind === 'store'));
      const below = await listAll(srv.baseUrl, `/api/v1/stores?parent_id=${region.id}`, auth());
      assert.ok(below.some((s) => s.id === storeA.id) && below.some((s) => s.id === storeB.id));
      assert.ok(below.every((s) => s.parent_id === region.id));
      const q = await listAll(srv.baseUrl, `/api/v1/stores?q=${encodeURIComponent('静安')}`, auth());
      assert.deepEqual(q.map((s) => s.id), [storeA.id]);

      const all = await listAll(srv.baseUrl, '/api/v1/stores', auth());
      const paged = await listAll(srv.baseUrl, '/api/v1/stores', auth(), 2);
      assert.equal(paged.length, all.length);
      assert.equal(new Set(paged.map((s) => s.id)).size, all.length);
      expectError(await get('/api/v1/stores?kind=shop'), 400, 'invalid_argument', 'kind');
    });

    test('a store with children or customers cannot be deleted (409), a leaf can', async () => {
      const snap = await snapshot(`/api/v1/stores/${region.id}`);
      expectError(await del(`/api/v1/stores/${region.id}`), 409, 'failed_precondition');
      expectError(await del(`/api/v1/stores/${hq.id}`), 409, 'failed_precondition');
      await assertUnchanged(snap, `/api/v1/stores/${region.id}`, 'delete store with children');
      const withCustomer = await createStore({ code: uniq('WC-'), name: 'has customers', kind: 'store', parent_id: region.id });
      const c = await createCustomer({ name: 'store member', store_id: withCustomer.id });
      const snap2 = await snapshot(`/api/v1/stores/${withCustomer.id}`);
      expectError(await del(`/api/v1/stores/${withCustomer.id}`), 409, 'failed_precondition');
      await assertUnchanged(snap2, `/api/v1/stores/${withCustomer.id}`, 'delete store with customers');
      assert.equal((await get(`/api/v1/customers/${c.id}`)).body.store_id, withCustomer.id);

      const leaf = await createStore({ code: uniq('L-'), name: 'leaf', kind: 'store', parent_id: region.id });
      expectOk(await del(`/api/v1/stores/${leaf.id}`), DELETED);
      expectError(await get(`/api/v1/stores/${leaf.id}`), 404, 'not_found');
      expectError(await del(`/api/v1/stores/${leaf.id}`), 404, 'not_found');
      expectError(await patch(`/api/v1/stores/${leaf.id}`, { name: 'ghost' }), 404, 'not_found');
      const list = await listAll(srv.baseUrl, '/api/v1/stores', auth());
      assert.ok(!list.some((s) => s.id === leaf.id));
      expectError(await post('/api/v1/customers', { name: 'orphan', store_id: leaf.id }), 400, 'invalid_argument', 'store_id');

      const audit = await get('/api/v1/audit-log?action=store.delete');
      assert.ok(audit.body.data.some((e) => String(e.target_id) === String(leaf.id)), 'store.delete not audited');
      const created = await get('/api/v1/audit-log?action=store.create');
      assert.ok(created.body.data.some((e) => String(e.target_id) === String(leaf.id)), 'store.create not audited');
      const updated = await get('/api/v1/audit-log?action=store.update');
      assert.ok(updated.body.data.length > 0, 'store.update not audited');
    });

    test('unknown store ids answer 404', async () => {
      expectError(await get('/api/v1/stores/987654321'), 404, 'not_found');
      expectError(await patch('/api/v1/stores/987654321', { name: 'x' }), 404, 'not_found');
      expectError(await del('/api/v1/stores/987654321'), 404, 'not_found');
    });
  });

  describe('customers', () => {
    test('create answers the customer with every identifier', async () => {
      const phone = mobile();
      const unionid = uniq('o6_union_');
      const member = uniq('M');
      const email = `${uniq('wf')}@example.com`;
      const c = await createCustomer({
        name: '王芳',
        phone: `${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`,
        email,
        gender: 'female',
        birthday: '1990-05-17',
        store_id: storeA.id,
        member_no: member,
        traits: { city: '上海', vip: true, visits: 3 },
        identifiers: [{ type: 'wechat_unionid', value: unionid }],
      });
      assert.equal(typeof c.id, 'number');
      assert.equal(c.name, '王芳');
      assert.equal(c.phone, `+86${phone}`);
      assert.equal(c.email, email);
      assert.equal(c.gender, 'female');
      assert.equal(c.birthday, '1990-05-17');
      assert.equal(c.store_id, storeA.id);
      assert.equal(c.member_no, member);
      assert.deepEqual(c.traits, { city: '上海', vip: true, visits: 3 });
      assert.match(c.created_at, TIMESTAMP_RE);
      assert.match(c.updated_at, TIMESTAMP_RE);
      const ids = Object.fromEntries(c.identifiers.map((i) => [i.type, i.value]));
      assert.deepEqual(ids, { wechat_unionid: unionid, phone: `+86${phone}`, email, member_no: member });
      for (const i of c.identifiers) assert.match(i.created_at, TIMESTAMP_RE);

      const read = await get(`/api/v1/customers/${c.id}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, c);
    });

    test('a minimal customer has null optional fields', async () => {
      const c = await createCustomer({ name: 'Minimal' });
      for (const f of ['phone', 'email', 'gender', 'birthday', 'store_id', 'member_no']) {
        assert.ok(f in c, `${f} missing`);
        assert.ok(c[f] === null || (f === 'gender' && c[f] === 'unknown'), `${f}: ${c[f]}`);
      }
      assert.deepEqual(c.identifiers, []);
    });

    test('patch changes only the given fields and null clears', async () => {
      const phone = mobile();
      const email = `${uniq('p')}@example.com`;
      const member = uniq('M');
      const c = await createCustomer({ name: 'Patch Me', phone, email, gender: 'male', birthday: '1985-01-02', store_id: storeA.id, member_no: member, traits: { a: 1 } });
      await sleep(5);
      const r1 = await patch(`/api/v1/customers/${c.id}`, { name: 'Patched' });
      assert.equal(r1.status, 200, JSON.stringify(r1.body));
      assert.equal(r1.body.name, 'Patched');
      for (const f of ['phone', 'email', 'gender', 'birthday', 'store_id', 'member_no', 'traits', 'created_at']) {
        assert.deepEqual(r1.body[f], c[f], f);
      }
      assert.ok(Date.parse(r1.body.updated_at) >= Date.parse(c.updated_at));
      assert.deepEqual((await get(`/api/v1/customers/${c.id}`)).body, r1.body);

      const r2 = await patch(`/api/v1/customers/${c.id}`, { email: null, birthday: null, member_no: null, store_id: null });
      assert.equal(r2.status, 200, JSON.stringify(r2.body));
      assert.equal(r2.body.email, null);
      assert.equal(r2.body.birthday, null);
      assert.equal(r2.body.member_no, null);
      assert.equal(r2.body.store_id, null);
      assert.equal(r2.body.phone, `+86${phone}`);
      assert.equal(r2.body.name, 'Patched');
      const types = r2.body.identifiers.map((i) => i.type);
      assert.ok(!types.includes('email') && !types.includes('member_no'), `identifiers: ${types}`);
      assert.ok(types.includes('phone'));
      expectError(await get(`/api/v1/customers/lookup?type=email&value=${encodeURIComponent(email)}`), 404, 'not_found');
      expectError(await get(`/api/v1/customers/lookup?type=member_no&value=${encodeURIComponent(member)}`), 404, 'not_found');
      const reuse = await createCustomer({ name: 'Takes the email', email, member_no: member });
      assert.equal(reuse.email, email);

      const newPhone = mobile();
      const r3 = await patch(`/api/v1/customers/${c.id}`, { phone: newPhone, gender: 'unknown' });
      assert.equal(r3.status, 200, JSON.stringify(r3.body));
      assert.equal(r3.body.phone, `+86${newPhone}`);
      assert.equal(r3.body.gender, 'unknown');
      const found = await get(`/api/v1/customers/lookup?type=phone&value=${newPhone}`);
      assert.equal(found.status, 200);
      assert.equal(found.body.id, c.id);
    });

    test('soft delete: reads answer 404 and identifiers are released', async () => {
      const phone = mobile();
      const unionid = uniq('o6_');
      const member = uniq('M');
      const c = await createCustomer({ name: 'To Delete', phone, member_no: member, identifiers: [{ type: 'wechat_unionid', value: unionid }] });
      expectOk(await del(`/api/v1/customers/${c.id}`), DELETED);
      expectError(await get(`/api/v1/customers/${c.id}`), 404, 'not_found');
      expectError(await patch(`/api/v1/customers/${c.id}`, { name: 'zombie' }), 404, 'not_found');
      expectError(await del(`/api/v1/customers/${c.id}`), 404, 'not_found');
      expectError(await get(`/api/v1/customers/lookup?type=phone&value=${phone}`), 404, 'not_found');
      expectError(await get(`/api/v1/customers/lookup?type=wechat_unionid&value=${unionid}`), 404, 'not_found');
      const list = await listAll(srv.baseUrl, '/api/v1/customers', auth());
      assert.ok(!list.some((x) => x.id === c.id), 'deleted customer still listed');
      const q = await get(`/api/v1/customers?q=${unionid}`);
      assert.deepEqual(q.body.data, []);

      const again = await createCustomer({ name: 'Reborn', phone, member_no: member, identifiers: [{ type: 'wechat_unionid', value: unionid }] });
      assert.notEqual(again.id, c.id);
      assert.equal((await get(`/api/v1/customers/lookup?type=wechat_unionid&value=${unionid}`)).body.id, again.id);

      const audit = await get('/api/v1/audit-log?action=customer.delete');
      assert.ok(audit.body.data.some((e) => String(e.target_id) === String(c.id) && e.target_type), 'customer.delete not audited');
    });

    test('phone numbers are normalised to E.164', async () => {
      const p = mobile();
      const spaced = `${p.slice(0, 3)} ${p.slice(3, 7)} ${p.slice(7)}`;
      assert.equal((await createCustomer({ name: 'n1', phone: spaced })).phone, `+86${p}`);
      const p2 = mobile();
      assert.equal((await createCustomer({ name: 'n2', phone: `+86 ${p2}` })).phone, `+86${p2}`);
      const p3 = mobile();
      assert.equal((await createCustomer({ name: 'n3', phone: `+86${p3}` })).phone, `+86${p3}`);
      const us = `+1415555${String(Date.now() % 10000).padStart(4, '0')}`;
      assert.equal((await createCustomer({ name: 'n4', phone: us })).phone, us);
    });

    test('invalid phone numbers answer 400 invalid_argument (phone)', async () => {
      const snap = await snapshot();
      for (const phone of ['12345', '1381234567', '138123456789', 'abc', '+86 1381234567a', '+86 138']) {
        expectError(await post('/api/v1/customers', { name: 'bad phone', phone }), 400, 'invalid_argument', 'phone');
      }
      expectError(await post('/api/v1/customers', { name: 'bad phone', phone: 13812345678 }), 400, 'invalid_argument', 'phone');
      await assertUnchanged(snap, null, 'invalid phones');
    });

    test('an empty phone is not a phone number (400), null means none', async () => {
      const snap = await snapshot();
      expectError(await post('/api/v1/customers', { name: 'empty phone', phone: '' }), 400, 'invalid_argument', 'phone');
      expectError(await post('/api/v1/customers', { name: 'blank phone', phone: '   ' }), 400, 'invalid_argument', 'phone');
      await assertUnchanged(snap, null, 'empty phone');
      assert.equal((await createCustomer({ name: 'null phone', phone: null })).phone, null);
    });

    test('a taken identifier answers 409 already_exists naming the field', async () => {
      const phone = mobile();
      const email = `${uniq('dup')}@example.com`;
      const member = uniq('M');
      const unionid = uniq('o6_');
      const first = await createCustomer({ name: 'First', phone, email, member_no: member, identifiers: [{ type: 'wechat_unionid', value: unionid }] });
      const other = await createCustomer({ name: 'Other' });
      const snap = await snapshot(`/api/v1/customers/${other.id}`);
      expectError(await post('/api/v1/customers', { name: 'Second', phone: `+86 ${phone}` }), 409, 'already_exists', 'phone');
      expectError(await post('/api/v1/customers', { name: 'Second', email }), 409, 'already_exists', 'email');
      expectError(await post('/api/v1/customers', { name: 'Second', member_no: member }), 409, 'already_exists', 'member_no');
      expectError(
        await post('/api/v1/customers', { name: 'Second', identifiers: [{ type: 'wechat_unionid', value: unionid }] }),
        409,
        'already_exists',
        /^identifiers/,
      );
      expectError(await patch(`/api/v1/customers/${other.id}`, { phone }), 409, 'already_exists', 'phone');
      expectError(await patch(`/api/v1/customers/${other.id}`, { email, name: 'renamed' }), 409, 'already_exists', 'email');
      await assertUnchanged(snap, `/api/v1/customers/${other.id}`, 'duplicate identifiers');
      assert.equal((await get(`/api/v1/customers/lookup?type=phone&value=${phone}`)).body.id, first.id);
    });

    test('lookup by type and value', async () => {
      const phone = mobile();
      const openid = uniq('oOpen_');
      const card = uniq('card');
      const c = await createCustomer({
        name: 'Lookup',
        phone,
        identifiers: [
          { type: 'wechat_openid', value: openid },
          { type: 'custom:loyalty_card', value: card },
        ],
      });
      const byLocal = await get(`/api/v1/customers/lookup?type=phone&value=${phone}`);
      assert.equal(byLocal.status, 200);
      assert.equal(byLocal.body.id, c.id);
      assert.deepEqual(byLocal.body, (await get(`/api/v1/customers/${c.id}`)).body);
      const byE164 = await get(`/api/v1/customers/lookup?type=phone&value=${encodeURIComponent('+86' + phone)}`);
      assert.equal(byE164.body.id, c.id);
      assert.equal((await get(`/api/v1/customers/lookup?type=wechat_openid&value=${openid}`)).body.id, c.id);
      assert.equal((await get(`/api/v1/customers/lookup?type=${encodeURIComponent('custom:loyalty_card')}&value=${card}`)).body.id, c.id);
      expectError(await get(`/api/v1/customers/lookup?type=wechat_unionid&value=${openid}`), 404, 'not_found');
      expectError(await get(`/api/v1/customers/lookup?type=phone&value=${mobile()}`), 404, 'not_found');
      expectError(await get(`/api/v1/customers/lookup?type=qq&value=1`), 400, 'invalid_argument', 'type');
      expectError(await get(`/api/v1/customers/lookup?type=phone`), 400, 'invalid_argument', 'value');
      expectError(await get(`/api/v1/customers/lookup?value=${phone}`), 400, 'invalid_argument', 'type');
    });

    test('identifier types are validated', async () => {
      const snap = await snapshot();
      const bad = [
        [{ type: 'qq', value: '1' }],
        [{ type: 'custom:', value: '1' }],
        [{ type: 'custom:Upper', value: '1' }],
        [{ type: `custom:${'a'.repeat(33)}`, value: '1' }],
        [{ type: 'wechat_openid', value: '' }],
        [{ type: 'wechat_openid' }],
        [{ value: 'x' }],
        [{ type: 'wechat_openid', value: 5 }],
        [1],
        ['wechat_openid:x'],
      ];
      for (const identifiers of bad) {
        const res = await post('/api/v1/customers', { name: 'bad ids', identifiers });
        expectError(res, 400, 'invalid_argument', /^identifiers/);
      }
      await assertUnchanged(snap, null, 'bad identifiers');
      for (const type of ['user_id', 'anonymous_id', 'wecom_external_userid', 'taobao_ouid', `custom:${'z'.repeat(32)}`]) {
        const c = await createCustomer({ name: `id ${type}`, identifiers: [{ type, value: uniq('v') }] });
        assert.ok(c.identifiers.some((i) => i.type === type));
      }
    });

    test('list pages with a cursor, newest first', async () => {
      const tag = uniq('pg');
      const created = [];
      for (let i = 0; i < 30; i++) created.push(await createCustomer({ name: `${tag} ${String(i).padStart(2, '0')}` }));
      const seen = [];
      const pageSizes = [];
      let cursor = null;
      for (let i = 0; i < 10; i++) {
        const res = await get(`/api/v1/customers?name=${tag}&limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.ok('next_cursor' in res.body);
        pageSizes.push(res.body.data.length);
        seen.push(...res.body.data);
        cursor = res.body.next_cursor;
        if (cursor === null) break;
        assert.equal(typeof cursor, 'string');
      }
      assert.equal(cursor, null, 'pagination did not end');
      assert.deepEqual(pageSizes, [7, 7, 7, 7, 2]);
      assert.equal(new Set(seen.map((c) => c.id)).size, 30, 'duplicates across pages');
      assert.deepEqual(new Set(seen.map((c) => c.id)), new Set(created.map((c) => c.id)));
      for (let i = 1; i < seen.length; i++) {
        assert.ok(Date.parse(seen[i - 1].created_at) >= Date.parse(seen[i].created_at), 'not newest first');
      }
      assert.equal(seen[0].id, created[29].id, 'the newest customer is not first');
      assert.equal(seen[29].id, created[0].id, 'the oldest customer is not last');

      const all = await listAll(srv.baseUrl, '/api/v1/customers', auth());
      const by7 = await listAll(srv.baseUrl, '/api/v1/customers', auth(), 7);
      assert.equal(by7.length, all.length);
      assert.equal(new Set(by7.map((c) => c.id)).size, all.length);

      const dflt = await get('/api/v1/customers');
      assert.equal(dflt.body.data.length, Math.min(50, all.length), 'default limit is 50');
      if (all.length <= 50) assert.equal(dflt.body.next_cursor, null);
    });

    test('invalid limit and cursor answer 400', async () => {
      for (const limit of ['0', '201', '-1', 'abc', '1.5']) {
        expectError(await get(`/api/v1/customers?limit=${limit}`), 400, 'invalid_argument', 'limit');
      }
      assert.equal((await get('/api/v1/customers?limit=200')).status, 200);
      assert.equal((await get('/api/v1/customers?limit=1')).body.data.length, 1);
      expectError(await get('/api/v1/customers?cursor=not-a-cursor'), 400, 'invalid_argument', 'cursor');
    });

    test('list filters: q, name, phone, store_id, created range', async () => {
      const tag = uniq('flt');
      const phone = mobile();
      const unionid = uniq('o6_f_');
      const t0 = new Date(Date.now() - 1000).toISOString();
      const target = await createCustomer({
        name: `张${tag}伟`,
        phone,
        store_id: storeB.id,
        identifiers: [{ type: 'wechat_unionid', value: unionid }],
      });
      const other = await createCustomer({ name: `李${tag}娜`, store_id: storeA.id });
      await sleep(20);
      const t1 = new Date(Date.now() + 1000).toISOString();
      const ids = async (query) => {
        const rows = await listAll(srv.baseUrl, `/api/v1/customers?${query}`, auth());
        return rows.map((c) => c.id).sort((a, b) => a - b);
      };
      const enc = encodeURIComponent;
      assert.deepEqual(await ids(`q=${phone}`), [target.id], 'q by phone');
      assert.deepEqual(await ids(`q=${enc('+86' + phone)}`), [target.id], 'q by E.164 phone');
      assert.deepEqual(await ids(`q=${unionid}`), [target.id], 'q by identifier');
      assert.deepEqual(await ids(`q=${unionid.slice(0, -2)}`), [], 'q matches identifiers exactly');
      assert.deepEqual(await ids(`q=${enc(tag)}`), [target.id, other.id].sort((a, b) => a - b), 'q by name substring');
      assert.deepEqual(await ids(`q=${enc('张' + tag)}`), [target.id]);
      assert.deepEqual(await ids(`name=${enc(tag + '娜')}`), [other.id], 'name substring');
      assert.deepEqual(await ids(`phone=${enc(`${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`)}`), [target.id], 'phone normalised');
      const near = phone.slice(0, 10) + String((Number(phone[10]) + 1) % 10);
      assert.ok(!(await ids(`phone=${near}`)).includes(target.id), 'phone is exact');
      assert.deepEqual(await ids(`name=${enc(tag)}&store_id=${storeB.id}`), [target.id], 'store_id');
      assert.deepEqual(await ids(`name=${enc(tag)}&created_from=${enc(t0)}&created_to=${enc(t1)}`), [target.id, other.id].sort((a, b) => a - b));
      assert.deepEqual(await ids(`name=${enc(tag)}&created_from=${enc(t1)}`), [], 'created_from after creation');
      assert.deepEqual(await ids(`name=${enc(tag)}&created_to=${enc(t0)}`), [], 'created_to before creation');
      const tz = 'Asia/Shanghai';
      const today = dateInZone(tz);
      assert.deepEqual(await ids(`name=${enc(tag)}&created_from=${today}&created_to=${today}`), [target.id, other.id].sort((a, b) => a - b), 'date-only range covers the whole day');
      assert.deepEqual(await ids(`name=${enc(tag)}&created_from=${dateInZone(tz, 1)}`), [], 'created_from tomorrow');
      assert.deepEqual(await ids(`name=${enc(tag)}&created_to=${dateInZone(tz, -1)}`), [], 'created_to yesterday');
      expectError(await get('/api/v1/customers?created_from=yesterday'), 400, 'invalid_argument', 'created_from');
      expectError(await get('/api/v1/customers?created_to=2026-13-45'), 400, 'invalid_argument', 'created_to');
      expectError(await get('/api/v1/customers?store_id=abc'), 400, 'invalid_argument', 'store_id');
      expectError(await get('/api/v1/customers?phone=12345'), 400, 'invalid_argument', 'phone');
    });

    test('unknown fields answer 400 unknown_field naming the field', async () => {
      const c = await createCustomer({ name: 'Unknown fields' });
      const snap = await snapshot(`/api/v1/customers/${c.id}`);
      expectError(await post('/api/v1/customers', { name: 'x', nmae: 'typo' }), 400, 'unknown_field', 'nmae');
      expectError(await post('/api/v1/customers', { name: 'x', id: 5 }), 400, 'unknown_field', 'id');
      expectError(await post('/api/v1/customers', { name: 'x', created_at: '2020-01-01T00:00:00.000Z' }), 400, 'unknown_field', 'created_at');
      expectError(await patch(`/api/v1/customers/${c.id}`, { name: 'y', favourite_colour: 'red' }), 400, 'unknown_field', 'favourite_colour');
      await assertUnchanged(snap, `/api/v1/customers/${c.id}`, 'unknown fields');
    });

    test('wrong types answer 400 invalid_argument naming the field', async () => {
      const c = await createCustomer({ name: 'Typed', store_id: storeA.id });
      const snap = await snapshot(`/api/v1/customers/${c.id}`);
      const cases = [
        [{ name: 123 }, 'name'],
        [{ name: ['a'] }, 'name'],
        [{ name: 'x', store_id: String(storeA.id) }, 'store_id'],
        [{ name: 'x', store_id: 1.5 }, 'store_id'],
        [{ name: 'x', store_id: 987654321 }, 'store_id'],
        [{ name: 'x', traits: ['a'] }, 'traits'],
        [{ name: 'x', traits: 'city=上海' }, 'traits'],
        [{ name: 'x', identifiers: { type: 'phone' } }, 'identifiers'],
        [{ name: 'x', identifiers: 'x' }, 'identifiers'],
        [{ name: 'x', gender: 'robot' }, 'gender'],
        [{ name: 'x', gender: 1 }, 'gender'],
        [{ name: 'x', birthday: '1990-13-40' }, 'birthday'],
        [{ name: 'x', birthday: '17/05/1990' }, 'birthday'],
        [{ name: 'x', birthday: '1990-02-30' }, 'birthday'],
        [{ name: 'x', email: 'not-an-email' }, 'email'],
        [{ name: 'x', email: 42 }, 'email'],
        [{ name: 'x', member_no: 1234 }, 'member_no'],
      ];
      for (const [body, field] of cases) {
        expectError(await post('/api/v1/customers', body), 400, 'invalid_argument', field);
      }
      for (const [body, field] of cases) {
        expectError(await patch(`/api/v1/customers/${c.id}`, body), 400, 'invalid_argument', field);
      }
      await assertUnchanged(snap, `/api/v1/customers/${c.id}`, 'wrong types');
    });

    test('traits are limited to 64 KiB', async () => {
      const ok = await createCustomer({ name: 'Big traits', traits: { blob: 'a'.repeat(60_000) } });
      assert.equal(ok.traits.blob.length, 60_000);
      const snap = await snapshot(`/api/v1/customers/${ok.id}`);
      expectError(await post('/api/v1/customers', { name: 'Too big', traits: { blob: 'a'.repeat(70_000) } }), 400, 'invalid_argument', 'traits');
      expectError(await patch(`/api/v1/customers/${ok.id}`, { traits: { blob: 'b'.repeat(70_000) } }), 400, 'invalid_argument', 'traits');
      await assertUnchanged(snap, `/api/v1/customers/${ok.id}`, 'traits too big');
    });

    test('malformed and non-object JSON answers 400 invalid_json', async () => {
      const c = await createCustomer({ name: 'Json' });
      const snap = await snapshot(`/api/v1/customers/${c.id}`);
      for (const rawBody of ['{"name":', '{name: "x"}', "{'name':'x'}", '{"name":"x"} trailing', '', '[{"name":"x"}]', '"x"', '42', 'null', 'true']) {
        expectError(await api(srv.baseUrl, 'POST', '/api/v1/customers', { cookie, rawBody }), 400, 'invalid_json');
        expectError(await api(srv.baseUrl, 'PATCH', `/api/v1/customers/${c.id}`, { cookie, rawBody }), 400, 'invalid_json');
      }
      expectError(await api(srv.baseUrl, 'POST', '/api/v1/customers', { cookie, rawBody: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }), 400, 'invalid_json');
      await assertUnchanged(snap, `/api/v1/customers/${c.id}`, 'invalid JSON');
    });

    test('a body over the limit answers 413 payload_too_large', async () => {
      const snap = await snapshot();
      const big = Buffer.from(JSON.stringify({ name: 'huge', traits: { blob: 'x'.repeat(BODY_LIMIT + 1024) } }));
      const headers = { cookie, 'content-type': 'application/json' };
      const r1 = await rawRequest(srv.baseUrl, 'POST', '/api/v1/customers', { headers, body: big });
      expectError(r1, 413, 'payload_too_large');
      const r2 = await rawRequest(srv.baseUrl, 'POST', '/api/v1/customers', { headers, body: big, chunked: true });
      expectError(r2, 413, 'payload_too_large');
      await assertUnchanged(snap, null, 'oversized body');
      const justUnder = Buffer.from(JSON.stringify({ name: 'fits', traits: { blob: 'x'.repeat(50_000) } }));
      const r3 = await rawRequest(srv.baseUrl, 'POST', '/api/v1/customers', { headers, body: justUnder });
      assert.ok(CREATED.includes(r3.status), `${r3.status} ${r3.text.slice(0, 200)}`);
    });

    test('unknown customer ids answer 404', async () => {
      expectError(await get('/api/v1/customers/987654321'), 404, 'not_found');
      expectError(await patch('/api/v1/customers/987654321', { name: 'x' }), 404, 'not_found');
      expectError(await del('/api/v1/customers/987654321'), 404, 'not_found');
      const nonNumeric = await get('/api/v1/customers/abc');
      assert.ok([400, 404].includes(nonNumeric.status), `GET /api/v1/customers/abc: ${nonNumeric.status}`);
      assert.ok(nonNumeric.body?.error, 'error shape');
    });
  });
});

// Segment-compatible tracking API (/v1/*): authentication, bodies, validation, idempotency,
// clock correction, money, identity resolution, computed attributes, timelines and tenancy.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import {
  startServer,
  loginOk,
  api,
  rawRequest,
  expectError,
  expectOk,
  listAll,
  cliValue,
  uniq,
  CREATED,
  DELETED,
  TIMESTAMP_RE,
} from './lib/server.mjs';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const KB = 1024;
const SKEW_TOLERANCE_MS = 5000;

const iso = (ms) => new Date(ms).toISOString();
const mid = () => crypto.randomUUID();
const basic = (key) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });
const gzip = (obj) => zlib.gzipSync(Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj)));

let phoneSeq = 0;
/** An unused Chinese mobile number in local form (139xxxxxxxx). */
function mobile() {
  phoneSeq += 1;
  const n = (crypto.randomInt(0, 1e6) * 100 + phoneSeq) % 1e8;
  return `139${String(n).padStart(8, '0')}`;
}

/** `type:value` of every identifier of a customer. */
const idSet = (c) => new Set((c.identifiers ?? []).map((i) => `${i.type}:${i.value}`));

describe('tracking API', () => {
  let srv;
  let wk;
  let sk;
  let cookie;

  const healthz = async (what) => {
    const h = await api(srv.baseUrl, 'GET', '/healthz');
    assert.equal(h.status, 200, `${what}: /healthz after the bad request`);
  };

  /** POSTs a message or batch; auth is 'basic' (default), 'body' (writeKey in the body) or 'none'. */
  function send(path, body, { key = wk, auth = 'basic', headers = {} } = {}) {
    const h = { ...headers };
    let b = body;
    if (auth === 'basic') Object.assign(h, basic(key));
    else if (auth === 'body') b = { ...body, writeKey: key };
    return api(srv.baseUrl, 'POST', path, { body: b, headers: h });
  }

  async function sendOk(path, body, opts) {
    const res = await send(path, body, opts);
    assert.equal(res.status, 200, `POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    assert.equal(res.body?.success, true, `POST ${path}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function batchOk(messages, opts = {}) {
    const { extra = {}, path = '/v1/batch', ...rest } = opts;
    return sendOk(path, { batch: messages, ...extra }, rest);
  }

  /**
   * Checks a batch answer. `accepted` may count all acknowledged messages or only the newly
   * stored ones; both readings of the contract are allowed, nothing else.
   */
  function assertBatchAnswer(body, { stored, duplicates = 0, rejected = [] }, what = 'batch') {
    const ctx = `${what}: ${JSON.stringify(body)}`;
    assert.equal(body.success, true, ctx);
    assert.equal(body.duplicates, duplicates, `duplicates, ${ctx}`);
    assert.ok(
      body.accepted === stored || body.accepted === stored + duplicates,
      `accepted should be ${stored}${duplicates ? ` (or ${stored + duplicates})` : ''}, ${ctx}`,
    );
    assert.ok(Array.isArray(body.rejected), `rejected is not an array, ${ctx}`);
    const got = [...body.rejected].sort((a, b) => a.index - b.index);
    assert.deepEqual(
      got.map((r) => r.index),
      rejected.map(([i]) => i),
      `rejected indexes, ${ctx}`,
    );
    for (let k = 0; k < got.length; k++) {
      const [index, field] = rejected[k];
      const r = got[k];
      assert.equal(r.code, 'invalid_argument', `rejected[${index}].code, ${ctx}`);
      assert.equal(typeof r.message, 'string', `rejected[${index}].message, ${ctx}`);
      assert.ok(r.message.length > 0, `rejected[${index}].message is empty, ${ctx}`);
      if (field instanceof RegExp) assert.match(String(r.field), field, `rejected[${index}].field, ${ctx}`);
      else assert.equal(r.field, field, `rejected[${index}].field, ${ctx}`);
    }
  }

  async function bad(res, status, code, field, what) {
    const err = expectError(res, status, code, field);
    await healthz(what ?? `${status} ${code}`);
    return err;
  }

  const read = (p, token = sk) => api(srv.baseUrl, 'GET', p, { token });

  async function lookup(type, value, token = sk) {
    const r = await read(`/api/v1/customers/lookup?type=${encodeURIComponent(type)}&value=${encodeURIComponent(value)}`, token);
    if (r.status === 404) return null;
    assert.equal(r.status, 200, `lookup ${type}=${value}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async function mustLookup(type, value, token = sk) {
    const c = await lookup(type, value, token);
    assert.ok(c, `no customer holds ${type}=${value}`);
    return c;
  }

  async function customer(id, token = sk) {
    const r = await read(`/api/v1/customers/${id}`, token);
    assert.equal(r.status, 200, `GET customer ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  function timeline(id, query = '', token = sk, limit = 200) {
    return listAll(srv.baseUrl, `/api/v1/customers/${id}/events${query ? `?${query}` : ''}`, { token }, limit);
  }

  async function createKey(tenantId, kind) {
    const r = srv.cli(['apikey', 'create', '--tenant-id', String(tenantId), '--name', uniq('k-'), '--kind', kind]);
    assert.equal(r.code, 0, `apikey create: ${r.stderr}`);
    const key = cliValue(r.stdout, 'key');
    assert.ok(key, `apikey create printed no key: ${r.stdout}`);
    return { key, id: Number(cliValue(r.stdout, 'api_key_id')) };
  }

  before(async () => {
    srv = await startServer();
    wk = (await createKey(1, 'write')).key;
    assert.match(wk, /^wk_/);
    sk = (await createKey(1, 'secret')).key;
    assert.match(sk, /^sk_/);
    cookie = await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword);
  });

  after(async () => {
    if (!srv) return;
    const crashed = srv.proc.exitCode !== null || srv.proc.signalCode !== null;
    await srv.stop();
    assert.ok(!crashed, `the server died during the tests (${srv.proc.exitCode ?? srv.proc.signalCode})\n${srv.stderrTail()}`);
  });

  const SINGLE = {
    track: (userId) => ({ userId, event: 'Product Viewed', properties: { product_id: 'P-1', name: '保温杯' } }),
    identify: (userId) => ({ userId, traits: { name: '王芳' } }),
    alias: (userId) => ({ userId, previousId: uniq('prev-anon-') }),
    page: (userId) => ({ userId, name: 'Home', properties: { path: '/' } }),
    screen: (userId) => ({ userId, name: 'Cart' }),
    group: (userId) => ({ userId, groupId: uniq('grp-'), traits: { name: 'VIP' } }),
  };

  describe('endpoints and authentication', () => {
    for (const auth of ['basic', 'body']) {
      for (const ep of Object.keys(SINGLE)) {
        test(`/v1/${ep} with ${auth === 'basic' ? 'Basic auth' : 'writeKey in the body'} stores one ${ep} event`, async () => {
          const userId = uniq(`${ep}-${auth}-`);
          const messageId = mid();
          await sendOk(`/v1/${ep}`, { ...SINGLE[ep](userId), messageId }, { auth });
          const c = await mustLookup('user_id', userId);
          assert.ok(idSet(c).has(`user_id:${userId}`));
          const ev = await timeline(c.id);
          assert.equal(ev.length, 1, JSON.stringify(ev));
          assert.equal(ev[0].message_id, messageId);
          assert.equal(ev[0].type, ep, 'the type comes from the path when the body has none');
          if (ep === 'track') assert.equal(ev[0].event, 'Product Viewed');
          assert.equal(ev[0].customer_id, c.id);
        });
      }

      for (const ep of ['batch', 'import']) {
        test(`/v1/${ep} with ${auth === 'basic' ? 'Basic auth' : 'writeKey in the body'} stores every message`, async () => {
          const userId = uniq(`${ep}-${auth}-`);
          const msgs = Object.entries(SINGLE).map(([type, make]) => ({ type, ...make(userId), messageId: mid() }));
          const body = await batchOk(msgs, { auth, path: `/v1/${ep}` });
          assertBatchAnswer(body, { stored: msgs.length });
          const c = await mustLookup('user_id', userId);
          const ev = await timeline(c.id);
          assert.deepEqual(
            ev.map((e) => e.message_id).sort(),
            msgs.map((m) => m.messageId).sort(),
          );
          for (const m of msgs) assert.equal(ev.find((e) => e.message_id === m.messageId).type, m.type);
        });
      }
    }

    test('missing, wrong and non-write credentials answer 401 and store nothing', async () => {
      for (const ep of [...Object.keys(SINGLE), 'batch']) {
        const userId = uniq(`unauth-${ep}-`);
        const msg = ep === 'batch' ? { batch: [{ type: 'track', userId, event: 'X', messageId: mid() }] } : { ...SINGLE[ep](userId), messageId: mid() };
        const p = `/v1/${ep}`;
        const cases = [
          ['no credentials', () => send(p, msg, { auth: 'none' })],
          ['an unknown write key', () => send(p, msg, { key: `wk_${crypto.randomBytes(16).toString('hex')}` })],
          ['an unknown write key in the body', () => send(p, msg, { auth: 'body', key: 'wk_nope' })],
          ['a secret key as Basic user', () => send(p, msg, { key: sk })],
          ['a secret key in the body', () => send(p, msg, { auth: 'body', key: sk })],
          ['a secret key as Bearer', () => send(p, msg, { auth: 'none', headers: { authorization: `Bearer ${sk}` } })],
          ['a write key as Bearer', () => send(p, msg, { auth: 'none', headers: { authorization: `Bearer ${wk}` } })],
          ['a console session', () => send(p, msg, { auth: 'none', headers: { cookie } })],
          ['a malformed Basic header', () => send(p, msg, { auth: 'none', headers: { authorization: 'Basic %%%not-base64' } })],
        ];
        for (const [what, call] of cases) {
          await bad(await call(), 401, 'unauthenticated', undefined, `${p} with ${what}`);
        }
        assert.equal(await lookup('user_id', userId), null, `${p}: a rejected request created a customer`);
      }
    });

    test('a write key is not accepted by /api/v1', async () => {
      await bad(await api(srv.baseUrl, 'GET', '/api/v1/customers', { token: wk }), 401, 'unauthenticated');
    });

    test('a write key revoked through the API stops working at once', async () => {
      const created = expectOk(await api(srv.baseUrl, 'POST', '/api/v1/api-keys', { token: sk, body: { name: uniq('wk-'), kind: 'write' } }), CREATED);
      assert.match(created.key, /^wk_/);
      const u1 = uniq('revoke-');
      await sendOk('/v1/track', { userId: u1, event: 'Before' }, { key: created.key });
      expectOk(await api(srv.baseUrl, 'DELETE', `/api/v1/api-keys/${created.id}`, { token: sk }), DELETED);
      const u2 = uniq('revoked-');
      await bad(await send('/v1/track', { userId: u2, event: 'After' }, { key: created.key }), 401, 'unauthenticated');
      assert.equal(await lookup('user_id', u2), null);
    });

    test('GET on a tracking path answers 405 with Allow', async () => {
      const res = await api(srv.baseUrl, 'GET', '/v1/track', { headers: basic(wk) });
      await bad(res, 405, 'method_not_allowed');
      assert.match(res.headers.get('allow') ?? '', /POST/);
    });
  });

  describe('bodies', () => {
    const gz = (p, obj, headers) =>
      api(srv.baseUrl, 'POST', p, { rawBody: gzip(obj), headers: { 'content-type': 'application/json', ...headers } });

    test('gzip with Content-Encoding: gzip', async () => {
      const u = uniq('gz-');
      const m1 = mid();
      const r1 = await gz('/v1/track', { userId: u, event: 'Gz Single', messageId: m1 }, { ...basic(wk), 'content-encoding': 'gzip' });
      assert.equal(r1.status, 200, JSON.stringify(r1.body));
      const msgs = [1, 2, 3].map((i) => ({ type: 'track', userId: u, event: `Gz ${i}`, messageId: mid() }));
      const r2 = await gz('/v1/batch', { batch: msgs }, { ...basic(wk), 'content-encoding': 'gzip' });
      assert.equal(r2.status, 200, JSON.stringify(r2.body));
      assertBatchAnswer(r2.body, { stored: 3 });
      const ev = await timeline((await mustLookup('user_id', u)).id);
      assert.deepEqual(ev.map((e) => e.message_id).sort(), [m1, ...msgs.map((m) => m.messageId)].sort());
    });

    test('gzip bytes labelled only as application/json are decompressed', async () => {
      const u = uniq('gzlabel-');
      const m1 = mid();
      const r1 = await gz('/v1/track', { userId: u, event: 'Mislabelled', messageId: m1 }, basic(wk));
      assert.equal(r1.status, 200, JSON.stringify(r1.body));
      const msgs = [1, 2].map((i) => ({ type: 'page', userId: u, name: `P${i}`, messageId: mid() }));
      const r2 = await gz('/v1/batch', { batch: msgs, writeKey: wk }, {});
      assert.equal(r2.status, 200, `writeKey inside a gzip body: ${JSON.stringify(r2.body)}`);
      assertBatchAnswer(r2.body, { stored: 2 });
      const ev = await timeline((await mustLookup('user_id', u)).id);
      assert.deepEqual(ev.map((e) => e.message_id).sort(), [m1, ...msgs.map((m) => m.messageId)].sort());
    });

    test('a corrupt gzip body answers 400 and stores nothing', async () => {
      const good = gzip({ batch: [{ type: 'track', userId: uniq('corrupt-'), event: 'X' }] });
      const broken = Buffer.concat([good.subarray(0, 12), Buffer.from('garbage garbage garbage')]);
      const res = await api(srv.baseUrl, 'POST', '/v1/batch', {
        rawBody: broken,
        headers: { ...basic(wk), 'content-type': 'application/json', 'content-encoding': 'gzip' },
      });
      await bad(res, 400, 'invalid_json');
    });

    test('a message over 32 KB answers 413; one just below is stored', async () => {
      const u = uniq('big-');
      const near = { userId: u, event: 'Near Limit', messageId: mid(), properties: { blob: 'a'.repeat(30 * KB) } };
      await sendOk('/v1/track', near);
      const over = { userId: u, event: 'Over Limit', messageId: mid(), properties: { blob: 'a'.repeat(33 * KB) } };
      await bad(await send('/v1/track', over), 413, 'payload_too_large');
      const zipped = await gz('/v1/track', { ...over, messageId: mid() }, { ...basic(wk), 'content-encoding': 'gzip' });
      assert.ok(gzip(over).length < 2 * KB);
      await bad(zipped, 413, 'payload_too_large', undefined, 'a gzip message over 32 KB once decompressed');
      const ev = await timeline((await mustLookup('user_id', u)).id);
      assert.deepEqual(ev.map((e) => e.message_id), [near.messageId]);
    });

    test('a batch over 500 KB answers 413 and stores nothing; one of 450 KB is stored', async () => {
      const okUser = uniq('bigbatch-ok-');
      const okMsgs = Array.from({ length: 18 }, () => ({ type: 'track', userId: okUser, event: 'Chunk', messageId: mid(), properties: { blob: 'b'.repeat(25 * KB - 200) } }));
      assert.ok(JSON.stringify({ batch: okMsgs }).length < 460 * KB);
      const okBody = Buffer.from(JSON.stringify({ batch: okMsgs }));
      const r1 = await rawRequest(srv.baseUrl, 'POST', '/v1/batch', { headers: { ...basic(wk), 'content-type': 'application/json' }, body: okBody });
      assert.equal(r1.status, 200, r1.text.slice(0, 300));
      assertBatchAnswer(r1.body, { stored: 18 });

      const badUser = uniq('bigbatch-');
      const msgs = Array.from({ length: 22 }, () => ({ type: 'track', userId: badUser, event: 'Chunk', messageId: mid(), properties: { blob: 'c'.repeat(25 * KB) } }));
      const body = Buffer.from(JSON.stringify({ batch: msgs }));
      assert.ok(body.length > 520 * KB && body.length < 1000 * KB);
      const r2 = await rawRequest(srv.baseUrl, 'POST', '/v1/batch', { headers: { ...basic(wk), 'content-type': 'application/json' }, body });
      await bad(r2, 413, 'payload_too_large', undefined, 'batch over 500 KB');
      const r3 = await gz('/v1/batch', { batch: msgs }, { ...basic(wk), 'content-encoding': 'gzip' });
      await bad(r3, 413, 'payload_too_large', undefined, 'gzip batch over 500 KB once decompressed');
      assert.equal(await lookup('user_id', badUser), null, 'an oversized batch stored something');
      assert.equal((await timeline((await mustLookup('user_id', okUser)).id)).length, 18);
    });

    test('malformed JSON answers 400 invalid_json and stores nothing', async () => {
      const u = uniq('malformed-');
      const full = JSON.stringify({ batch: [{ type: 'track', userId: u, event: 'X', messageId: mid() }, { type: 'track', userId: u, event: 'Y' }] });
      const cases = [
        ['/v1/batch', full.slice(0, -3)],
        ['/v1/batch', `${full}}`],
        ['/v1/batch', ''],
        ['/v1/batch', '[]'],
        ['/v1/batch', '"batch"'],
        ['/v1/track', `{"userId":"${u}","event":`],
        ['/v1/track', '[{"userId":"x","event":"y"}]'],
        ['/v1/identify', 'userId=x'],
      ];
      for (const [p, raw] of cases) {
        const res = await api(srv.baseUrl, 'POST', p, { rawBody: raw, headers: basic(wk) });
        await bad(res, 400, 'invalid_json', undefined, `${p} ${JSON.stringify(raw.slice(0, 40))}`);
      }
      for (const raw of ['{"batch":{"type":"track"}}', '{"batch":"x"}', '{}', `{"batch":null}`]) {
        const res = await api(srv.baseUrl, 'POST', '/v1/batch', { rawBody: raw, headers: basic(wk) });
        await bad(res, 400, 'invalid_argument', 'batch', `batch body ${raw}`);
      }
      assert.equal(await lookup('user_id', u), null);
    });
  });

  describe('validation', () => {
    test('a batch mixing valid and invalid messages stores the valid ones and lists the others', async () => {
      const u = uniq('mix-');
      const anon = uniq('mixanon-');
      const numericId = 7_000_000_000 + crypto.randomInt(0, 1e9);
      const now = Date.now();
      const badIds = [];
      const b = () => {
        const id = uniq('mixbad-');
        badIds.push(id);
        return id;
      };
      const order = (revenue, currency = 'CNY') => ({ order_id: uniq('o-'), revenue, currency });
      const entries = [
        [{ type: 'track', userId: u, event: 'Product Viewed', properties: { product_id: 'p1' } }, null],
        [{ type: 'track', event: 'Orphan', properties: { x: 1 } }, /^(userId|anonymousId)$/],
        [{ type: 'track', userId: b(), properties: {} }, 'event'],
        [{ type: 'track', userId: b(), event: 'Order Completed', properties: order('abc') }, 'properties.revenue'],
        [{ type: 'track', userId: b(), event: 'Future', timestamp: iso(now + 3 * DAY) }, 'timestamp'],
        [{ type: 'identify', userId: u, traits: { name: '混合' } }, null],
        [{ type: 'page', anonymousId: anon, name: 'Landing' }, null],
        [{ type: 'track', userId: b(), event: 'x'.repeat(201) }, 'event'],
        [{ type: 'track', userId: b(), event: '' }, 'event'],
        [{ type: 'track', userId: b(), event: 'Ancient', timestamp: '1999-12-31T23:59:59.000Z' }, 'timestamp'],
        [{ type: 'track', userId: b(), event: 'Garbled', timestamp: 'yesterday at noon' }, 'timestamp'],
        [{ type: 'track', userId: b(), event: 'Long Id', messageId: 'm'.repeat(101) }, 'messageId'],
        [{ type: 'alias', userId: b() }, 'previousId'],
        [{ type: 'group', userId: b() }, 'groupId'],
        [{ type: 'bogus', userId: b(), event: 'X' }, 'type'],
        [{ userId: b(), event: 'No Type' }, 'type'],
        [{ type: 'track', userId: b(), event: 'Order Completed', properties: order(1.234) }, 'properties.revenue'],
        [{ type: 'track', userId: b(), event: 'Order Completed', properties: order(-5) }, 'properties.revenue'],
        [{ type: 'track', userId: true, event: 'Bool Id' }, 'userId'],
        [{ type: 'track', anonymousId: { id: 'x' }, event: 'Object Id' }, 'anonymousId'],
        [{ type: 'track', userId: numericId, event: 'Numeric Id' }, null],
        [{ type: 'track', userId: u, event: 'x'.repeat(200), timestamp: iso(now - 3 * HOUR) }, null],
        [{ type: 'track', userId: u, event: 'Long Message Id', messageId: `m-${'z'.repeat(96)}` }, null],
      ];
      const msgs = entries.map(([m]) => (m.messageId ? m : { ...m, messageId: mid() }));
      const body = await batchOk(msgs);
      const valid = entries.map(([, f], i) => (f === null ? i : -1)).filter((i) => i >= 0);
      assertBatchAnswer(body, {
        stored: valid.length,
        rejected: entries.map(([, f], i) => [i, f]).filter(([, f]) => f !== null),
      });

      const c = await mustLookup('user_id', u);
      const ev = await timeline(c.id);
      assert.deepEqual(
        ev.map((e) => e.message_id).sort(),
        [0, 5, 21, 22].map((i) => msgs[i].messageId).sort(),
      );
      const a = await mustLookup('anonymous_id', anon);
      assert.deepEqual((await timeline(a.id)).map((e) => e.message_id), [msgs[6].messageId]);
      const n = await mustLookup('user_id', String(numericId));
      assert.deepEqual((await timeline(n.id)).map((e) => e.event), ['Numeric Id']);
      for (const id of badIds) assert.equal(await lookup('user_id', id), null, `rejected message with userId ${id} created a customer`);
      await healthz('mixed batch');
    });

    test('an invalid single message answers 400 naming the field and stores nothing', async () => {
      const now = Date.now();
      const cases = [
        ['/v1/track', (u) => ({ userId: u }), 'event'],
        ['/v1/track', () => ({ event: 'Nobody' }), /^(userId|anonymousId)$/],
        ['/v1/identify', () => ({ traits: { name: 'x' } }), /^(userId|anonymousId)$/],
        ['/v1/alias', (u) => ({ userId: u }), 'previousId'],
        ['/v1/alias', () => ({ previousId: uniq('p-') }), 'userId'],
        ['/v1/group', (u) => ({ userId: u }), 'groupId'],
        ['/v1/page', (u) => ({ userId: u, timestamp: iso(now + 3 * DAY) }), 'timestamp'],
        ['/v1/track', (u) => ({ userId: u, event: 'Order Completed', properties: { order_id: 'o', revenue: 'abc', currency: 'CNY' } }), 'properties.revenue'],
        ['/v1/track', (u) => ({ userId: u, event: 'Order Completed', properties: { revenue: 10, currency: 'CNY' } }), 'properties.order_id'],
        [
          '/v1/track',
          (u) => ({ userId: u, event: 'Order Completed', properties: { order_id: 'o', revenue: 10, currency: 'CNY', products: [{ product_id: 'p', price: 'x' }] } }),
          /^properties\.products(\[0\]|\.0)\.price$/,
        ],
      ];
      for (const [p, make, field] of cases) {
        const u = uniq('single-bad-');
        const res = await send(p, { ...make(u), messageId: mid() });
        await bad(res, 400, 'invalid_argument', field, `${p} ${JSON.stringify(make('u')).slice(0, 80)}`);
        assert.equal(await lookup('user_id', u), null, `${p}: a rejected message created a customer`);
      }
    });
  });

  describe('idempotency', () => {
    test('a batch sent twice is stored once and the second answer counts duplicates', async () => {
      const u = uniq('idem-');
      const msgs = [
        { type: 'identify', userId: u, traits: { name: '重发' } },
        { type: 'track', userId: u, event: 'Order Completed', properties: { order_id: uniq('o-'), revenue: 10, currency: 'CNY' } },
        { type: 'track', userId: u, event: 'Product Viewed' },
        { type: 'page', userId: u, name: 'Home' },
        { type: 'screen', userId: u, name: 'Cart' },
      ].map((m) => ({ ...m, messageId: mid() }));
      assertBatchAnswer(await batchOk(msgs), { stored: 5 }, 'first send');
      const c = await mustLookup('user_id', u);
      const before = await timeline(c.id);
      assert.equal(before.length, 5);
      assertBatchAnswer(await batchOk(msgs), { stored: 0, duplicates: 5 }, 'second send');
      await sendOk('/v1/track', { ...msgs[1], type: undefined });
      const after = await timeline(c.id);
      assert.deepEqual(after.map((e) => e.id).sort(), before.map((e) => e.id).sort());
      const again = await customer(c.id);
      assert.equal(again.computed.order_count, 1);
      assert.equal(again.computed.total_spent, 1000);
    });

    test('a messageId repeated inside one batch is stored once', async () => {
      const u = uniq('idem-in-');
      const m = mid();
      const body = await batchOk([
        { type: 'track', userId: u, event: 'First', messageId: m },
        { type: 'track', userId: u, event: 'Second', messageId: m },
        { type: 'track', userId: u, event: 'Third', messageId: mid() },
      ]);
      assertBatchAnswer(body, { stored: 2, duplicates: 1 });
      const ev = await timeline((await mustLookup('user_id', u)).id);
      assert.deepEqual(ev.map((e) => e.event).sort(), ['First', 'Third']);
    });
  });

  describe('time', () => {
    async function storedTime(messageId, userId) {
      const ev = await timeline((await mustLookup('user_id', userId)).id);
      const e = ev.find((x) => x.message_id === messageId);
      assert.ok(e, `event ${messageId} not stored`);
      assert.match(e.timestamp, TIMESTAMP_RE);
      assert.match(e.received_at, TIMESTAMP_RE);
      return e;
    }

    const near = (actual, expected, what) =>
      assert.ok(
        Math.abs(Date.parse(actual) - expected) <= SKEW_TOLERANCE_MS,
        `${what}: stored ${actual}, expected about ${iso(expected)}`,
      );

    test('a client clock one hour behind is corrected with the message sentAt', async () => {
      const u = uniq('skew-');
      const now = Date.now();
      const m = mid();
      await sendOk('/v1/track', { userId: u, event: 'Skewed', messageId: m, timestamp: iso(now - HOUR - 60_000), sentAt: iso(now - HOUR) });
      const e = await storedTime(m, u);
      near(e.timestamp, now - 60_000, 'timestamp + (receivedAt - sentAt)');
      near(e.received_at, now, 'received_at');
    });

    test('the batch sentAt corrects every message of the batch', async () => {
      const u = uniq('skewbatch-');
      const now = Date.now();
      const msgs = [60_000, 120_000].map((ago) => ({ type: 'track', userId: u, event: `Ago ${ago}`, messageId: mid(), timestamp: iso(now - HOUR - ago) }));
      assertBatchAnswer(await batchOk(msgs, { extra: { sentAt: iso(now - HOUR) } }), { stored: 2 });
      near((await storedTime(msgs[0].messageId, u)).timestamp, now - 60_000, 'batch sentAt, first message');
      near((await storedTime(msgs[1].messageId, u)).timestamp, now - 120_000, 'batch sentAt, second message');
    });

    test('a client clock two days ahead is corrected before the future check', async () => {
      const u = uniq('skewahead-');
      const now = Date.now();
      const m = mid();
      await sendOk('/v1/track', { userId: u, event: 'Ahead', messageId: m, timestamp: iso(now + 2 * DAY - 60_000), sentAt: iso(now + 2 * DAY) });
      near((await storedTime(m, u)).timestamp, now - 60_000, 'clock ahead');
    });

    test('a corrected time more than 24 hours ahead is rejected', async () => {
      const u = uniq('future-');
      const now = Date.now();
      const res = await send('/v1/track', { userId: u, event: 'Future', messageId: mid(), timestamp: iso(now + 30 * HOUR), sentAt: iso(now) });
      await bad(res, 400, 'invalid_argument', 'timestamp');
      const ok = mid();
      await sendOk('/v1/track', { userId: u, event: 'Soon', messageId: ok, timestamp: iso(now + 20 * HOUR) });
      near((await storedTime(ok, u)).timestamp, now + 20 * HOUR, 'a time 20 h ahead is kept');
    });

    test('without sentAt, timestamp or originalTimestamp is kept exactly; without either the receive time is used', async () => {
      const u = uniq('notskew-');
      const now = Date.now();
      const t1 = iso(now - 2 * DAY + 123);
      const t2 = iso(now - 3 * DAY + 456);
      const [m1, m2, m3] = [mid(), mid(), mid()];
      await sendOk('/v1/track', { userId: u, event: 'Exact', messageId: m1, timestamp: t1 });
      await sendOk('/v1/track', { userId: u, event: 'Original', messageId: m2, originalTimestamp: t2 });
      await sendOk('/v1/track', { userId: u, event: 'Untimed', messageId: m3 });
      assert.equal((await storedTime(m1, u)).timestamp, t1);
      assert.equal((await storedTime(m2, u)).timestamp, t2);
      near((await storedTime(m3, u)).timestamp, now, 'receive time');
    });
  });

  describe('money', () => {
    const orderMsg = (userId, props, extra = {}) => ({
      type: 'track',
      userId,
      event: 'Order Completed',
      messageId: mid(),
      properties: { order_id: uniq('o-'), ...props },
      ...extra,
    });

    test('revenue 199.9 CNY is stored as 19990 分 and counted in total_spent', async () => {
      const u = uniq('money-');
      const m = orderMsg(u, { revenue: 199.9, currency: 'CNY', products: [{ product_id: 'p1', price: 99.95, quantity: 2 }] });
      await sendOk('/v1/track', { ...m, type: undefined });
      const c = await mustLookup('user_id', u);
      const [e] = await timeline(c.id);
      assert.equal(e.event, 'Order Completed');
      assert.equal(e.revenue, 19990);
      assert.equal(e.currency, 'CNY');
      const full = await customer(c.id);
      assert.equal(full.computed.total_spent, 19990);
      assert.equal(full.computed.order_count, 1);
    });

    test('decimal amounts convert without floating-point drift', async () => {
      const u = uniq('drift-');
      const msgs = [19.99, 0.07, 1.1, 0.29].map((revenue) => orderMsg(u, { revenue, currency: 'CNY' }));
      assertBatchAnswer(await batchOk(msgs), { stored: 4 });
      const c = await mustLookup('user_id', u);
      const ev = await timeline(c.id);
      assert.deepEqual(ev.map((e) => e.revenue).sort((a, b) => a - b), [7, 29, 110, 1999]);
      assert.equal((await customer(c.id)).computed.total_spent, 1999 + 7 + 110 + 29);
    });

    test('total stands in for revenue', async () => {
      const u = uniq('total-');
      await batchOk([orderMsg(u, { total: 88, currency: 'CNY' })]);
      const c = await mustLookup('user_id', u);
      assert.equal((await timeline(c.id))[0].revenue, 8800);
      assert.equal((await customer(c.id)).computed.total_spent, 8800);
    });

    test("a currency's own decimals apply (JPY has none)", async () => {
      const u = uniq('jpy-');
      const body = await batchOk([orderMsg(u, { revenue: 1500, currency: 'JPY' }), orderMsg(u, { revenue: 12.5, currency: 'JPY' })]);
      assertBatchAnswer(body, { stored: 1, rejected: [[1, 'properties.revenue']] });
      const [e] = await timeline((await mustLookup('user_id', u)).id);
      assert.equal(e.revenue, 1500);
      assert.equal(e.currency, 'JPY');
    });
  });

  describe('identity', () => {
    test('anonymous page views then identify end on one customer holding both identifiers', async () => {
      const anon = uniq('anon-');
      const u = uniq('member-');
      const pages = [1, 2, 3].map((i) => ({ type: 'page', anonymousId: anon, name: `Page ${i}`, messageId: mid() }));
      assertBatchAnswer(await batchOk(pages), { stored: 3 });
      const before = await mustLookup('anonymous_id', anon);
      const idm = mid();
      await sendOk('/v1/identify', { userId: u, anonymousId: anon, traits: { name: '李雷' }, messageId: idm });
      const byUser = await mustLookup('user_id', u);
      const byAnon = await mustLookup('anonymous_id', anon);
      assert.equal(byUser.id, before.id, 'identify should add the userId to the anonymous customer');
      assert.equal(byAnon.id, before.id);
      const ids = idSet(byUser);
      assert.ok(ids.has(`user_id:${u}`) && ids.has(`anonymous_id:${anon}`), JSON.stringify(byUser.identifiers));
      assert.equal(byUser.name, '李雷');
      const ev = await timeline(byUser.id);
      assert.deepEqual(ev.map((e) => e.message_id).sort(), [...pages.map((p) => p.messageId), idm].sort());
    });

    test('alias links previousId to userId', async () => {
      const anon = uniq('alias-anon-');
      const u = uniq('alias-user-');
      const pm = mid();
      await sendOk('/v1/page', { anonymousId: anon, name: 'Before Login', messageId: pm });
      const before = await mustLookup('anonymous_id', anon);
      const am = mid();
      await sendOk('/v1/alias', { previousId: anon, userId: u, messageId: am });
      const after = await mustLookup('user_id', u);
      assert.equal(after.id, before.id);
      assert.deepEqual((await timeline(after.id)).map((e) => e.message_id).sort(), [pm, am].sort());
    });

    test('identifiers from traits, context.traits and context.externalIds are normalised and resolve', async () => {
      const u = uniq('traits-');
      const local = mobile();
      const spaced = `${local.slice(0, 3)} ${local.slice(3, 7)} ${local.slice(7)}`;
      const e164 = `+86${local}`;
      const emailUser = uniq('Wang.Fang.');
      const unionid = uniq('o6_union_');
      const memberNo = uniq('M');
      const wecom = uniq('wmExt');
      const ouid = uniq('tb');
      await sendOk('/v1/identify', {
        userId: u,
        messageId: mid(),
        traits: { name: '王芳', phone: spaced, email: `${emailUser}@Example.COM`, wechat_unionid: unionid, member_no: memberNo },
        context: {
          traits: { wecom_external_userid: wecom },
          externalIds: [{ type: 'taobao_ouid', id: ouid, collection: 'users', encoding: 'none' }],
        },
      });
      const c = await mustLookup('user_id', u);
      const ids = idSet(c);
      for (const want of [
        `user_id:${u}`,
        `phone:${e164}`,
        `email:${emailUser.toLowerCase()}@example.com`,
        `wechat_unionid:${unionid}`,
        `member_no:${memberNo}`,
        `wecom_external_userid:${wecom}`,
        `taobao_ouid:${ouid}`,
      ]) {
        assert.ok(ids.has(want), `missing identifier ${want} in ${JSON.stringify(c.identifiers)}`);
      }
      assert.equal(c.phone, e164);
      assert.equal(c.name, '王芳');
      assert.equal((await mustLookup('phone', local)).id, c.id);
      assert.equal((await mustLookup('email', `${emailUser}@example.com`.toLowerCase())).id, c.id);

      const anon = uniq('phone-anon-');
      const m = mid();
      await sendOk('/v1/track', { anonymousId: anon, event: 'Live Code Scanned', messageId: m, context: { traits: { phone: `+86 ${spaced}` } } });
      assert.equal((await mustLookup('anonymous_id', anon)).id, c.id, 'a known phone in context.traits resolves to its customer');
      assert.ok((await timeline(c.id)).some((e) => e.message_id === m));
    });

    test('traits keep the value with the latest event time', async () => {
      const u = uniq('recency-');
      const now = Date.now();
      await sendOk('/v1/identify', { userId: u, messageId: mid(), timestamp: iso(now - HOUR), traits: { name: 'Newer' } });
      await sendOk('/v1/identify', { userId: u, messageId: mid(), timestamp: iso(now - 2 * HOUR), traits: { name: 'Older', city: '上海' } });
      const c = await mustLookup('user_id', u);
      assert.equal(c.name, 'Newer');
      assert.equal(c.traits?.city, '上海');
    });

    test('a merge keeps the oldest identified customer; the merged id redirects; unmerge separates them again', async () => {
      const u = uniq('survivor-');
      const anon = uniq('merged-anon-');
      const own = { type: 'track', userId: u, event: 'Order Completed', messageId: mid(), properties: { order_id: uniq('o-'), revenue: 100, currency: 'CNY' } };
      await batchOk([own]);
      const cu = await mustLookup('user_id', u);
      const anonMsgs = [
        { type: 'page', anonymousId: anon, name: 'A', messageId: mid() },
        { type: 'page', anonymousId: anon, name: 'B', messageId: mid() },
        { type: 'track', anonymousId: anon, event: 'Order Completed', messageId: mid(), properties: { order_id: uniq('o-'), revenue: 50, currency: 'CNY' } },
      ];
      assertBatchAnswer(await batchOk(anonMsgs), { stored: 3 });
      const ca = await mustLookup('anonymous_id', anon);
      assert.notEqual(ca.id, cu.id);
      assert.ok(cu.id < ca.id);

      const idm = mid();
      await sendOk('/v1/identify', { userId: u, anonymousId: anon, messageId: idm });
      assert.equal((await mustLookup('anonymous_id', anon)).id, cu.id);
      const redirected = await customer(ca.id);
      assert.equal(redirected.id, cu.id, `GET /api/v1/customers/${ca.id} should answer the survivor`);
      const survivor = await customer(cu.id);
      assert.ok(survivor.merged_ids.includes(ca.id), JSON.stringify(survivor.merged_ids));
      const ids = idSet(survivor);
      assert.ok(ids.has(`user_id:${u}`) && ids.has(`anonymous_id:${anon}`));
      assert.equal(survivor.computed.order_count, 2);
      assert.equal(survivor.computed.total_spent, 15000);
      const ev = await timeline(cu.id);
      assert.deepEqual(ev.map((e) => e.message_id).sort(), [own.messageId, ...anonMsgs.map((m) => m.messageId), idm].sort());
      for (const m of anonMsgs) assert.equal(ev.find((e) => e.message_id === m.messageId).customer_id, ca.id);
      assert.equal(ev.find((e) => e.message_id === own.messageId).customer_id, cu.id);

      const merges = await read(`/api/v1/customers/${cu.id}/merges`);
      assert.equal(merges.status, 200, JSON.stringify(merges.body));
      const mg = merges.body.data.find((x) => x.merged_id === ca.id);
      assert.ok(mg, JSON.stringify(merges.body));
      assert.equal(mg.survivor_id, cu.id);
      assert.equal(mg.message_id, idm);
      assert.equal(typeof mg.reason, 'string');
      assert.match(mg.at, TIMESTAMP_RE);
      assert.equal(mg.undone_at, null);

      const un = await api(srv.baseUrl, 'POST', `/api/v1/customers/${cu.id}/unmerge`, { token: sk });
      assert.equal(un.status, 200, JSON.stringify(un.body));
      assert.equal(un.body.id, cu.id);
      assert.ok(!un.body.merged_ids.includes(ca.id));

      const back = await customer(ca.id);
      assert.equal(back.id, ca.id, 'after unmerge the merged id answers itself');
      assert.ok(idSet(back).has(`anonymous_id:${anon}`));
      assert.ok(!idSet(back).has(`user_id:${u}`));
      assert.equal((await mustLookup('anonymous_id', anon)).id, ca.id);
      const backEv = (await timeline(ca.id)).map((e) => e.message_id).sort();
      assert.deepEqual(backEv, anonMsgs.map((m) => m.messageId).sort());
      assert.equal(back.computed.order_count, 1);
      assert.equal(back.computed.total_spent, 5000);

      const surv = await customer(cu.id);
      assert.ok(!idSet(surv).has(`anonymous_id:${anon}`));
      assert.equal(surv.computed.order_count, 1);
      assert.equal(surv.computed.total_spent, 10000);
      const survEv = (await timeline(cu.id)).map((e) => e.message_id);
      for (const m of anonMsgs) assert.ok(!survEv.includes(m.messageId), 'the merged customer took back its events');
      assert.ok(survEv.includes(own.messageId));

      const after = await read(`/api/v1/customers/${cu.id}/merges`);
      assert.notEqual(after.body.data.find((x) => x.id === mg.id).undone_at, null);
      await bad(await api(srv.baseUrl, 'POST', `/api/v1/customers/${cu.id}/unmerge`, { token: sk }), 409, 'failed_precondition');
    });

    test('between two customers without a userId the smaller id survives; unmerge takes a merge_id', async () => {
      const a1 = uniq('old-anon-');
      const a2 = uniq('new-anon-');
      const email = `${uniq('shared')}@example.com`;
      const openid = uniq('oOpen');
      await sendOk('/v1/identify', { anonymousId: a1, traits: { email }, messageId: mid() });
      const p2 = mid();
      await sendOk('/v1/identify', { anonymousId: a2, traits: { wechat_openid: openid }, messageId: p2 });
      const c1 = await mustLookup('anonymous_id', a1);
      const c2 = await mustLookup('anonymous_id', a2);
      assert.ok(c1.id < c2.id);
      await sendOk('/v1/track', { anonymousId: a2, event: 'Coupon Received', context: { traits: { email } }, messageId: mid() });
      assert.equal((await customer(c2.id)).id, c1.id);
      assert.equal((await mustLookup('wechat_openid', openid)).id, c1.id);
      const merges = (await read(`/api/v1/customers/${c1.id}/merges`)).body.data;
      const mg = merges.find((x) => x.merged_id === c2.id && x.survivor_id === c1.id);
      assert.ok(mg, JSON.stringify(merges));
      const un = await api(srv.baseUrl, 'POST', `/api/v1/customers/${c1.id}/unmerge`, { token: sk, body: { merge_id: mg.id } });
      assert.equal(un.status, 200, JSON.stringify(un.body));
      const back = await customer(c2.id);
      assert.equal(back.id, c2.id);
      assert.ok(idSet(back).has(`wechat_openid:${openid}`));
      assert.ok((await timeline(c2.id)).some((e) => e.message_id === p2));
    });

    test('unmerge without a merge answers 409; of an unknown customer 404', async () => {
      const u = uniq('lonely-');
      await sendOk('/v1/track', { userId: u, event: 'Alone', messageId: mid() });
      const c = await mustLookup('user_id', u);
      await bad(await api(srv.baseUrl, 'POST', `/api/v1/customers/${c.id}/unmerge`, { token: sk }), 409, 'failed_precondition');
      await bad(await api(srv.baseUrl, 'POST', '/api/v1/customers/987654321/unmerge', { token: sk }), 404, 'not_found');
    });

    test('two userIds linked through one anonymousId are not merged; the conflict is listed', async () => {
      const u1 = uniq('conf-a-');
      const u2 = uniq('conf-b-');
      const anon = uniq('conf-anon-');
      await sendOk('/v1/track', { userId: u1, event: 'Signed In', messageId: mid() });
      await sendOk('/v1/track', { userId: u2, event: 'Signed In', messageId: mid() });
      await sendOk('/v1/page', { userId: u1, anonymousId: anon, name: 'Home', messageId: mid() });
      const c1 = await mustLookup('user_id', u1);
      const c2 = await mustLookup('user_id', u2);
      assert.notEqual(c1.id, c2.id);
      assert.equal((await mustLookup('anonymous_id', anon)).id, c1.id);

      const cm = mid();
      await sendOk('/v1/track', { userId: u2, anonymousId: anon, event: 'Product Viewed', messageId: cm });
      assert.equal((await mustLookup('user_id', u1)).id, c1.id);
      assert.equal((await mustLookup('user_id', u2)).id, c2.id);
      assert.equal((await mustLookup('anonymous_id', anon)).id, c1.id);
      assert.equal((await customer(c2.id)).id, c2.id);
      for (const c of [c1, c2]) {
        const full = await customer(c.id);
        assert.deepEqual(full.merged_ids, []);
        assert.equal([...idSet(full)].filter((x) => x.startsWith('user_id:')).length, 1);
        assert.deepEqual((await read(`/api/v1/customers/${c.id}/merges`)).body.data, []);
      }
      const ev2 = (await timeline(c2.id)).map((e) => e.message_id);
      assert.ok(ev2.includes(cm), 'the message is stored on the customer of its userId');
      assert.ok(!(await timeline(c1.id)).some((e) => e.message_id === cm));

      const conflicts = await listAll(srv.baseUrl, '/api/v1/identity/conflicts', { token: sk });
      const cf = conflicts.find((x) => x.message_id === cm);
      assert.ok(cf, `conflict for ${cm} not listed: ${JSON.stringify(conflicts)}`);
      assert.deepEqual([cf.customer_id, cf.other_customer_id].sort((a, b) => a - b), [c1.id, c2.id].sort((a, b) => a - b));
      assert.equal(cf.identifier_type, 'user_id');
      assert.match(cf.at, TIMESTAMP_RE);
      assert.equal(typeof cf.id, 'number');
    });

    test('two phones linked through one message are not merged; the conflict names phone', async () => {
      const [a1, a2] = [uniq('ph-a-'), uniq('ph-b-')];
      const [p1, p2] = [mobile(), mobile()];
      await sendOk('/v1/identify', { anonymousId: a1, traits: { phone: p1 }, messageId: mid() });
      await sendOk('/v1/identify', { anonymousId: a2, traits: { phone: p2 }, messageId: mid() });
      const c1 = await mustLookup('phone', p1);
      const c2 = await mustLookup('phone', p2);
      assert.notEqual(c1.id, c2.id);
      const cm = mid();
      await sendOk('/v1/track', { anonymousId: a2, event: 'Product Viewed', context: { traits: { phone: p1 } }, messageId: cm });
      assert.equal((await mustLookup('phone', p1)).id, c1.id);
      assert.equal((await mustLookup('phone', p2)).id, c2.id);
      assert.equal((await customer(c2.id)).id, c2.id);
      const conflicts = await listAll(srv.baseUrl, '/api/v1/identity/conflicts', { token: sk });
      const cf = conflicts.find((x) => x.message_id === cm);
      assert.ok(cf, `conflict for ${cm} not listed`);
      assert.equal(cf.identifier_type, 'phone');
      assert.deepEqual([cf.customer_id, cf.other_customer_id].sort((a, b) => a - b), [c1.id, c2.id].sort((a, b) => a - b));
    });

    test('a customer never gets a second userId through a shared anonymousId', async () => {
      const u1 = uniq('uniq-a-');
      const u2 = uniq('uniq-b-');
      const anon = uniq('uniq-anon-');
      await sendOk('/v1/identify', { userId: u1, anonymousId: anon, messageId: mid() });
      await sendOk('/v1/track', { userId: u2, anonymousId: anon, event: 'Switch Account', messageId: mid() });
      const c1 = await mustLookup('user_id', u1);
      assert.deepEqual([...idSet(c1)].filter((x) => x.startsWith('user_id:')), [`user_id:${u1}`]);
      const c2 = await lookup('user_id', u2);
      if (c2) assert.notEqual(c2.id, c1.id);
    });
  });

  describe('computed attributes', () => {
    const order = (userId, ts, revenue, event = 'Order Completed') => ({
      type: 'track',
      userId,
      event,
      timestamp: iso(ts),
      messageId: mid(),
      properties: { order_id: uniq('o-'), revenue, currency: 'CNY' },
    });

    test('three orders and one refund', async () => {
      const u = uniq('orders-');
      const now = Date.now();
      const t = [now - 4 * DAY, now - 3 * DAY, now - 2 * DAY, now - DAY];
      const msgs = [order(u, t[2], 300), order(u, t[0], 100), order(u, t[1], 200), order(u, t[3], 30, 'Order Refunded')];
      for (const m of msgs) await batchOk([m]);
      const c = await customer((await mustLookup('user_id', u)).id);
      const k = c.computed;
      assert.equal(k.order_count, 3);
      assert.equal(k.total_spent, 57000, 'net of the refund');
      assert.equal(k.refund_count, 1);
      assert.equal(k.refund_total, 3000);
      assert.ok([19000, 20000].includes(k.average_order_value), `average_order_value ${k.average_order_value}`);
      assert.equal(k.last_order_at, iso(t[2]));
      assert.equal(k.first_seen, iso(t[0]));
      assert.equal(k.last_seen, iso(t[3]));
      assert.equal(k.lifecycle_stage, 'repurchase');
    });

    test('lifecycle stages', async () => {
      const now = Date.now();
      const stage = async (u) => (await customer((await mustLookup('user_id', u)).id)).computed;

      const prospect = uniq('prospect-');
      await sendOk('/v1/page', { userId: prospect, name: 'Home', messageId: mid() });
      const p = await stage(prospect);
      assert.equal(p.lifecycle_stage, 'prospect');
      assert.equal(p.order_count, 0);
      assert.equal(p.total_spent, 0);
      assert.equal(p.refund_count, 0);
      assert.equal(p.last_order_at, null);
      assert.match(p.first_seen, TIMESTAMP_RE);

      const reg = uniq('registered-');
      await sendOk('/v1/track', { userId: reg, event: 'Member Registered', properties: { member_no: uniq('M'), channel: 'miniapp' }, messageId: mid() });
      assert.equal((await stage(reg)).lifecycle_stage, 'registered');

      const regNo = uniq('registered-no-');
      await sendOk('/v1/identify', { userId: regNo, traits: { member_no: uniq('M') }, messageId: mid() });
      assert.equal((await stage(regNo)).lifecycle_stage, 'registered');

      const first = uniq('first-');
      await batchOk([order(first, now - HOUR, 10)]);
      assert.equal((await stage(first)).lifecycle_stage, 'first_purchase');

      const loyal = uniq('loyal-');
      await batchOk([1, 2, 3, 4, 5].map((i) => order(loyal, now - i * DAY, 10 * i)));
      const l = await stage(loyal);
      assert.equal(l.lifecycle_stage, 'loyal');
      assert.equal(l.order_count, 5);
      assert.equal(l.total_spent, 15000);

      const dormant = uniq('dormant-');
      await batchOk([order(dormant, now - 200 * DAY, 10), order(dormant, now - 190 * DAY, 10)]);
      const d = await stage(dormant);
      assert.equal(d.lifecycle_stage, 'dormant');
      assert.equal(d.order_count, 2);
    });
  });

  describe('timeline', () => {
    let c;
    let msgs;
    const now = Date.now();
    const noonUtc = (daysAgo) => {
      const d = new Date(now - daysAgo * DAY);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 12, 0, 0);
    };
    const dateOf = (ms) => iso(ms).slice(0, 10);

    before(async () => {
      const u = uniq('timeline-');
      msgs = [];
      for (let i = 1; i <= 12; i++) {
        msgs.push({ type: 'track', userId: u, event: i % 2 ? 'Alpha' : 'Beta', timestamp: iso(now - i * 60_000), messageId: mid(), properties: { i } });
      }
      for (const d of [10, 5, 2]) {
        msgs.push({ type: 'track', userId: u, event: 'Gamma', timestamp: iso(noonUtc(d)), messageId: mid(), properties: { d } });
      }
      assertBatchAnswer(await batchOk(msgs), { stored: msgs.length });
      c = await mustLookup('user_id', u);
    });

    test('newest first, with the documented fields', async () => {
      const ev = await timeline(c.id);
      assert.equal(ev.length, 15);
      const times = ev.map((e) => Date.parse(e.timestamp));
      assert.deepEqual(times, [...times].sort((a, b) => b - a));
      assert.equal(ev[0].properties.i, 1);
      const e = ev[0];
      for (const k of ['id', 'message_id', 'type', 'event', 'timestamp', 'received_at', 'properties', 'context', 'revenue', 'currency', 'customer_id']) {
        assert.ok(k in e, `event lacks ${k}: ${JSON.stringify(e)}`);
      }
      assert.equal(e.type, 'track');
      assert.equal(e.event, 'Alpha');
      assert.equal(e.customer_id, c.id);
      assert.equal(e.revenue, null);
      assert.equal(typeof e.context, 'object');
    });

    test('cursor pagination visits every event once, in order', async () => {
      const first = await read(`/api/v1/customers/${c.id}/events?limit=5`);
      assert.equal(first.status, 200);
      assert.equal(first.body.data.length, 5);
      assert.equal(typeof first.body.next_cursor, 'string');
      const paged = await timeline(c.id, '', sk, 5);
      const whole = await timeline(c.id);
      assert.deepEqual(paged.map((e) => e.id), whole.map((e) => e.id));
      assert.equal(new Set(paged.map((e) => e.id)).size, 15);
      const last = await read(`/api/v1/customers/${c.id}/events?limit=200`);
      assert.equal(last.body.next_cursor, null);
    });

    test('event filter', async () => {
      const alpha = await timeline(c.id, 'event=Alpha', sk, 4);
      assert.equal(alpha.length, 6);
      assert.ok(alpha.every((e) => e.event === 'Alpha'));
      assert.equal((await timeline(c.id, 'event=Gamma')).length, 3);
      assert.equal((await timeline(c.id, 'event=Nothing%20Here')).length, 0);
    });

    test('from / to filter, RFC 3339 and dates', async () => {
      const q = `from=${encodeURIComponent(iso(now - 6.5 * 60_000))}&to=${encodeURIComponent(iso(now - 2.5 * 60_000))}`;
      const mid4 = await timeline(c.id, q);
      assert.deepEqual(mid4.map((e) => e.properties.i), [3, 4, 5, 6]);
      const days = await timeline(c.id, `from=${dateOf(noonUtc(6))}&to=${dateOf(noonUtc(3))}`);
      assert.deepEqual(days.map((e) => e.properties.d), [5]);
      const since = await timeline(c.id, `from=${dateOf(noonUtc(3))}&event=Gamma`);
      assert.deepEqual(since.map((e) => e.properties.d), [2]);
    });

    test('bad queries answer 400; unknown customers 404', async () => {
      await bad(await read(`/api/v1/customers/${c.id}/events?limit=0`), 400, 'invalid_argument', 'limit');
      await bad(await read(`/api/v1/customers/${c.id}/events?limit=201`), 400, 'invalid_argument', 'limit');
      await bad(await read(`/api/v1/customers/${c.id}/events?from=last-week`), 400, 'invalid_argument', 'from');
      await bad(await read(`/api/v1/customers/${c.id}/events?to=2026-13-45`), 400, 'invalid_argument', 'to');
      await bad(await read('/api/v1/customers/987654321/events'), 404, 'not_found');
    });
  });

  describe('tenancy', () => {
    test("a tenant's write key never creates or reads another tenant's customers", async () => {
      const t = srv.cli(['tenant', 'add', '--name', uniq('Tracking Two ')]);
      assert.equal(t.code, 0, t.stderr);
      const t2 = Number(cliValue(t.stdout, 'tenant_id'));
      assert.ok(t2 > 1);
      const wk2 = (await createKey(t2, 'write')).key;
      const sk2 = (await createKey(t2, 'secret')).key;

      const u = uniq('shared-user-');
      const phone = mobile();
      const sharedMessageId = mid();
      const m1 = mid();
      await sendOk('/v1/identify', { userId: u, traits: { phone, name: 'One' }, messageId: m1 });
      await sendOk('/v1/identify', { userId: u, traits: { phone, name: 'Two' }, messageId: mid() }, { key: wk2 });
      await sendOk('/v1/track', { userId: u, event: 'Same Id', messageId: sharedMessageId });
      await sendOk('/v1/track', { userId: u, event: 'Same Id', messageId: sharedMessageId }, { key: wk2, auth: 'body' });

      const c1 = await mustLookup('user_id', u, sk);
      const c2 = await mustLookup('user_id', u, sk2);
      assert.notEqual(c1.id, c2.id);
      assert.equal(c1.name, 'One');
      assert.equal(c2.name, 'Two');
      assert.equal((await mustLookup('phone', phone, sk)).id, c1.id);
      assert.equal((await mustLookup('phone', phone, sk2)).id, c2.id);
      const e1 = await timeline(c1.id, '', sk);
      const e2 = await timeline(c2.id, '', sk2);
      assert.equal(e1.length, 2);
      assert.equal(e2.length, 2, 'a messageId is unique per tenant, not across tenants');
      assert.ok(e1.some((e) => e.message_id === m1));
      assert.ok(!e2.some((e) => e.message_id === m1));

      await bad(await read(`/api/v1/customers/${c1.id}`, sk2), 404, 'not_found');
      await bad(await read(`/api/v1/customers/${c1.id}/events`, sk2), 404, 'not_found');
      await bad(await read(`/api/v1/customers/${c2.id}/events`, sk), 404, 'not_found');
      await bad(await api(srv.baseUrl, 'POST', `/api/v1/customers/${c1.id}/unmerge`, { token: sk2 }), 404, 'not_found');

      const anon = uniq('t2-anon-');
      await sendOk('/v1/page', { anonymousId: anon, name: 'T2 only', messageId: mid() }, { key: wk2 });
      assert.equal(await lookup('anonymous_id', anon, sk), null);
      assert.ok(await lookup('anonymous_id', anon, sk2));
    });
  });
});

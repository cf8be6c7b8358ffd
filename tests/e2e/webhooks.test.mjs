// Webhooks through the outbox: subscribing, signed deliveries of tracked events, retries on
// 5xx, dead letters on 4xx and their retry, validation, secrecy of the signing secret, tenancy.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { startServer, api, expectError, cliValue, uniq, sleep } from './lib/server.mjs';

const WAIT_MS = 60_000;

/** A local receiver: records every request and answers with what `respond` says. */
function startReceiver() {
  const received = [];
  const waiters = [];
  let respond = () => 200;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const entry = { path: req.url, headers: req.headers, body, status: respond(req, body) };
      received.push(entry);
      res.writeHead(entry.status, { 'content-type': 'text/plain' });
      res.end(entry.status >= 300 ? 'nope' : 'ok');
      for (const w of waiters.splice(0)) w();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: (path = '/hook') => `http://127.0.0.1:${server.address().port}${path}`,
        received,
        setRespond: (fn) => (respond = fn),
        /** Waits until `predicate(received)` holds. */
        async until(predicate, what) {
          const deadline = Date.now() + WAIT_MS;
          while (!predicate(received)) {
            assert.ok(Date.now() < deadline, `timed out waiting for ${what}; received ${received.length}`);
            await new Promise((r) => {
              waiters.push(r);
              setTimeout(r, 200).unref();
            });
          }
        },
        close: () => new Promise((r) => server.close(r)),
      });
    });
  });
}

/** The verification a subscriber runs (docs/webhooks.md). */
function verify(secret, headers, body) {
  const expected =
    'sha256=' + crypto.createHmac('sha256', secret).update(`${headers['x-siyu-timestamp']}.${body}`).digest('hex');
  const given = String(headers['x-siyu-signature'] ?? '');
  return given.length === expected.length && crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

describe('webhooks', () => {
  let srv;
  let rx;
  let sk;
  let wk;
  let sk2;

  const call = (method, path, body, token = sk) => api(srv.baseUrl, method, path, { token, body });
  const basic = (key) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

  function createKey(tenantId, kind) {
    const r = srv.cli(['apikey', 'create', '--tenant-id', String(tenantId), '--name', uniq('k-'), '--kind', kind]);
    assert.equal(r.code, 0, r.stderr);
    return cliValue(r.stdout, 'key');
  }

  async function track(event, properties = {}) {
    const r = await api(srv.baseUrl, 'POST', '/v1/track', {
      body: { userId: uniq('u-'), event, properties, messageId: crypto.randomUUID() },
      headers: basic(wk),
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }

  async function subscribe(body) {
    const r = await call('POST', '/api/v1/webhooks', body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }

  /** Polls an outbox message until it is settled. */
  async function settled(id) {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const r = await call('GET', `/api/v1/outbox/${id}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      if (r.body.status !== 'pending') return r.body;
      assert.ok(Date.now() < deadline, `outbox message ${id} still pending: ${JSON.stringify(r.body)}`);
      await sleep(100);
    }
  }

  before(async () => {
    srv = await startServer();
    rx = await startReceiver();
    sk = createKey(1, 'secret');
    wk = createKey(1, 'write');
    const t = srv.cli(['tenant', 'add', '--name', uniq('Tenant Two ')]);
    assert.equal(t.code, 0, t.stderr);
    sk2 = createKey(Number(cliValue(t.stdout, 'tenant_id')), 'secret');
  });

  after(async () => {
    if (rx) await rx.close();
    if (!srv) return;
    const crashed = srv.proc.exitCode !== null || srv.proc.signalCode !== null;
    await srv.stop();
    assert.ok(!crashed, `the server died during the tests\n${srv.stderrTail()}`);
  });

  test('a tracked event is delivered, signed, to a matching subscription', async () => {
    const name = uniq('Order Completed ');
    const sub = await subscribe({ url: rx.url('/signed'), events: [name], description: 'orders' });
    assert.match(sub.secret, /^whsec_/);
    assert.equal(sub.active, true);
    assert.deepEqual(sub.events, [name]);

    await track(uniq('Not Subscribed '));
    await track(name, { total: 99, sku: 'A-1' });
    await rx.until((r) => r.some((e) => e.path === '/signed'), 'the signed delivery');
    const got = rx.received.filter((e) => e.path === '/signed');
    assert.equal(got.length, 1, 'only the subscribed event is delivered');
    const d = got[0];
    assert.ok(verify(sub.secret, d.headers, d.body), 'the X-Siyu-Signature verifies');
    assert.ok(!verify('whsec_wrong', d.headers, d.body), 'another secret does not verify');
    assert.equal(d.headers['x-siyu-event'], name);
    assert.match(d.headers['x-siyu-delivery'], /^\d+$/);
    const age = Math.abs(Date.now() / 1000 - Number(d.headers['x-siyu-timestamp']));
    assert.ok(age < 600, `timestamp in seconds: ${d.headers['x-siyu-timestamp']}`);
    const body = JSON.parse(d.body);
    assert.equal(body.type, 'track');
    assert.equal(body.name, name);
    assert.equal(body.tenant_id, 1);
    assert.equal(body.subscription_id, sub.id);
    assert.deepEqual(body.properties, { total: 99, sku: 'A-1' });
    assert.ok(Number.isInteger(body.id) && Number.isInteger(body.customer_id));
    assert.match(body.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    const m = await settled(Number(d.headers['x-siyu-delivery']));
    assert.equal(m.status, 'done');
    assert.equal(m.kind, 'webhook');
    assert.equal(m.result.http_status, 200);
    await call('DELETE', `/api/v1/webhooks/${sub.id}`);
  });

  test('a receiver answering 500 gets the delivery again until it answers 200', async () => {
    const name = uniq('Flaky ');
    const sub = await subscribe({ url: rx.url('/flaky'), events: [name] });
    let n = 0;
    rx.setRespond((req) => (req.url === '/flaky' && ++n === 1 ? 500 : 200));
    await track(name);
    await rx.until((r) => r.filter((e) => e.path === '/flaky').length >= 2, 'the retried delivery');
    const got = rx.received.filter((e) => e.path === '/flaky');
    assert.equal(got[0].status, 500);
    assert.equal(got[1].status, 200);
    assert.equal(got[0].headers['x-siyu-delivery'], got[1].headers['x-siyu-delivery'], 'the same delivery id');
    assert.equal(got[0].body, got[1].body, 'the same body');
    assert.ok(verify(sub.secret, got[1].headers, got[1].body));
    const m = await settled(Number(got[1].headers['x-siyu-delivery']));
    assert.equal(m.status, 'done');
    assert.equal(m.attempts, 2);
    rx.setRespond(() => 200);
    await call('DELETE', `/api/v1/webhooks/${sub.id}`);
  });

  test('a receiver answering 400 makes a dead letter that can be retried', async () => {
    const name = uniq('Rejected ');
    const sub = await subscribe({ url: rx.url('/reject'), events: [name] });
    let fixed = false;
    rx.setRespond((req) => (req.url === '/reject' && !fixed ? 400 : 200));
    await track(name);
    await rx.until((r) => r.some((e) => e.path === '/reject'), 'the rejected delivery');
    const id = Number(rx.received.find((e) => e.path === '/reject').headers['x-siyu-delivery']);
    const dead = await settled(id);
    assert.equal(dead.status, 'dead');
    assert.match(dead.last_error, /HTTP 400/);
    assert.equal(dead.attempts, 1, '4xx is not retried');

    const list = await call('GET', '/api/v1/outbox?status=dead&limit=200');
    assert.equal(list.status, 200);
    assert.ok(list.body.data.some((m) => m.id === id), 'the dead letter is listed');
    assert.ok(list.body.data.every((m) => m.status === 'dead'));
    assert.ok(list.body.counts.dead >= 1);

    fixed = true;
    const retried = await call('POST', `/api/v1/outbox/${id}/retry`);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.status, 'pending');
    const done = await settled(id);
    assert.equal(done.status, 'done');
    const deliveries = rx.received.filter((e) => e.path === '/reject');
    assert.equal(deliveries.length, 2);
    assert.equal(deliveries[1].status, 200);
    assert.ok(verify(sub.secret, deliveries[1].headers, deliveries[1].body));

    expectError(await call('POST', `/api/v1/outbox/${id}/retry`), 409, 'failed_precondition');
    rx.setRespond(() => 200);
    await call('DELETE', `/api/v1/webhooks/${sub.id}`);
  });

  test('a test delivery reaches the subscription', async () => {
    const sub = await subscribe({ url: rx.url('/test-ping'), events: ['*'] });
    const r = await call('POST', `/api/v1/webhooks/${sub.id}/test`);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const m = await settled(r.body.id);
    assert.equal(m.status, 'done');
    const d = rx.received.find((e) => e.path === '/test-ping');
    assert.equal(d.headers['x-siyu-event'], 'Webhook Test');
    assert.ok(verify(sub.secret, d.headers, d.body));
    await call('DELETE', `/api/v1/webhooks/${sub.id}`);
  });

  test('subscriptions are read, changed and deleted without showing the secret', async () => {
    const sub = await subscribe({ url: rx.url('/crud'), events: ['identify'] });
    const got = await call('GET', `/api/v1/webhooks/${sub.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.secret, undefined);
    assert.equal(got.body.url, rx.url('/crud'));
    const list = await call('GET', '/api/v1/webhooks');
    assert.ok(list.body.data.some((w) => w.id === sub.id));
    assert.ok(list.body.data.every((w) => w.secret === undefined));
    assert.ok(!JSON.stringify(list.body).includes(sub.secret));

    const patched = await call('PATCH', `/api/v1/webhooks/${sub.id}`, { active: false, events: ['*'] });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.active, false);
    assert.deepEqual(patched.body.events, ['*']);
    assert.equal(patched.body.secret, undefined);

    const del = await call('DELETE', `/api/v1/webhooks/${sub.id}`);
    assert.equal(del.status, 204);
    expectError(await call('GET', `/api/v1/webhooks/${sub.id}`), 404, 'not_found');
  });

  test('bad input is rejected naming the field and creates nothing', async () => {
    const before = (await call('GET', '/api/v1/webhooks?limit=200')).body.data.length;
    expectError(await call('POST', '/api/v1/webhooks', { url: 'ftp://example.com', events: ['*'] }), 400, 'invalid_argument', 'url');
    expectError(await call('POST', '/api/v1/webhooks', { url: 'not a url', events: ['*'] }), 400, 'invalid_argument', 'url');
    expectError(await call('POST', '/api/v1/webhooks', { events: ['*'] }), 400, 'invalid_argument', 'url');
    expectError(await call('POST', '/api/v1/webhooks', { url: rx.url(), events: 'all' }), 400, 'invalid_argument', 'events');
    expectError(await call('POST', '/api/v1/webhooks', { url: rx.url(), events: [] }), 400, 'invalid_argument', 'events');
    expectError(await call('POST', '/api/v1/webhooks', { url: rx.url(), events: [1] }), 400, 'invalid_argument', 'events');
    expectError(await call('POST', '/api/v1/webhooks', { url: rx.url(), events: ['*'], active: 'yes' }), 400, 'invalid_argument', 'active');
    expectError(await call('POST', '/api/v1/webhooks', { url: rx.url(), events: ['*'], secret: 'mine' }), 400, 'unknown_field', 'secret');
    expectError(await call('GET', '/api/v1/outbox?status=lost'), 400, 'invalid_argument', 'status');
    const after = (await call('GET', '/api/v1/webhooks?limit=200')).body.data.length;
    assert.equal(after, before);
  });

  test("another tenant's subscriptions and messages are not found", async () => {
    const sub = await subscribe({ url: rx.url('/mine'), events: ['*'] });
    const t = await call('POST', `/api/v1/webhooks/${sub.id}/test`);
    const msg = await settled(t.body.id);
    for (const [method, path, body] of [
      ['GET', `/api/v1/webhooks/${sub.id}`],
      ['PATCH', `/api/v1/webhooks/${sub.id}`, { active: false }],
      ['DELETE', `/api/v1/webhooks/${sub.id}`],
      ['POST', `/api/v1/webhooks/${sub.id}/test`],
      ['GET', `/api/v1/outbox/${msg.id}`],
      ['POST', `/api/v1/outbox/${msg.id}/retry`],
    ]) {
      expectError(await call(method, path, body, sk2), 404, 'not_found');
    }
    const theirs = await call('GET', '/api/v1/outbox', undefined, sk2);
    assert.equal(theirs.status, 200);
    assert.ok(theirs.body.data.every((m) => m.id !== msg.id));
    assert.equal((await call('GET', `/api/v1/webhooks/${sub.id}`)).status, 200, 'still there for its tenant');
    await call('DELETE', `/api/v1/webhooks/${sub.id}`);
  });

  test('the WeCom API call log answers for the tenant', async () => {
    const r = await call('GET', '/api/v1/wecom/api-calls');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(Array.isArray(r.body.data));
  });
});

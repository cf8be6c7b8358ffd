// Real client libraries against the tracking API: Segment's analytics-node and RudderStack's
// Node SDK post to /v1/batch; every message must arrive exactly once on the right customer.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { startServer, api, listAll, cliValue, uniq, sleep } from './lib/server.mjs';

const BURST = 200;

function mobile() {
  return `139${String(crypto.randomInt(0, 1e8)).padStart(8, '0')}`;
}

describe('tracking with real SDKs', () => {
  let srv;
  let sk;

  function createKey(kind) {
    const r = srv.cli(['apikey', 'create', '--tenant-id', '1', '--name', uniq(`sdk-${kind}-`), '--kind', kind]);
    assert.equal(r.code, 0, r.stderr);
    const key = cliValue(r.stdout, 'key');
    assert.ok(key, r.stdout);
    return key;
  }

  async function lookup(type, value) {
    const r = await api(srv.baseUrl, 'GET', `/api/v1/customers/lookup?type=${type}&value=${encodeURIComponent(value)}`, { token: sk });
    assert.equal(r.status, 200, `lookup ${type}=${value}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async function customer(id) {
    const r = await api(srv.baseUrl, 'GET', `/api/v1/customers/${id}`, { token: sk });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  }

  const timeline = (id) => listAll(srv.baseUrl, `/api/v1/customers/${id}/events`, { token: sk });

  before(async () => {
    srv = await startServer();
    sk = createKey('secret');
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  /**
   * Sends the same scenario through `client`: a member who identifies, orders, views a page and
   * fires a burst of tracks, and a visitor who browses anonymously and then signs in.
   * Answers the ids used.
   */
  function scenario(client, prefix) {
    const s = {
      user: uniq(`${prefix}-member-`),
      phone: mobile(),
      orderId: uniq('SO'),
      anon: uniq(`${prefix}-anon-`),
      visitor: uniq(`${prefix}-visitor-`),
    };
    client.identify({ userId: s.user, traits: { name: 'SDK 会员', phone: s.phone, email: `${s.user}@example.com` } });
    client.track({
      userId: s.user,
      event: 'Order Completed',
      properties: {
        order_id: s.orderId,
        revenue: 199.9,
        currency: 'CNY',
        products: [{ product_id: 'P-1', sku: 'SKU-1', name: '保温杯', price: 99.95, quantity: 2 }],
      },
    });
    client.page({ userId: s.user, name: 'Home', properties: { path: '/', url: 'https://shop.example.com/' } });
    for (let i = 0; i < BURST; i++) client.track({ userId: s.user, event: 'Burst', properties: { i } });
    client.page({ anonymousId: s.anon, name: 'Landing' });
    client.track({ anonymousId: s.anon, event: 'Product Viewed', properties: { product_id: 'P-2' } });
    client.identify({ userId: s.visitor, anonymousId: s.anon, traits: { name: '访客' } });
    return s;
  }

  /** Checks through /api/v1 that every sent message id is stored exactly once, on the right customer. */
  async function verify(s, sentIds) {
    assert.equal(sentIds.size, BURST + 6, `the SDK sent ${sentIds.size} distinct messages`);

    const member = await lookup('user_id', s.user);
    const memberEvents = await timeline(member.id);
    const memberIds = memberEvents.map((e) => e.message_id);
    assert.equal(memberEvents.length, BURST + 3, `member has ${memberEvents.length} events`);
    assert.equal(new Set(memberIds).size, memberIds.length, 'an event is stored twice');
    assert.equal(memberEvents.filter((e) => e.event === 'Burst').length, BURST);
    const order = memberEvents.find((e) => e.event === 'Order Completed');
    assert.ok(order, 'Order Completed missing');
    assert.equal(order.revenue, 19990);
    assert.equal(order.currency, 'CNY');
    const full = await customer(member.id);
    assert.equal(full.computed.order_count, 1);
    assert.equal(full.computed.total_spent, 19990);
    assert.ok(full.identifiers.some((i) => i.type === 'phone' && i.value === `+86${s.phone}`), JSON.stringify(full.identifiers));
    assert.equal(full.name, 'SDK 会员');

    const visitor = await lookup('user_id', s.visitor);
    const anon = await lookup('anonymous_id', s.anon);
    assert.equal(anon.id, visitor.id, 'anonymous browsing and the later identify end on one customer');
    const visitorEvents = await timeline(visitor.id);
    assert.equal(visitorEvents.length, 3, JSON.stringify(visitorEvents.map((e) => [e.type, e.event])));
    assert.deepEqual(visitorEvents.map((e) => e.type).sort(), ['identify', 'page', 'track']);

    const stored = [...memberIds, ...visitorEvents.map((e) => e.message_id)];
    assert.deepEqual(stored.sort(), [...sentIds].sort(), 'the stored message ids are exactly the sent ones');
  }

  test("Segment's analytics-node", async () => {
    const writeKey = createKey('write');
    const client = new SegmentAnalytics({
      writeKey,
      host: srv.baseUrl,
      path: '/v1/batch',
      flushAt: 20,
      flushInterval: 200,
      maxRetries: 3,
    });
    const errors = [];
    const sentIds = new Set();
    const statuses = [];
    client.on('error', (err) => errors.push(err));
    client.on('http_request', (req) => {
      assert.equal(req.url, `${srv.baseUrl}/v1/batch`);
      for (const m of JSON.parse(req.body).batch) sentIds.add(m.messageId);
    });
    client.on('http_response', (res) => statuses.push(res.status));
    const s = scenario(client, 'segment');
    await client.closeAndFlush({ timeout: 30_000 });
    assert.equal(errors.length, 0, `${errors.length} delivery errors, first: ${String(errors[0]?.reason ?? errors[0]?.message ?? errors[0])}`);
    assert.ok(statuses.length >= Math.ceil((BURST + 6) / 20), `only ${statuses.length} requests`);
    assert.ok(statuses.every((st) => st === 200), `statuses ${statuses.join(',')}`);
    await verify(s, sentIds);
  });

  test("RudderStack's rudder-sdk-node (gzip)", async () => {
    const writeKey = createKey('write');
    const errors = [];
    const client = new RudderAnalytics(writeKey, {
      dataPlaneUrl: srv.baseUrl,
      flushAt: 20,
      flushInterval: 200,
      retryCount: 3,
      logLevel: 'error',
      errorHandler: (err) => errors.push(err),
    });
    const sentIds = new Set();
    const urls = new Set();
    const statuses = [];
    let gzipped = 0;
    let inFlight = 0;
    client.axiosInstance.interceptors.request.use((config) => {
      inFlight += 1;
      urls.add(config.url);
      let data = config.data;
      const enc = config.headers?.['Content-Encoding'] ?? config.headers?.get?.('Content-Encoding');
      if (Buffer.isBuffer(data) && data[0] === 0x1f && data[1] === 0x8b) {
        gzipped += enc === 'gzip' ? 1 : 0;
        data = zlib.gunzipSync(data).toString('utf8');
      }
      const body = typeof data === 'string' ? JSON.parse(data) : data;
      for (const m of body.batch) sentIds.add(m.messageId);
      return config;
    });
    client.axiosInstance.interceptors.response.use(
      (res) => {
        inFlight -= 1;
        statuses.push(res.status);
        return res;
      },
      (err) => {
        inFlight -= 1;
        statuses.push(err.response?.status ?? err.code);
        return Promise.reject(err);
      },
    );
    const s = scenario(client, 'rudder');
    const deadline = Date.now() + 30_000;
    while ((client.queue.length > 0 || inFlight > 0) && Date.now() < deadline) {
      if (client.queue.length > 0) await client.flush().catch((err) => errors.push(err));
      else await sleep(50);
    }
    await sleep(300);
    assert.equal(client.queue.length, 0, 'the SDK did not drain its queue');
    assert.equal(inFlight, 0, 'requests still in flight');
    assert.equal(errors.length, 0, `${errors.length} delivery errors, first: ${String(errors[0]?.message ?? errors[0])}`);
    assert.deepEqual([...urls], [`${srv.baseUrl}/v1/batch`]);
    assert.ok(statuses.every((st) => st === 200), `statuses ${statuses.join(',')}`);
    assert.ok(gzipped > 0, 'the RudderStack SDK was expected to gzip its batches');
    await verify(s, sentIds);
  });
});

// CSV imports: order lines and members through `siyu import` and POST /api/v1/imports, and
// the public Online Retail data set when ../shared/data holds it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  startServer,
  loginOk,
  api,
  rawRequest,
  expectError,
  expectOk,
  runCli,
  cliValue,
  randomPassword,
  repoRoot,
  siyuBin,
  uniq,
  sleep,
  CREATED,
} from './lib/server.mjs';

const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
const RETAIL = path.join(repoRoot, '..', 'shared', 'data', 'online_retail.csv.gz');

/** "12.34" from 1234 cents. */
const money = (cents) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

/**
 * A file of order lines in the Online Retail layout: `orders` orders of `customers` customers
 * (ids from `base`, written as floats), three guest orders, two refunds, and one order with a
 * bad price.
 * Rows are written line 1 of every order, then line 2 of every order, ... so that the rows of
 * one order are spread over the file. Answers {csv, expected}.
 */
function orderFile(run, { orders = 24, customers = 6, base = 900000 } = {}) {
  const rows = [];
  const spent = new Map();
  const orderCount = new Map();
  const add = (cid, cents) => spent.set(cid, (spent.get(cid) ?? 0) + cents);
  const list = [];
  for (let o = 0; o < orders; o++) {
    const cid = o < 3 ? '' : String(base + (o % customers));
    const lines = [];
    for (let l = 0; l <= o % 3; l++) lines.push({ sku: `SKU${l}`, qty: 1 + ((o + l) % 4), cents: 100 + 37 * o + l });
    list.push({ id: `${run}-${o}`, cid, lines, day: 1 + (o % 27) });
    if (cid) {
      add(cid, lines.reduce((s, x) => s + x.qty * x.cents, 0));
      orderCount.set(cid, (orderCount.get(cid) ?? 0) + 1);
    }
  }
  for (const [i, cid] of [String(base + 3), String(base + 4)].entries()) {
    list.push({ id: `C${run}-r${i}`, cid, lines: [{ sku: 'SKU0', qty: -1, cents: 250 }], day: 28 });
    add(cid, -250);
  }
  list.push({ id: `${run}-bad`, cid: String(base + 5), lines: [{ sku: 'A', qty: 1, cents: 100 }, { sku: 'B', qty: 1, price: 'abc' }], day: 5 });
  const width = Math.max(...list.map((x) => x.lines.length));
  for (let l = 0; l < width; l++) {
    for (const x of list) {
      const line = x.lines[l];
      if (!line) continue;
      const price = line.price ?? money(line.cents);
      const cid = x.cid ? `${x.cid}.0` : '';
      rows.push(`${x.id},${line.sku},"Item, ""${line.sku}""",${line.qty},2024-03-${String(x.day).padStart(2, '0')} 10:15:00,${price},${cid},China`);
    }
  }
  const badLine = 2 + rows.findIndex((r) => r.includes(',abc,'));
  return {
    csv: `${HEADER}\n${rows.join('\n')}\n`,
    expected: {
      rows: rows.length,
      orders,
      refunds: 2,
      guestOrders: 3,
      customers,
      rejectedOrders: 1,
      rejectedRows: 2,
      badLine,
      spent,
      orderCount,
    },
  };
}

/**
 * A members file: `n` members with phones and member numbers, tier (the tiers `silver` and
 * `gold` exist), points and stored value (储值余额, in yuan; `storedValue` in fen).
 */
function memberFile(run, n) {
  const rows = ['name,phone,member_no,tier,points,储值余额,registered_at'];
  const members = [];
  for (let i = 0; i < n; i++) {
    const phone = `137${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const m = {
      name: `会员${i}`, phone, memberNo: `${run}-M${i}`, tier: i % 2 ? 'gold' : 'silver', points: i * 10,
      storedValue: i * 100 + 5,
    };
    members.push(m);
    rows.push(`${m.name},${m.phone},${m.memberNo},${m.tier},${m.points},${i}.05,2023-05-0${1 + (i % 9)} 09:00:00`);
  }
  return { csv: `${rows.join('\n')}\n`, members };
}

/** The member card of a customer. */
async function memberCard(baseUrl, cookie, customerId) {
  return expectOk(await api(baseUrl, 'GET', `/api/v1/loyalty/members/${customerId}`, { cookie }));
}

/** Waits until an import job has finished; answers the job. */
async function waitForJob(baseUrl, cookie, id, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = expectOk(await api(baseUrl, 'GET', `/api/v1/imports/${id}`, { cookie }));
    if (job.status === 'succeeded' || job.status === 'failed') return job;
    assert.ok(Date.now() < deadline, `import ${id} still ${job.status} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

function postCsv(baseUrl, cookie, query, body, headers = {}) {
  return api(baseUrl, 'POST', `/api/v1/imports?${query}`, {
    cookie,
    rawBody: body,
    headers: { 'content-type': 'text/csv', ...headers },
  });
}

async function lookupUser(baseUrl, cookie, userId) {
  return expectOk(await api(baseUrl, 'GET', `/api/v1/customers/lookup?type=user_id&value=${userId}`, { cookie }));
}

describe('CSV imports', () => {
  const tmpDirs = [];
  let dataDir;
  let srv;
  let cookie;
  let adminPassword;

  const tmpDir = (prefix) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    tmpDirs.push(d);
    return d;
  };

  before(async () => {
    dataDir = tmpDir('siyu-e2e-import-');
    adminPassword = randomPassword(16);
    srv = await startServer({ dataDir, env: { SIYU_ADMIN_PASSWORD: adminPassword } });
    cookie = await loginOk(srv.baseUrl, srv.adminEmail, adminPassword);
    for (const [level, name] of ['silver', 'gold'].entries()) {
      expectOk(await api(srv.baseUrl, 'POST', '/api/v1/loyalty/tiers', { cookie, body: { name, level, threshold: level * 1000 } }), CREATED);
    }
  });

  after(async () => {
    if (srv) await srv.stop();
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('POST /api/v1/imports imports orders in the background; GET shows counts and the error report', async () => {
    const run = uniq('api');
    const { csv, expected } = orderFile(run);
    const res = await postCsv(srv.baseUrl, cookie, `kind=orders&name=${run}.csv`, csv);
    const job = expectOk(res, CREATED);
    assert.equal(res.headers.get('location'), `/api/v1/imports/${job.id}`);
    assert.equal(job.kind, 'orders');
    assert.ok(['queued', 'running', 'succeeded'].includes(job.status), job.status);
    assert.equal(job.bytes, Buffer.byteLength(csv));
    assert.equal(job.file_name, `${run}.csv`);

    const done = await waitForJob(srv.baseUrl, cookie, job.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.deepEqual(
      { ...done.counts, duration_ms: 0 },
      {
        rows: expected.rows,
        orders: expected.orders,
        refunds: expected.refunds,
        duplicates: 0,
        customers: expected.customers,
        guest_orders: expected.guestOrders,
        rejected_rows: expected.rejectedRows,
        rejected_orders: expected.rejectedOrders,
        duration_ms: 0,
      },
    );
    assert.equal(done.progress.percent, 100);
    assert.equal(done.progress.rows, expected.rows);
    assert.ok(done.started_at && done.finished_at);

    for (const [cid, cents] of expected.spent) {
      const c = await lookupUser(srv.baseUrl, cookie, cid);
      assert.equal(c.computed.total_spent, cents, `customer ${cid} total_spent`);
      assert.equal(c.computed.order_count, expected.orderCount.get(cid), `customer ${cid} order_count`);
    }
    const refunded = await lookupUser(srv.baseUrl, cookie, '900003');  // base + 3
    assert.equal(refunded.computed.refund_count, 1);

    const report = await api(srv.baseUrl, 'GET', done.errors_url, { cookie });
    assert.equal(report.status, 200);
    assert.match(report.headers.get('content-type') ?? '', /^text\/csv/);
    const lines = report.text.trim().split('\n');
    assert.equal(lines[0], 'line,column,reason');
    assert.ok(lines.some((l) => l.startsWith(`${expected.badLine},UnitPrice,`)), report.text);
    assert.equal(done.error_count, lines.length - 1);

    // The same file again: every order is a duplicate and nothing changes.
    const again = expectOk(await postCsv(srv.baseUrl, cookie, 'kind=orders', zlib.gzipSync(csv)), CREATED);
    const second = await waitForJob(srv.baseUrl, cookie, again.id);
    assert.equal(second.status, 'succeeded', JSON.stringify(second));
    assert.equal(second.counts.duplicates, expected.orders + expected.refunds);
    for (const [cid, cents] of expected.spent) {
      assert.equal((await lookupUser(srv.baseUrl, cookie, cid)).computed.total_spent, cents, `re-run: ${cid}`);
    }
    const listed = expectOk(await api(srv.baseUrl, 'GET', '/api/v1/imports?limit=2', { cookie }));
    assert.deepEqual(listed.data.map((j) => j.id), [again.id, job.id]);
  });

  test('POST /api/v1/imports?kind=customers creates members and fills in existing customers', async () => {
    const run = uniq('mem');
    const { csv, members } = memberFile(run, 5);
    const known = expectOk(
      await api(srv.baseUrl, 'POST', '/api/v1/customers', { cookie, body: { name: 'Known', phone: members[0].phone } }),
      CREATED,
    );
    const job = expectOk(await postCsv(srv.baseUrl, cookie, 'kind=customers', csv), CREATED);
    const done = await waitForJob(srv.baseUrl, cookie, job.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.counts.created, 4);
    assert.equal(done.counts.updated, 1);
    assert.equal(done.counts.members_created, 5);
    const first = expectOk(
      await api(srv.baseUrl, 'GET', `/api/v1/customers/lookup?type=member_no&value=${members[0].memberNo}`, { cookie }),
    );
    assert.equal(first.id, known.id);
    assert.equal(first.name, 'Known');
    const last = expectOk(
      await api(srv.baseUrl, 'GET', `/api/v1/customers/lookup?type=phone&value=${members[4].phone}`, { cookie }),
    );
    assert.equal(last.member_no, members[4].memberNo);

    // Each row is a member with its tier and opening balances.
    const cards = [];
    for (const [i, m] of members.entries()) {
      const c = expectOk(await api(srv.baseUrl, 'GET', `/api/v1/customers/lookup?type=member_no&value=${m.memberNo}`, { cookie }));
      const card = await memberCard(srv.baseUrl, cookie, c.id);
      assert.equal(card.member_no, m.memberNo);
      assert.equal(card.channel, 'import');
      assert.equal(card.points, m.points, `member ${i}`);
      assert.equal(card.stored_value, m.storedValue, `member ${i}`);
      assert.equal(card.tier.name, m.tier);
      cards.push([c.id, card]);
    }
    const entries = expectOk(await api(srv.baseUrl, 'GET', `/api/v1/loyalty/members/${last.id}/points/entries`, { cookie }));
    assert.equal(entries.data.length, 1);
    assert.equal(entries.data[0].type, 'adjust');
    assert.equal(entries.data[0].source_type, 'import');
    assert.equal(entries.data[0].reason, 'opening balance');

    // The same file again changes nothing.
    const again = await waitForJob(srv.baseUrl, cookie, expectOk(await postCsv(srv.baseUrl, cookie, 'kind=customers', csv), CREATED).id);
    assert.equal(again.status, 'succeeded', JSON.stringify(again));
    assert.equal(again.counts.unchanged, 5);
    assert.equal(again.counts.members_created, 0);
    for (const [id, card] of cards) {
      const now = await memberCard(srv.baseUrl, cookie, id);
      assert.equal(now.points, card.points);
      assert.equal(now.stored_value, card.stored_value);
      assert.equal(now.tier.id, card.tier.id);
    }
    const after = expectOk(await api(srv.baseUrl, 'GET', `/api/v1/loyalty/members/${last.id}/points/entries`, { cookie }));
    assert.equal(after.data.length, 1);

    // An unknown tier is a row error naming the column.
    const bad = await waitForJob(srv.baseUrl, cookie, expectOk(await postCsv(srv.baseUrl, cookie, 'kind=customers', `phone,会员等级\n13700000001,platinum\n`), CREATED).id);
    assert.equal(bad.counts.rejected_rows, 1);
    const report = await rawRequest(srv.baseUrl, 'GET', `/api/v1/imports/${bad.id}/errors`, { headers: { cookie } });
    assert.match(report.text, /\n2,会员等级,"no tier is named 'platinum' \(the tiers are: silver, gold\)"/);
  });

  test('bad requests are refused before a job exists', async () => {
    const { csv } = orderFile(uniq('bad'), { base: 920000 });
    expectError(await postCsv(srv.baseUrl, cookie, '', csv), 400, 'invalid_argument', 'kind');
    expectError(await postCsv(srv.baseUrl, cookie, 'kind=products', csv), 400, 'invalid_argument', 'kind');
    expectError(await postCsv(srv.baseUrl, cookie, 'kind=orders', 'a,b\n1,2\n'), 400, 'invalid_argument', 'map');
    expectError(await postCsv(srv.baseUrl, cookie, 'kind=orders&map=nosuchfield%3DX', csv), 400, 'invalid_argument', 'map');
    expectError(await postCsv(srv.baseUrl, cookie, 'kind=orders&currency=pounds', csv), 400, 'invalid_argument', 'currency');
    expectError(await postCsv(srv.baseUrl, cookie, 'kind=orders', ''), 400, 'invalid_argument', 'body');
    expectError(
      await postCsv(srv.baseUrl, cookie, 'kind=orders', '{}', { 'content-type': 'application/json' }),
      400,
      'invalid_argument',
      'body',
    );
    expectError(await api(srv.baseUrl, 'GET', '/api/v1/imports/987654', { cookie }), 404, 'not_found');
    const big = Buffer.alloc(1024 * 1024 + 10, 'a');
    const tooBig = await rawRequest(srv.baseUrl, 'POST', '/api/v1/imports?kind=orders', {
      headers: { cookie, 'content-type': 'text/csv' },
      body: big,
    });
    assert.equal(tooBig.status, 413, JSON.stringify(tooBig.body));
  });

  test('an analyst may not import', async () => {
    const email = `${uniq('analyst')}@example.com`;
    const password = randomPassword(14);
    expectOk(await api(srv.baseUrl, 'POST', '/api/v1/users', { cookie, body: { email, name: 'A', role: 'analyst', password } }), CREATED);
    const analyst = await loginOk(srv.baseUrl, email, password);
    expectError(await postCsv(srv.baseUrl, analyst, 'kind=orders', orderFile(uniq('an'), { base: 930000 }).csv), 403, 'forbidden');
  });

  test('siyu import orders / customers: refused while the server runs, then imports a gzip file', async () => {
    const run = uniq('cli');
    const dir = tmpDir('siyu-e2e-import-files-');
    const { csv, expected } = orderFile(run, { orders: 60, customers: 9, base: 910000 });
    const file = path.join(dir, 'orders.csv.gz');
    fs.writeFileSync(file, zlib.gzipSync(csv));
    const members = memberFile(run, 3);
    const memberPath = path.join(dir, 'members.csv');
    fs.writeFileSync(memberPath, members.csv);
    const errors = path.join(dir, 'errors.csv');

    const busy = runCli(['import', 'orders', file, '--tenant-id', '1'], dataDir);
    assert.equal(busy.code, 1, busy.stdout);
    assert.match(busy.stderr.trim(), /^siyu: .*in use by a running siyu server/);
    assert.equal(busy.stderr.trim().split('\n').length, 1, busy.stderr);

    await srv.stop();
    srv = null;
    const r = runCli(['import', 'orders', file, '--tenant-id', '1', '--currency', 'gbp', '--errors', errors], dataDir);
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
    assert.equal(Number(cliValue(r.stdout, 'rows')), expected.rows);
    assert.equal(Number(cliValue(r.stdout, 'orders')), expected.orders);
    assert.equal(Number(cliValue(r.stdout, 'refunds')), expected.refunds);
    assert.equal(Number(cliValue(r.stdout, 'customers')), expected.customers);
    assert.equal(Number(cliValue(r.stdout, 'guest_orders')), expected.guestOrders);
    assert.equal(Number(cliValue(r.stdout, 'rejected_rows')), expected.rejectedRows);
    assert.match(fs.readFileSync(errors, 'utf8'), new RegExp(`^line,column,reason\\n${expected.badLine},UnitPrice,`));
    assert.match(r.stderr, new RegExp(`line ${expected.badLine}, UnitPrice: `));

    const again = runCli(['import', 'orders', file, '--tenant-id', '1', '--currency', 'GBP', '--no-progress'], dataDir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(Number(cliValue(again.stdout, 'duplicates')), expected.orders + expected.refunds);

    const m = runCli(['import', 'customers', memberPath, '--tenant-id', '1'], dataDir);
    assert.equal(m.code, 0, m.stderr);
    assert.equal(Number(cliValue(m.stdout, 'created')), 3);
    const badMap = runCli(['import', 'customers', memberPath, '--map', 'phone=手机'], dataDir);
    assert.equal(badMap.code, 1);
    assert.match(badMap.stderr, /column '手机' \(mapped to phone\) is not in the header/);

    srv = await startServer({ dataDir, env: { SIYU_ADMIN_PASSWORD: adminPassword } });
    cookie = await loginOk(srv.baseUrl, srv.adminEmail, adminPassword);
    for (const [cid, cents] of expected.spent) {
      const c = await lookupUser(srv.baseUrl, cookie, cid);
      assert.equal(c.computed.total_spent, cents, `customer ${cid}`);
      const order = expectOk(await api(srv.baseUrl, 'GET', `/api/v1/customers/${c.id}/events?event=Order%20Completed&limit=1`, { cookie }));
      assert.equal(order.data[0].currency, 'GBP');
    }
    // The engine, rebuilt at start-up, counts the imported events.
    const counts = expectOk(await api(srv.baseUrl, 'GET', '/api/v1/analytics/events?from=2024-03-01&to=2024-03-31', { cookie }));
    const completed = counts.data.find((x) => x.event === 'Order Completed');
    assert.ok(completed && completed.events >= expected.orders, JSON.stringify(counts));
    const member = expectOk(
      await api(srv.baseUrl, 'GET', `/api/v1/customers/lookup?type=member_no&value=${members.members[2].memberNo}`, { cookie }),
    );
    const card = await memberCard(srv.baseUrl, cookie, member.id);
    assert.equal(card.points, members.members[2].points);
    assert.equal(card.stored_value, members.members[2].storedValue);
  });
});

/** The binary for the full data set: the Release build when SIYU_RELEASE_BIN names one. */
const retailBin = process.env.SIYU_RELEASE_BIN || siyuBin;

describe('Online Retail data set (../shared/data/online_retail.csv.gz)', { skip: fs.existsSync(RETAIL) ? false : `${RETAIL} is absent; this data set is not in the repository` }, () => {
  let dataDir;
  after(() => {
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('imports 541,909 rows into 25,900 invoices with the documented counts', async (t) => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-e2e-retail-'));
    const cli = (args) => {
      const r = spawnSync(retailBin, [...args, '--data-dir', dataDir], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
      if (r.error) throw r.error;
      return r;
    };
    const added = cli(['tenant', 'add', '--name', 'Online Retail', '--time-zone', 'Europe/London', '--currency', 'GBP']);
    assert.equal(added.status, 0, added.stderr);
    const tenant = cliValue(added.stdout, 'tenant_id');
    const started = Date.now();
    const r = cli(['import', 'orders', RETAIL, '--tenant-id', tenant, '--no-progress']);
    assert.equal(r.status, 0, r.stderr);
    const n = (name) => Number(cliValue(r.stdout, name));
    // Every row is read; every invoice ends up as an order, a refund or a rejected order.
    assert.equal(n('rows'), 541_909);
    assert.equal(n('orders') + n('refunds') + n('rejected_orders'), 25_900);
    assert.equal(n('refunds'), 3_836);
    // Rejected: 1,336 one-row stock adjustments with a negative quantity on a non-C invoice,
    // the two "Adjust bad debt" rows with a negative price, and the 4 invoices holding a line
    // priced 0.001 (more decimals than GBP has), 122 rows in all.
    assert.equal(n('rejected_orders'), 1_342);
    assert.equal(n('rejected_rows'), 1_460);
    assert.equal(n('orders'), 20_722);
    // The file names 4,372 customers; customer 16198 has just one invoice (568200), which
    // holds a 0.001 line, so 4,371 customers get orders. Guest invoices become a customer each.
    assert.equal(n('customers'), 4_371);
    assert.equal(n('guest_orders'), 2_372);
    assert.equal(n('duplicates'), 0);
    t.diagnostic(`${retailBin} imported online_retail.csv.gz in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const owner = `${uniq('owner')}@example.com`;
    const password = randomPassword(16);
    const u = cli(['user', 'add', '--tenant-id', tenant, '--email', owner, '--role', 'owner', '--password', password]);
    assert.equal(u.status, 0, u.stderr);
    const srv = await startServer({ dataDir });
    try {
      const cookie = await loginOk(srv.baseUrl, owner, password, Number(tenant));
      const overview = expectOk(await api(srv.baseUrl, 'GET', '/api/v1/stats/overview', { cookie }));
      assert.equal(overview.customers_total, 4_371 + 2_372);
      const c = await lookupUser(srv.baseUrl, cookie, '17850');
      assert.ok(c.computed.order_count > 0, JSON.stringify(c.computed));
    } finally {
      await srv.stop();
    }
  });
});

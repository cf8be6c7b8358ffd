// Operations endpoints, error shape, request ids, the OpenAPI document, static console and
// graceful shutdown.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  startServer,
  loginOk,
  api,
  rawRequest,
  expectError,
  expectOk,
  CREATED,
  repoRoot,
  readDocumentedRoutes,
  readPermissionMatrix,
  normalizePath,
  openapiOperations,
  sleep,
  uniq,
  within,
} from './lib/server.mjs';

const distIndex = path.join(repoRoot, 'web', 'dist', 'index.html');
const hasDist = fs.existsSync(distIndex);

describe('operations', () => {
  let srv;
  let cookie;

  before(async () => {
    srv = await startServer();
    cookie = await loginOk(srv.baseUrl, srv.adminEmail, srv.adminPassword);
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  test('GET /healthz answers 200 {"status":"ok"}', async () => {
    const res = await api(srv.baseUrl, 'GET', '/healthz');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(res.body.status, 'ok');
  });

  test('GET /readyz answers 200 {"status":"ready"}', async () => {
    const res = await api(srv.baseUrl, 'GET', '/readyz');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(res.body.status, 'ready');
  });

  test('GET /metrics is Prometheus text with the documented series', async () => {
    await api(srv.baseUrl, 'GET', '/api/v1/customers', { cookie });
    await api(srv.baseUrl, 'GET', '/healthz');
    const res = await api(srv.baseUrl, 'GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = res.text;
    assert.match(text, /^# TYPE siyu_http_requests_total counter$/m);
    const reqLines = text.split('\n').filter((l) => l.startsWith('siyu_http_requests_total{'));
    assert.ok(reqLines.length > 0, 'no siyu_http_requests_total samples');
    for (const l of reqLines) {
      assert.match(l, /route="[^"]*"/, l);
      assert.match(l, /method="[A-Z]+"/, l);
      assert.match(l, /status="\d{3}"/, l);
      assert.match(l, /\}\s+\d+(\.\d+)?(e[+-]?\d+)?$/, l);
    }
    assert.ok(
      reqLines.some((l) => l.includes('method="GET"') && l.includes('status="200"')),
      'no GET/200 sample in siyu_http_requests_total',
    );
    assert.match(text, /^# TYPE siyu_http_request_duration_seconds histogram$/m);
    assert.match(text, /^siyu_http_request_duration_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} \d+/m);
    assert.match(text, /^siyu_http_request_duration_seconds_count\{[^}]*route="[^"]*"[^}]*\} \d+/m);
    assert.match(text, /^siyu_http_request_duration_seconds_sum\{/m);
    assert.match(text, /^siyu_db_writer_queue_depth(\{[^}]*\})? \d+/m);
    assert.match(text, /^siyu_build_info\{[^}]*version="[^"]+"[^}]*\} 1$/m);
  });

  test('siyu_http_requests_total counts requests per route', async () => {
    const sample = async () => {
      const text = (await api(srv.baseUrl, 'GET', '/metrics')).text;
      const line = text
        .split('\n')
        .find((l) => l.startsWith('siyu_http_requests_total{') && /route="[^"]*healthz"/.test(l) && l.includes('method="GET"') && l.includes('status="200"'));
      return line ? Number(line.trim().split(/\s+/).pop()) : 0;
    };
    const before = await sample();
    for (let i = 0; i < 3; i++) assert.equal((await api(srv.baseUrl, 'GET', '/healthz')).status, 200);
    const after = await sample();
    assert.ok(after - before >= 3, `healthz counter went from ${before} to ${after}`);
  });

  test('the default body limit is 1 MiB', async () => {
    const over = Buffer.from(JSON.stringify({ name: 'huge', traits: { blob: 'x'.repeat(1024 * 1024 + 100) } }));
    const headers = { cookie, 'content-type': 'application/json' };
    const res = await rawRequest(srv.baseUrl, 'POST', '/api/v1/customers', { headers, body: over });
    expectError(res, 413, 'payload_too_large');
    const under = Buffer.from(JSON.stringify({ name: 'large', traits: { blob: 'x'.repeat(900 * 1024) } }));
    const ok = await rawRequest(srv.baseUrl, 'POST', '/api/v1/customers', { headers, body: under });
    assert.notEqual(ok.status, 413, 'a 900 KiB body was refused as too large');
    expectError(ok, 400, 'invalid_argument', 'traits');
    assert.equal((await api(srv.baseUrl, 'GET', '/healthz')).status, 200);
  });

  test('X-Request-Id is echoed when sent', async () => {
    const id = `e2e-${uniq()}`;
    const res = await api(srv.baseUrl, 'GET', '/healthz', { headers: { 'x-request-id': id } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-request-id'), id);
  });

  test('X-Request-Id is generated when not sent, and differs per request', async () => {
    const a = await api(srv.baseUrl, 'GET', '/healthz');
    const b = await api(srv.baseUrl, 'GET', '/healthz');
    const ida = a.headers.get('x-request-id');
    const idb = b.headers.get('x-request-id');
    assert.ok(ida && ida.length >= 8, `generated request id: ${ida}`);
    assert.ok(idb && idb.length >= 8, `generated request id: ${idb}`);
    assert.notEqual(ida, idb);
  });

  test('errors carry the request id of the X-Request-Id header', async () => {
    const id = `e2e-${uniq()}`;
    const res = await api(srv.baseUrl, 'GET', '/api/v1/no-such-route', { cookie, headers: { 'x-request-id': id } });
    expectError(res, 404, 'not_found');
    assert.equal(res.headers.get('x-request-id'), id);
    assert.equal(res.body.error.request_id, id);

    const gen = await api(srv.baseUrl, 'GET', '/api/v1/customers');
    expectError(gen, 401, 'unauthenticated');
    assert.ok(gen.body.error.request_id, 'request_id missing');
    assert.equal(gen.body.error.request_id, gen.headers.get('x-request-id'));
  });

  test('unknown routes answer 404 with the JSON error shape', async () => {
    for (const p of ['/api/v1/no-such-route', '/api/v1/customers/1/no-such-thing', '/api/no-such-thing']) {
      const res = await api(srv.baseUrl, 'GET', p, { cookie });
      const err = expectError(res, 404, 'not_found');
      assert.match(res.headers.get('content-type') ?? '', /application\/json/, p);
      assert.equal(typeof err.request_id, 'string', p);
    }
  });

  test('an unknown /api/v1 route is 404 even without credentials', async () => {
    const res = await api(srv.baseUrl, 'GET', '/api/v1/no-such-route');
    expectError(res, 404, 'not_found');
  });

  test('wrong method on a known path answers 405 method_not_allowed', async () => {
    const cases = [
      ['PUT', '/api/v1/customers'],
      ['DELETE', '/api/v1/customers'],
      ['POST', '/api/v1/customers/lookup'],
      ['PUT', '/api/v1/tenant'],
      ['POST', '/api/v1/auth/me'],
      ['POST', '/healthz'],
    ];
    for (const [method, p] of cases) {
      const res = await api(srv.baseUrl, method, p, { cookie, body: method === 'DELETE' ? undefined : {} });
      expectError(res, 405, 'method_not_allowed');
    }
  });

  test('405 answers carry an Allow header naming the allowed methods', async () => {
    const res = await api(srv.baseUrl, 'PUT', '/api/v1/customers', { cookie, body: {} });
    assert.equal(res.status, 405);
    const allow = (res.headers.get('allow') ?? '').toUpperCase();
    assert.ok(allow.includes('GET') && allow.includes('POST'), `Allow: ${allow}`);
  });

  describe('OpenAPI document', () => {
    let doc;
    let ops;

    before(async () => {
      const res = await api(srv.baseUrl, 'GET', '/api/openapi.json');
      assert.equal(res.status, 200, `GET /api/openapi.json: ${res.status}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      doc = res.body;
      ops = openapiOperations(doc);
    });

    test('is an OpenAPI 3 document', () => {
      assert.equal(typeof doc, 'object');
      assert.match(String(doc.openapi), /^3\.\d+\.\d+$/);
      assert.equal(typeof doc.info?.title, 'string');
      assert.equal(typeof doc.info?.version, 'string');
      assert.equal(typeof doc.paths, 'object');
      for (const { method, path: p, op } of ops) {
        assert.equal(typeof op.responses, 'object', `${method} ${p}: responses`);
      }
    });

    test('every route in docs/api.md is in the document with the documented permission', () => {
      const documented = readDocumentedRoutes();
      assert.ok(documented.length >= 25, `parsed only ${documented.length} routes from docs/api.md`);
      const byKey = new Map(ops.map((o) => [`${o.method} ${normalizePath(o.path)}`, o]));
      const missing = [];
      const wrongPermission = [];
      for (const r of documented) {
        const o = byKey.get(`${r.method} ${normalizePath(r.path)}`);
        if (!o) {
          missing.push(`${r.method} ${r.path}`);
          continue;
        }
        const perm = o.op['x-siyu-permission'];
        if (r.path.startsWith('/api/v1/auth/')) {
          if (perm !== undefined) wrongPermission.push(`${r.method} ${r.path}: has ${perm}, expected none`);
        } else if (r.permission && perm !== r.permission) {
          wrongPermission.push(`${r.method} ${r.path}: ${perm}, expected ${r.permission}`);
        }
      }
      assert.deepEqual(missing, [], 'documented routes missing from /api/openapi.json');
      assert.deepEqual(wrongPermission, [], 'x-siyu-permission differs from docs/api.md');
    });

    test('every /api/v1 operation outside auth names a permission from permissions.md', () => {
      const { matrix } = readPermissionMatrix();
      const problems = [];
      for (const { method, path: p, op } of ops) {
        if (!p.startsWith('/api/v1/')) continue;
        const perm = op['x-siyu-permission'];
        if (p.startsWith('/api/v1/auth/')) {
          if (perm !== undefined) problems.push(`${method} ${p}: auth route with permission ${perm}`);
        } else if (!(perm in matrix)) {
          problems.push(`${method} ${p}: x-siyu-permission ${perm}`);
        }
      }
      assert.deepEqual(problems, []);
    });

    test('every operation in the document is served (401 without credentials, not 404/405)', async () => {
      const problems = [];
      for (const { method, path: p } of ops) {
        if (!p.startsWith('/api/v1/')) continue;
        if (p === '/api/v1/auth/login' || p === '/api/v1/auth/logout') continue;
        const concrete = p.replace(/\{[^}]*\}/g, '1');
        const res = await api(srv.baseUrl, method, concrete, {
          body: method === 'POST' || method === 'PATCH' || method === 'PUT' ? {} : undefined,
        });
        if (res.status !== 401 || res.body?.error?.code !== 'unauthenticated') {
          problems.push(`${method} ${concrete}: ${res.status} ${JSON.stringify(res.body)}`);
        }
      }
      assert.deepEqual(problems, []);
    });
  });

  describe('static console', () => {
    test('GET / answers the console as text/html', { skip: !hasDist && 'web/dist is not built' }, async () => {
      const res = await api(srv.baseUrl, 'GET', '/');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(res.text, fs.readFileSync(distIndex, 'utf8'));
    });

    test('a client-side route falls back to index.html', { skip: !hasDist && 'web/dist is not built' }, async () => {
      for (const p of ['/customers/123', '/settings/users']) {
        const res = await api(srv.baseUrl, 'GET', p);
        assert.equal(res.status, 200, p);
        assert.match(res.headers.get('content-type') ?? '', /^text\/html/, p);
        assert.equal(res.text, fs.readFileSync(distIndex, 'utf8'), p);
      }
    });

    test('built assets are served with their content type', { skip: !hasDist && 'web/dist is not built' }, async () => {
      const assetsDir = path.join(repoRoot, 'web', 'dist', 'assets');
      const js = fs.existsSync(assetsDir) ? fs.readdirSync(assetsDir).find((f) => f.endsWith('.js')) : undefined;
      if (!js) return;
      const res = await api(srv.baseUrl, 'GET', `/assets/${js}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /javascript/);
      assert.equal(res.text, fs.readFileSync(path.join(assetsDir, js), 'utf8'));
    });
  });

  // Stops the server: keep this the last test of the file.
  test('SIGTERM shuts down gracefully: in-flight requests complete, exit code 0', async () => {
    const total = 200;
    for (let i = 0; i < total; i += 10) {
      const batch = [];
      for (let j = i; j < Math.min(total, i + 10); j++) {
        batch.push(api(srv.baseUrl, 'POST', '/api/v1/customers', { cookie, body: { name: `bulk ${j}`, traits: { n: j, pad: 'x'.repeat(200) } } }));
      }
      for (const r of await Promise.all(batch)) expectOk(r, CREATED);
    }

    const url = new URL(srv.baseUrl);
    const send = (method, p, headers, onWritten) =>
      new Promise((resolve) => {
        const reject = (err) => resolve({ status: `${method} ${p} failed: ${err.code ?? err.message}`, text: '' });
        const req = http.request({ host: url.hostname, port: url.port, path: p, method, headers, agent: false }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('error', reject);
        onWritten(req);
      });

    let listWritten;
    const listSent = new Promise((r) => (listWritten = r));
    const list = send('GET', '/api/v1/customers?limit=200', { cookie }, (req) => {
      req.end(() => listWritten());
    });

    const body = Buffer.from(JSON.stringify({ name: `in flight ${uniq()}`, traits: { pad: 'y'.repeat(2000) } }));
    let uploadReq;
    const upload = send(
      'POST',
      '/api/v1/customers',
      { cookie, 'content-type': 'application/json', 'content-length': String(body.length) },
      (req) => {
        uploadReq = req;
        req.write(body.subarray(0, 1000));
      },
    );

    await listSent;
    await sleep(150);
    srv.proc.kill('SIGTERM');
    await sleep(300);
    uploadReq.end(body.subarray(1000));

    const [listRes, uploadRes] = await Promise.all([list, upload]);
    assert.equal(listRes.status, 200, `in-flight list: ${listRes.status} ${listRes.text.slice(0, 200)}`);
    assert.equal(JSON.parse(listRes.text).data.length, 200);
    assert.ok(CREATED.includes(uploadRes.status), `in-flight upload: ${uploadRes.status} ${uploadRes.text.slice(0, 200)}`);

    const exit = await within(srv.exited, 15_000);
    assert.ok(exit, 'server did not exit within 15 s of SIGTERM');
    assert.equal(exit.code, 0, `exit: ${JSON.stringify(exit)}\n${srv.stderrTail()}`);

    await assert.rejects(fetch(`${srv.baseUrl}/healthz`), 'server still accepts connections after shutdown');
  });
});

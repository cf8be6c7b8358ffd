// Black-box test harness: starts `siyu serve` on a free port with a fresh data directory and
// offers small HTTP and CLI helpers. Uses node built-ins only.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The repository root (tests/e2e/lib/../../..). */
export const repoRoot = path.resolve(here, '..', '..', '..');

/** The server binary under test. */
export const siyuBin = process.env.SIYU_BIN || path.join(repoRoot, 'build', 'debug', 'siyu');

/** RFC 3339 UTC with milliseconds, as docs/api.md prescribes. */
export const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// Generous: `serve --demo` loads the demo brand (members, orders, coupons) before it is ready,
// which takes tens of seconds in the sanitizer build on a busy machine.
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;
const CLI_TIMEOUT_MS = 60_000;
const STDERR_TAIL_BYTES = 8192;

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A random password of `length` URL-safe characters. */
export function randomPassword(length = 16) {
  return crypto.randomBytes(length * 2).toString('base64url').slice(0, length);
}

/** A short random token for unique names, codes and emails. */
export function uniq(prefix = '') {
  return prefix + crypto.randomBytes(5).toString('hex');
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves to the promise's value, or to `onTimeout` after `ms`; never keeps the process alive. */
export function within(promise, ms, onTimeout = null) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(onTimeout), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs `siyu <args> [--data-dir DIR]` synchronously. */
export function runCli(args, dataDir, env = {}) {
  const fullArgs = dataDir ? [...args, '--data-dir', dataDir] : [...args];
  const r = spawnSync(siyuBin, fullArgs, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: CLI_TIMEOUT_MS,
  });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Reads `name=value` from CLI output (the last occurrence). */
export function cliValue(output, name) {
  const re = new RegExp(`^${name}=(\\S+)\\s*$`, 'gm');
  let m;
  let last = null;
  while ((m = re.exec(output)) !== null) last = m[1];
  return last;
}

/**
 * Starts `siyu serve` and waits until GET /readyz answers 200.
 * Options: args (extra serve flags), env (extra environment; the demo's WeCom simulator is off
 * unless env sets SIYU_DEMO_WECOM=1), dataDir (use this directory instead of a fresh temporary
 * one; it is then left in place on stop), logLevel.
 */
export async function startServer({ args = [], env = {}, dataDir: givenDataDir, logLevel = 'warn' } = {}) {
  if (!fs.existsSync(siyuBin)) {
    throw new Error(`server binary not found: ${siyuBin} (set SIYU_BIN)`);
  }
  const port = await freePort();
  const ownsDataDir = !givenDataDir;
  const dataDir = givenDataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-e2e-'));
  const adminEmail = env.SIYU_ADMIN_EMAIL ?? 'admin@siyu.local';
  const adminPassword = env.SIYU_ADMIN_PASSWORD ?? randomPassword(16);
  const childEnv = {
    ...process.env,
    SIYU_ADMIN_EMAIL: adminEmail,
    SIYU_ADMIN_PASSWORD: adminPassword,
    // `--demo` drives an in-process WeCom simulator unless this is 0; tests opt in.
    SIYU_DEMO_WECOM: '0',
    ...env,
  };
  const serveArgs = [
    'serve',
    '--data-dir', dataDir,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--log-level', logLevel,
    ...args,
  ];
  const proc = spawn(siyuBin, serveArgs, { cwd: repoRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });

  let stderrTail = '';
  let stdoutTail = '';
  proc.stderr.setEncoding('utf8');
  proc.stdout.setEncoding('utf8');
  proc.stderr.on('data', (chunk) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
  });
  proc.stdout.on('data', (chunk) => {
    stdoutTail = (stdoutTail + chunk).slice(-STDERR_TAIL_BYTES);
  });

  let exitInfo = null;
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  const spawnError = new Promise((resolve) => proc.on('error', (err) => resolve(err)));

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProblem = 'no answer';
  for (;;) {
    if (exitInfo) {
      lastProblem = `server exited early (code ${exitInfo.code}, signal ${exitInfo.signal})`;
      break;
    }
    try {
      const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) {
        lastProblem = null;
        break;
      }
      lastProblem = `/readyz answered ${res.status}`;
    } catch (err) {
      lastProblem = `/readyz: ${err.cause?.code ?? err.message}`;
    }
    if (Date.now() > deadline) break;
    const failed = await Promise.race([sleep(100).then(() => null), spawnError]);
    if (failed) {
      lastProblem = `cannot start ${siyuBin}: ${failed.message}`;
      break;
    }
  }
  if (lastProblem) {
    if (!exitInfo) proc.kill('SIGKILL');
    await within(exited, 2000);
    if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    throw new Error(
      `siyu serve did not become ready: ${lastProblem}\n--- stderr (tail) ---\n${stderrTail}` +
        `\n--- stdout (tail) ---\n${stdoutTail}`,
    );
  }

  async function stop(signal = 'SIGTERM') {
    if (!exitInfo) {
      proc.kill(signal);
      const timedOut = await within(exited.then(() => false), STOP_TIMEOUT_MS, true);
      if (timedOut) {
        proc.kill('SIGKILL');
        await exited;
        if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
        throw new Error(`siyu serve did not exit within ${STOP_TIMEOUT_MS} ms after ${signal}`);
      }
    }
    if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    return exitInfo.code ?? exitInfo.signal;
  }

  return {
    baseUrl,
    port,
    dataDir,
    adminEmail,
    adminPassword,
    proc,
    exited,
    stop,
    stderrTail: () => stderrTail,
    cli: (cliArgs) => runCli(cliArgs, dataDir),
  };
}

function setCookies(headers) {
  if (typeof headers.getSetCookie === 'function') return headers.getSetCookie();
  const one = headers.get('set-cookie');
  return one ? [one] : [];
}

/** Extracts `siyu_session=<value>` from a response's Set-Cookie headers, or null. */
export function sessionCookie(headers) {
  for (const c of setCookies(headers)) {
    const m = /^\s*siyu_session=([^;]*)/.exec(c);
    if (m) return { pair: `siyu_session=${m[1]}`, value: m[1], raw: c };
  }
  return null;
}

/** POST /api/v1/auth/login. Returns {status, body, cookie ('siyu_session=...' or null), setCookie, headers}. */
export async function login(baseUrl, email, password, tenantId, extraHeaders = {}) {
  const body = { email, password };
  if (tenantId !== undefined && tenantId !== null) body.tenant_id = tenantId;
  const res = await api(baseUrl, 'POST', '/api/v1/auth/login', { body, headers: extraHeaders });
  const sc = sessionCookie(res.headers);
  return {
    status: res.status,
    body: res.body,
    headers: res.headers,
    cookie: sc && sc.value ? sc.pair : null,
    setCookie: sc ? sc.raw : null,
  };
}

/** Logs in and asserts success; returns the cookie. */
export async function loginOk(baseUrl, email, password, tenantId) {
  const r = await login(baseUrl, email, password, tenantId);
  assert.equal(r.status, 200, `login ${email}: ${JSON.stringify(r.body)}`);
  assert.ok(r.cookie, `login ${email}: no siyu_session cookie`);
  return r.cookie;
}

/**
 * One HTTP request. Options: cookie ('siyu_session=...'), token (Bearer), body (JSON-encoded),
 * rawBody (sent as is), headers. Answers {status, headers, body (parsed JSON or text), text}.
 */
export async function api(baseUrl, method, urlPath, { cookie, token, body, rawBody, headers = {} } = {}) {
  const h = { ...headers };
  if (cookie) h.cookie = cookie;
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (rawBody !== undefined) {
    payload = rawBody;
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] = 'application/json';
  }
  const res = await fetch(baseUrl + urlPath, { method, headers: h, body: payload, redirect: 'manual' });
  const text = await res.text();
  let parsed = text;
  const ct = res.headers.get('content-type') || '';
  if (text.length > 0 && (ct.includes('json') || /^\s*[{[]/.test(text))) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  } else if (text.length === 0) {
    parsed = null;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/**
 * A request over node:http that tolerates the server answering before the whole body was
 * sent (413): the headers go first, then the body in chunks until the server answers.
 * `body` is a Buffer; `chunked` omits Content-Length.
 */
export function rawRequest(baseUrl, method, urlPath, { headers = {}, body = Buffer.alloc(0), chunked = false } = {}) {
  const url = new URL(urlPath, baseUrl);
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (!chunked) h['content-length'] = String(body.length);
    let gotResponse = false;
    let settled = false;
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: h, agent: false },
      (res) => {
        gotResponse = true;
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          settled = true;
          resolve({ status: res.statusCode, headers: res.headers, body: parsed, text });
          req.destroy();
        });
        res.on('error', (err) => {
          if (!settled) reject(err);
        });
      },
    );
    req.on('error', (err) => {
      if (!gotResponse && !settled) reject(err);
    });
    req.flushHeaders();
    const chunkSize = 16 * 1024;
    (async () => {
      await sleep(100);
      for (let offset = 0; offset < body.length; offset += chunkSize) {
        if (gotResponse || req.destroyed) return;
        await new Promise((r) => req.write(body.subarray(offset, offset + chunkSize), () => r()));
      }
      if (!gotResponse && !req.destroyed) req.end();
    })().catch(() => {});
  });
}

/** Asserts the documented error shape and returns the error object. */
export function expectError(res, status, code, field) {
  const ctx = `${res.status} ${typeof res.body === 'string' ? res.body.slice(0, 300) : JSON.stringify(res.body)}`;
  assert.equal(res.status, status, `expected HTTP ${status} ${code}${field ? ` (${field})` : ''}, got ${ctx}`);
  assert.ok(res.body && typeof res.body === 'object' && res.body.error, `error body missing: ${ctx}`);
  const err = res.body.error;
  assert.equal(err.code, code, `error.code: ${ctx}`);
  assert.equal(typeof err.message, 'string', `error.message: ${ctx}`);
  if (field !== undefined) {
    if (field instanceof RegExp) assert.match(String(err.field), field, `error.field: ${ctx}`);
    else assert.equal(err.field, field, `error.field: ${ctx}`);
  }
  return err;
}

/** Asserts a 2xx status (with `allowed` the exact set) and returns the body. */
export function expectOk(res, allowed = [200]) {
  const ctx = `${res.status} ${typeof res.body === 'string' ? res.body.slice(0, 300) : JSON.stringify(res.body)}`;
  assert.ok(allowed.includes(res.status), `expected HTTP ${allowed.join('/')}, got ${ctx}`);
  return res.body;
}

/** Statuses accepted for a successful create (the contract does not fix 200 vs 201). */
export const CREATED = [200, 201];
/** Statuses accepted for a successful delete / revoke without a body. */
export const DELETED = [200, 204];

/** Pages through a list endpoint and returns every row. */
export async function listAll(baseUrl, urlPath, auth, limit = 200) {
  const rows = [];
  let cursor = null;
  for (let i = 0; i < 1000; i++) {
    const sep = urlPath.includes('?') ? '&' : '?';
    const q = `${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await api(baseUrl, 'GET', urlPath + q, auth);
    assert.equal(res.status, 200, `GET ${urlPath}${q}: ${res.status} ${JSON.stringify(res.body)}`);
    assert.ok(Array.isArray(res.body.data), `GET ${urlPath}: data is not an array`);
    rows.push(...res.body.data);
    cursor = res.body.next_cursor;
    if (cursor === null || cursor === undefined) return rows;
  }
  throw new Error(`GET ${urlPath}: pagination does not end`);
}

/** Parses the permission matrix of docs/permissions.md into {permission: Set(roles)} and the role list. */
export function readPermissionMatrix() {
  const text = fs.readFileSync(path.join(repoRoot, 'docs', 'permissions.md'), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim().startsWith('|'));
  const header = lines.find((l) => /\|\s*permission\s*\|/.test(l));
  assert.ok(header, 'docs/permissions.md: matrix header not found');
  const cells = (l) => l.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
  const roles = cells(header).slice(1);
  const matrix = {};
  for (const l of lines) {
    const c = cells(l);
    if (c[0] === 'permission' || /^-+$/.test(c[0]) || !/^[a-z_]+\.?[a-z_]*$/.test(c[0])) continue;
    matrix[c[0]] = new Set(roles.filter((_, i) => c[i + 1] && c[i + 1].includes('✓')));
  }
  return { roles, matrix };
}

/**
 * Every route documented in docs/api.md: table rows `| METHOD | `/api/v1/...` |` and inline
 * `` `METHOD /api/v1/...` `` mentions. Answers [{method, path, permission|null}].
 */
export function readDocumentedRoutes() {
  const text = fs.readFileSync(path.join(repoRoot, 'docs', 'api.md'), 'utf8');
  const routes = new Map();
  const add = (method, p, permission) => {
    const clean = p.split('?')[0];
    const key = `${method} ${clean}`;
    if (!routes.has(key) || (permission && !routes.get(key).permission)) {
      routes.set(key, { method, path: clean, permission: permission ?? null });
    }
  };
  for (const line of text.split('\n')) {
    const row = /^\|\s*(GET|POST|PUT|PATCH|DELETE)\s*\|\s*`(\/api\/v1\/[^`]+)`\s*\|(.*)$/.exec(line);
    if (row) {
      const rest = row[3].split('|').map((c) => c.trim());
      const perm = rest.map((c) => /^`([a-z_]+\.[a-z_]+|pii)`$/.exec(c)).find(Boolean);
      add(row[1], row[2], perm ? perm[1] : null);
      continue;
    }
    const inline = /`(GET|POST|PUT|PATCH|DELETE) (\/api\/v1\/[^`\s]+)`([^\n]*)/.exec(line);
    if (inline) {
      const perm = /\(`([a-z_]+\.[a-z_]+)`/.exec(inline[3]);
      add(inline[1], inline[2], perm ? perm[1] : null);
    }
  }
  return [...routes.values()];
}

/** Replaces every `{param}` by `{}` so that parameter names do not matter. */
export function normalizePath(p) {
  return p.replace(/\{[^}]*\}/g, '{}').replace(/\/+$/, '');
}

/**
 * The operations of an OpenAPI document as [{method, path (full, with /api/v1), op}].
 * Paths that do not start with /api are prefixed with the first server URL's path.
 */
export function openapiOperations(doc) {
  let prefix = '';
  const server = doc.servers?.[0]?.url;
  if (server) {
    try {
      prefix = new URL(server, 'http://x').pathname.replace(/\/+$/, '');
    } catch {
      prefix = '';
    }
  }
  const ops = [];
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    const full = p.startsWith('/api/') || p.startsWith('/v1/') || !prefix ? p : prefix + p;
    for (const m of ['get', 'post', 'put', 'patch', 'delete']) {
      if (item[m]) ops.push({ method: m.toUpperCase(), path: full, op: item[m] });
    }
  }
  return ops;
}

/** Today's date (YYYY-MM-DD) in an IANA time zone, shifted by `days`. */
export function dateInZone(timeZone, days = 0) {
  const d = new Date(Date.now() + days * 86_400_000);
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(d)
    .reduce((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return `${parts.year}-${parts.month}-${parts.day}`;
}

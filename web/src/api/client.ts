export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string;
  request_id?: string;
}

/** An answer of the API that is not 2xx, carrying the documented error body. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;
  readonly requestId?: string;
  /** Seconds to wait before trying again, from `Retry-After` on 429 answers. */
  retryAfter?: number;

  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.field = body.field;
    this.requestId = body.request_id;
  }
}

type Query = Record<string, string | number | boolean | null | undefined>;

type UnauthenticatedListener = () => void;

const API_BASE = '/api/v1';
const listeners = new Set<UnauthenticatedListener>();

/** Registers a callback run whenever an API call answers 401; returns the unsubscribe function. */
export function onUnauthenticated(listener: UnauthenticatedListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function buildUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return `${API_BASE}${path}${qs ? `?${qs}` : ''}`;
}

async function readErrorBody(response: Response): Promise<ApiErrorBody | null> {
  try {
    const body = (await response.json()) as { error?: ApiErrorBody };
    return body.error?.code ? body.error : null;
  } catch {
    return null;
  }
}

async function parseError(response: Response): Promise<ApiError> {
  const requestId = response.headers.get('X-Request-Id') ?? undefined;
  const body = (await readErrorBody(response)) ?? {
    code: response.status >= 500 ? 'internal' : 'http_error',
    message: `HTTP ${response.status} ${response.statusText}`.trim(),
  };
  const error = new ApiError(response.status, { request_id: requestId, ...body });
  const retryAfter = Number(response.headers.get('Retry-After'));
  if (retryAfter > 0) error.retryAfter = retryAfter;
  return error;
}

interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** When true a 401 is returned to the caller without notifying the session listeners. */
  quiet401?: boolean;
  /** Extra request headers, such as `Idempotency-Key`. */
  headers?: Record<string, string>;
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json', ...options.headers },
  };
  if (options.body !== undefined) {
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
    init.body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.query), init);
  } catch {
    throw new ApiError(0, { code: 'network', message: 'network' });
  }
  if (!response.ok) {
    const error = await parseError(response);
    if (response.status === 401 && !options.quiet401) listeners.forEach((listener) => listener());
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A file the API answers, such as a CSV export. */
export interface DownloadedFile {
  blob: Blob;
  /** From `Content-Disposition`, when the server names the file. */
  filename: string | null;
  /** 202 when the server is still preparing the file: ask again after `retryAfter` seconds. */
  status: number;
  retryAfter?: number;
}

function filenameOf(disposition: string | null): string | null {
  const match = disposition ? /filename="?([^";]+)"?/i.exec(disposition) : null;
  return match ? match[1] : null;
}

/** GETs a file; failures are `ApiError`s as for JSON calls. */
export async function requestFile(path: string, query?: Query): Promise<DownloadedFile> {
  let response: Response;
  try {
    response = await fetch(buildUrl(path, query), { credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, { code: 'network', message: 'network' });
  }
  if (!response.ok) {
    const error = await parseError(response);
    if (response.status === 401) listeners.forEach((listener) => listener());
    throw error;
  }
  const retryAfter = Number(response.headers.get('Retry-After'));
  return {
    blob: await response.blob(),
    filename: filenameOf(response.headers.get('Content-Disposition')),
    status: response.status,
    ...(retryAfter > 0 ? { retryAfter } : {}),
  };
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, { query }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  delete: (path: string, query?: Query) => request<void>('DELETE', path, { query }),
};

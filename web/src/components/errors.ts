import type { FormInstance } from 'antd';
import { ApiError } from '../api/client';
import { isMessageKey, type Translate } from '../i18n';

/** A one-line, localised explanation of an API failure that keeps the server's own message. */
export function describeError(error: ApiError, t: Translate): string {
  if (error.code === 'network') return t('error.network');
  const key = `error.code.${error.code}`;
  const title = isMessageKey(key) ? t(key) : t('error.generic');
  if (!error.message || error.message === title) return title;
  return t('error.withDetail', { title, detail: error.message });
}

/** Turns `identifiers[0].value` into the antd name path `['identifiers', 0, 'value']`. */
export function fieldPath(field: string): (string | number)[] {
  return field
    .split(/[.[\]]/)
    .filter((part) => part !== '')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** The text shown under a form field: localised for taken values, else the server's own words. */
function fieldErrorText(error: ApiError, t: Translate): string {
  if (error.code === 'already_exists') return t('error.field.alreadyExists');
  const prefix = `${error.field}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

/**
 * Shows an API error that names a field on that form field. Returns false when the error names
 * no field of the form, so the caller shows it elsewhere.
 */
export function applyFieldError(form: FormInstance, error: unknown, fields: readonly string[], t: Translate): boolean {
  if (!(error instanceof ApiError) || !error.field) return false;
  const path = fieldPath(error.field);
  if (!fields.includes(String(path[0]))) return false;
  const name = fields.includes(error.field) ? error.field : path;
  form.setFields([{ name, errors: [fieldErrorText(error, t)] }]);
  form.scrollToField(name);
  return true;
}

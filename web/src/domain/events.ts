import { isMessageKey, type Translate } from '../i18n';

/** Event names with meaning to siyu (docs/events.md), offered first in event pickers. */
export const STANDARD_EVENTS = [
  'Order Completed',
  'Order Refunded',
  'Product Viewed',
  'Product Added',
  'Checkout Started',
  'Products Searched',
  'Coupon Received',
  'Coupon Redeemed',
  'Points Earned',
  'Member Registered',
  'WeCom Contact Added',
  'Group Joined',
  'Group Left',
  'Message Sent',
  'Message Clicked',
  'Live Code Scanned',
] as const;

/** The label of an event name: translated for standard events, the raw name otherwise. */
export function eventNameLabel(name: string, t: Translate): string {
  if (!name) return t('event.unnamed');
  if (name.startsWith('$')) {
    const typeKey = `event.type.${name.slice(1)}`;
    if (isMessageKey(typeKey)) return t(typeKey);
  }
  const key = `event.name.${name}`;
  return isMessageKey(key) ? t(key) : name;
}

/** Whether the name is a standard event, whose label differs from the raw name. */
export function isStandardEvent(name: string): boolean {
  return (STANDARD_EVENTS as readonly string[]).includes(name);
}

/**
 * The label of one stored message: a track's event name, or the kind of call (identify, page,
 * screen, alias, group) with the page or screen name when there is one.
 */
export function messageLabel(type: string, name: string, t: Translate): string {
  if (type === 'track' || !type) return eventNameLabel(name, t);
  const key = `event.type.${type}`;
  const kind = isMessageKey(key) ? t(key) : type;
  return name ? t('event.withName', { type: kind, name }) : kind;
}

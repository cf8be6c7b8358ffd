import { Button, Card, Flex, Form, Input, Radio, Typography } from 'antd';
import type { FormInstance, Rule } from 'antd/es/form';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import type { WelcomeAttachment } from '../../api/wecomTypes';
import type { ApiError } from '../../api/client';
import { useT, type MessageKey } from '../../i18n';

export type AttachmentType = WelcomeAttachment['type'];

/** One attachment as the form edits it, whichever API shape it is sent in. */
export interface AttachmentValues {
  type: AttachmentType;
  title?: string;
  url?: string;
  desc?: string;
  picurl?: string;
  pic_url?: string;
  media_id?: string;
  appid?: string;
  page?: string;
  pic_media_id?: string;
}

const MAX_ATTACHMENTS = 9;

function trimmed(value: string | undefined): string | undefined {
  const text = value?.trim();
  return text ? text : undefined;
}

/** The fields of an attachment of its type, trimmed, without empty optional ones. */
function body(a: AttachmentValues): Record<string, string> {
  const pick = (...names: (keyof AttachmentValues)[]) =>
    Object.fromEntries(names.map((name) => [name, trimmed(a[name])]).filter(([, value]) => value !== undefined));
  if (a.type === 'link') return { title: '', url: '', ...pick('title', 'url', 'desc', 'picurl') };
  if (a.type === 'image') {
    // An image uploaded to WeCom keeps its media_id; the console adds images by URL.
    return a.media_id && !a.pic_url ? { media_id: a.media_id } : { pic_url: '', ...pick('pic_url') };
  }
  return { title: '', appid: '', page: '', pic_media_id: '', ...pick('title', 'appid', 'page', 'pic_media_id') };
}

/** A live code's welcome attachment: `{type, ...fields}`. */
export function toWelcomeAttachment(a: AttachmentValues): WelcomeAttachment {
  return { type: a.type, ...body(a) } as WelcomeAttachment;
}

export function fromWelcomeAttachment(a: WelcomeAttachment): AttachmentValues {
  return { ...a } as AttachmentValues;
}

/** A mass send's attachment, as WeCom's add_msg_template takes it: `{msgtype, <msgtype>: {...}}`. */
export function toMessageAttachment(a: AttachmentValues): Record<string, unknown> {
  return { msgtype: a.type, [a.type]: body(a) };
}

/**
 * Shows an API error about an attachment (`welcome.attachments[1].url`, `attachments[0].link.url`)
 * on the attachment's input. Returns false when the error is about something else.
 */
export function applyAttachmentError(form: FormInstance, error: ApiError): boolean {
  const match = /attachments\[(\d+)\](?:\.(?:link|image|miniprogram))?\.(\w+)$/.exec(error.field ?? '');
  if (!match) return false;
  const name = match[2] === 'media_id' ? 'pic_url' : match[2] === 'msgtype' ? 'type' : match[2];
  const detail = error.message.replace(/^[\w.[\]]+: /, '');
  form.setFields([{ name: ['attachments', Number(match[1]), name], errors: [detail] }]);
  return true;
}

/** The `attachments` list of a form: add up to nine links, images or mini programs. */
export function AttachmentsEditor() {
  const t = useT();
  return (
    <Form.List name="attachments">
      {(fields, { add, remove }) => (
        <Flex vertical gap={8} style={{ marginBottom: 16 }}>
          <Typography.Text>{t('liveCodes.attachments')}</Typography.Text>
          {fields.map((field) => (
            <AttachmentFields key={field.key} index={field.name} onRemove={() => remove(field.name)} />
          ))}
          {fields.length < MAX_ATTACHMENTS ? (
            <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ type: 'link' })}>
              {t('liveCodes.addAttachment')}
            </Button>
          ) : null}
        </Flex>
      )}
    </Form.List>
  );
}

/** One attachment: its type and the inputs that type needs. */
function AttachmentFields({ index, onRemove }: { index: number; onRemove: () => void }) {
  const t = useT();
  const form = Form.useFormInstance();
  const type: AttachmentType = Form.useWatch(['attachments', index, 'type'], form) ?? 'link';
  const required = [{ required: true, message: t('validation.required') }];
  const item = (name: string, labelKey: MessageKey, rules: Rule[] = required) => (
    <Form.Item name={[index, name]} label={t(labelKey)} rules={rules} style={{ marginBottom: 8 }}>
      <Input />
    </Form.Item>
  );
  return (
    <Card size="small" data-testid="attachment">
      <Flex justify="space-between" align="center" style={{ marginBottom: 8 }}>
        <Form.Item name={[index, 'type']} noStyle>
          <Radio.Group
            size="small"
            optionType="button"
            options={(['link', 'image', 'miniprogram'] as const).map((value) => ({
              value,
              label: t(`liveCodes.attachment.${value}` as MessageKey),
            }))}
          />
        </Form.Item>
        <Button type="text" size="small" icon={<DeleteOutlined />} onClick={onRemove} aria-label={t('common.remove')} />
      </Flex>
      {type === 'link' ? (
        <>
          {item('title', 'liveCodes.attachment.title')}
          {item('url', 'liveCodes.attachment.url', [
            ...required,
            { type: 'url', message: t('liveCodes.attachment.url') },
          ])}
          {item('desc', 'liveCodes.attachment.desc', [])}
          {item('picurl', 'liveCodes.attachment.picUrl', [])}
        </>
      ) : null}
      {type === 'image' ? item('pic_url', 'liveCodes.attachment.picUrl') : null}
      {type === 'miniprogram' ? (
        <>
          {item('title', 'liveCodes.attachment.title')}
          {item('appid', 'liveCodes.attachment.appid')}
          {item('page', 'liveCodes.attachment.page')}
          {item('pic_media_id', 'liveCodes.attachment.picMediaId')}
        </>
      ) : null}
    </Card>
  );
}

import { useState } from 'react';
import { App, Checkbox, Modal, Typography } from 'antd';
import { segmentsApi } from '../../../api/segments';
import { SEGMENT_EXPORT_FIELDS, type Segment, type SegmentExportField } from '../../../api/types';
import { describeError } from '../../../components/errors';
import { toApiError } from '../../../hooks/useAsync';
import { useT } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';

interface Props {
  segment: Segment | null;
  onClose: () => void;
}

/** Hands a downloaded file to the browser under its name. */
function saveFile(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Chooses the columns of a segment's CSV export and downloads it. */
export function ExportModal({ segment, onClose }: Props) {
  const t = useT();
  const can = useCan();
  const { message } = App.useApp();
  const [fields, setFields] = useState<SegmentExportField[]>([...SEGMENT_EXPORT_FIELDS]);
  const [busy, setBusy] = useState(false);

  const download = async () => {
    if (!segment) return;
    setBusy(true);
    try {
      const ordered = SEGMENT_EXPORT_FIELDS.filter((field) => fields.includes(field));
      const file = await segmentsApi.exportCsv(segment.id, ordered);
      saveFile(file.blob, file.filename ?? `segment-${segment.id}.csv`);
      message.success(t('segments.export.done'));
      onClose();
    } catch (reason) {
      message.error(describeError(toApiError(reason), t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      title={t('segments.export.title', { name: segment?.name ?? '' })}
      open={segment !== null}
      onCancel={onClose}
      onOk={download}
      okText={t('segments.export.download')}
      cancelText={t('common.cancel')}
      okButtonProps={{ disabled: fields.length === 0, 'data-testid': 'segment-export-download' }}
      confirmLoading={busy}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t('segments.export.hint')}</Typography.Paragraph>
      <Checkbox.Group<SegmentExportField>
        value={fields}
        onChange={setFields}
        options={SEGMENT_EXPORT_FIELDS.map((field) => ({ value: field, label: t(`segments.export.field.${field}`) }))}
        style={{ display: 'grid', gridTemplateColumns: 'repeat(3, minmax(0, 1fr))', gap: 8 }}
        data-testid="segment-export-fields"
      />
      {can('pii') ? null : (
        <Typography.Paragraph type="warning" style={{ marginTop: 12, marginBottom: 0 }}>
          {t('segments.export.masked')}
        </Typography.Paragraph>
      )}
    </Modal>
  );
}

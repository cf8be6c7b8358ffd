import { Fragment } from 'react';
import { Tag, Tooltip } from 'antd';
import { QuestionCircleOutlined } from '@ant-design/icons';
import { LIFECYCLE_STAGES, type LifecycleStage } from '../../api/types';
import { useT } from '../../i18n';

export const LIFECYCLE_COLORS: Record<LifecycleStage, string> = {
  prospect: 'default',
  registered: 'blue',
  first_purchase: 'cyan',
  repurchase: 'green',
  loyal: 'gold',
  dormant: 'volcano',
};

function StageHelp() {
  const t = useT();
  return (
    <div>
      <div style={{ marginBottom: 8 }}>{t('lifecycle.help.intro')}</div>
      <div style={{ display: 'grid', gridTemplateColumns: 'auto 1fr', gap: '6px 8px', alignItems: 'baseline' }}>
        {LIFECYCLE_STAGES.map((stage) => (
          <Fragment key={stage}>
            <Tag color={LIFECYCLE_COLORS[stage]} style={{ marginInlineEnd: 0, justifySelf: 'start' }}>
              {t(`lifecycle.${stage}`)}
            </Tag>
            <span>{t(`lifecycle.help.${stage}`)}</span>
          </Fragment>
        ))}
      </div>
    </div>
  );
}

/** The lifecycle stage as a coloured tag, with a tooltip explaining every stage. */
export function LifecycleTag({ stage }: { stage: LifecycleStage }) {
  const t = useT();
  return (
    <Tooltip
      title={<StageHelp />}
      color="#fff"
      styles={{ root: { maxWidth: 'min(380px, calc(100vw - 24px))' }, body: { color: 'rgba(0,0,0,0.88)' } }}
    >
      <span
        style={{ display: 'inline-flex', alignItems: 'center', gap: 4, cursor: 'help' }}
        data-testid="lifecycle-stage"
      >
        <Tag color={LIFECYCLE_COLORS[stage] ?? 'default'} style={{ marginInlineEnd: 0 }}>
          {t(`lifecycle.${stage}`)}
        </Tag>
        <QuestionCircleOutlined style={{ color: 'rgba(0,0,0,0.45)' }} aria-label={t('lifecycle.stage')} />
      </span>
    </Tooltip>
  );
}

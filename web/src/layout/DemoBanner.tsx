import { ExperimentOutlined } from '@ant-design/icons';
import { useT } from '../i18n';

/** Always visible while the tenant holds generated demo data, so nobody mistakes it for real customers. */
export function DemoBanner() {
  const t = useT();
  return (
    <div className="siyu-demo-banner" role="status" data-testid="demo-banner">
      <ExperimentOutlined />
      <strong>演示数据 / Demo data</strong>
      <span className="siyu-demo-banner-detail">{t('demo.detail')}</span>
    </div>
  );
}

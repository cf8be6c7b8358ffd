import { Card, Col, Row, Statistic, Tag, Tooltip, Typography } from 'antd';
import { QuestionCircleOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import { RFM_COLORS } from '../../../domain/rfm';
import { useFormat } from '../../../format';
import { useT } from '../../../i18n';
import { useCan } from '../../../session/SessionContext';
import type { CustomerSectionProps } from './types';

/** The customer's RFM class with the recency, frequency and monetary values behind it. */
export function RfmSection({ customer }: CustomerSectionProps) {
  const t = useT();
  const can = useCan();
  const format = useFormat();
  const rfm = customer.rfm;
  if (rfm === undefined) return null;
  return (
    <Card
      title={
        <span>
          {t('customer.section.rfm')}{' '}
          <Tooltip title={t('customerRfm.help')}>
            <QuestionCircleOutlined style={{ color: 'rgba(0,0,0,0.45)', fontSize: 14 }} />
          </Tooltip>
        </span>
      }
      extra={
        rfm ? (
          <Tag color={RFM_COLORS[rfm.code]} style={{ marginInlineEnd: 0 }} data-testid="customer-rfm-class">
            {t(`rfm.class.${rfm.code}`)}
          </Tag>
        ) : null
      }
      data-testid="customer-rfm"
      style={{ height: '100%' }}
    >
      {rfm ? (
        <Row gutter={16}>
          <Col span={8}>
            <Statistic
              title={t('customerRfm.recency')}
              value={t('rfm.daysValue', { days: format.number(rfm.recency_days) })}
              valueStyle={{ fontSize: 18 }}
            />
          </Col>
          <Col span={8}>
            <Statistic
              title={t('customerRfm.frequency')}
              value={format.number(rfm.frequency)}
              valueStyle={{ fontSize: 18 }}
            />
          </Col>
          <Col span={8}>
            <Statistic
              title={t('customerRfm.monetary')}
              value={format.money(rfm.monetary)}
              valueStyle={{ fontSize: 18 }}
            />
          </Col>
        </Row>
      ) : (
        <Typography.Text type="secondary">{t('customerRfm.none')}</Typography.Text>
      )}
      {can('analytics.read') ? (
        <div style={{ marginTop: 12 }}>
          <Link to="/audience/rfm">{t('customerRfm.all')}</Link>
        </div>
      ) : null}
    </Card>
  );
}

import { Alert, Typography } from 'antd';
import { useT } from '../i18n';

interface Props {
  secret: string;
  hint: string;
}

/** A secret the server shows only once, with a copy button and a warning to store it now. */
export function SecretOnce({ secret, hint }: Props) {
  const t = useT();
  return (
    <>
      <Alert type="warning" showIcon message={hint} style={{ marginBottom: 16 }} />
      <Typography.Paragraph
        copyable={{ text: secret, tooltips: [t('common.copy'), t('common.copied')] }}
        code
        style={{ wordBreak: 'break-all', fontSize: 15 }}
        data-testid="secret-once"
      >
        {secret}
      </Typography.Paragraph>
    </>
  );
}

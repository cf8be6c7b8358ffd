import { Suspense, useState } from 'react';
import { Button, Drawer, Flex, Layout, Skeleton } from 'antd';
import { MenuFoldOutlined, MenuOutlined, MenuUnfoldOutlined } from '@ant-design/icons';
import { Outlet } from 'react-router-dom';
import { useT } from '../i18n';
import { useIsMobile, useMediaQuery } from '../hooks/useMediaQuery';
import { useSession } from '../session/SessionContext';
import { DemoBanner } from './DemoBanner';
import { LanguageSwitch } from './LanguageSwitch';
import { Logo } from './Logo';
import { SideMenu } from './SideMenu';
import { TenantSwitcher } from './TenantSwitcher';
import { UserMenu } from './UserMenu';

function PageSkeleton() {
  return <Skeleton active paragraph={{ rows: 8 }} />;
}

/** The signed-in frame: navigation on the left (a drawer on phones), header on top, the page below. */
export function AppLayout() {
  const t = useT();
  const session = useSession();
  const isMobile = useIsMobile();
  const isNarrow = useMediaQuery('(max-width: 1199px)');
  const [collapsedChoice, setCollapsed] = useState<boolean | null>(null);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const collapsed = collapsedChoice ?? isNarrow;

  const toggle = isMobile ? (
    <Button type="text" icon={<MenuOutlined />} onClick={() => setDrawerOpen(true)} aria-label={t('header.menu')} />
  ) : (
    <Button
      type="text"
      icon={collapsed ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />}
      onClick={() => setCollapsed(!collapsed)}
      aria-label={t('header.menu')}
    />
  );

  return (
    <Layout style={{ minHeight: '100vh' }}>
      {isMobile ? (
        <Drawer
          placement="left"
          open={drawerOpen}
          onClose={() => setDrawerOpen(false)}
          width={248}
          closable={false}
          styles={{ body: { padding: 0, background: '#001529' } }}
        >
          <Logo />
          <SideMenu onNavigate={() => setDrawerOpen(false)} />
        </Drawer>
      ) : (
        <Layout.Sider width={216} collapsedWidth={64} collapsed={collapsed} trigger={null} className="siyu-sider">
          <Logo collapsed={collapsed} />
          <SideMenu collapsed={collapsed} />
        </Layout.Sider>
      )}
      <Layout>
        <div className="siyu-header-wrap">
          <Layout.Header className="siyu-header">
            <Flex align="center" gap={8} style={{ minWidth: 0 }}>
              {toggle}
              {isMobile ? <span className="siyu-header-brand">私域 siyu</span> : null}
            </Flex>
            <Flex align="center" gap={isMobile ? 0 : 4} style={{ minWidth: 0 }}>
              <TenantSwitcher compact={isMobile} />
              <LanguageSwitch compact={isMobile} />
              <UserMenu compact={isMobile} />
            </Flex>
          </Layout.Header>
          {session.tenant.demo ? <DemoBanner /> : null}
        </div>
        <Layout.Content className="siyu-content">
          <Suspense fallback={<PageSkeleton />}>
            <Outlet key={session.tenant.id} />
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

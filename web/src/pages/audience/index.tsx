import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from 'react';
import { Skeleton } from 'antd';
import { Navigate, Route, Routes } from 'react-router-dom';
import { canSeeChild } from '../../areas';
import { Forbidden, NotFound } from '../../components/StatusPages';
import { useSession } from '../../session/SessionContext';
import { AUDIENCE_PAGES, type AudiencePagePath } from './nav';

const SegmentListPage = lazy(() => import('./segments/SegmentListPage'));
const SegmentPage = lazy(() => import('./segments/SegmentPage'));
const TagsPage = lazy(() => import('./tags/TagsPage'));
const QuestionnaireListPage = lazy(() => import('./questionnaires/QuestionnaireListPage'));
const QuestionnairePage = lazy(() => import('./questionnaires/QuestionnairePage'));
const RfmPage = lazy(() => import('./rfm/RfmPage'));

/** Every route of a page: its list and, for some, an editor below it. */
const ROUTES: Record<AudiencePagePath, { path: string; component: LazyExoticComponent<ComponentType> }[]> = {
  segments: [
    { path: '', component: SegmentListPage },
    { path: ':id', component: SegmentPage },
  ],
  tags: [{ path: '', component: TagsPage }],
  questionnaires: [
    { path: '', component: QuestionnaireListPage },
    { path: ':id', component: QuestionnairePage },
  ],
  rfm: [{ path: '', component: RfmPage }],
};

export default function AudienceArea() {
  const session = useSession();
  const first = AUDIENCE_PAGES.find((page) => canSeeChild(page, session));
  return (
    <Suspense fallback={<Skeleton active paragraph={{ rows: 8 }} />}>
      <Routes>
        <Route index element={first ? <Navigate to={first.path} replace /> : <Forbidden />} />
        {AUDIENCE_PAGES.flatMap((page) =>
          ROUTES[page.path].map(({ path, component: Page }) => (
            <Route
              key={`${page.path}/${path}`}
              path={path ? `${page.path}/${path}` : page.path}
              element={canSeeChild(page, session) ? <Page /> : <Forbidden />}
            />
          )),
        )}
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Suspense>
  );
}

import type { ComponentType } from 'react';
import type { Permission } from '../../../api/types';
import { ComputedSection } from './ComputedSection';
import { IdentifiersSection } from './IdentifiersSection';
import { LoyaltySection } from './LoyaltySection';
import { MergesSection } from './MergesSection';
import { ProfileSection } from './ProfileSection';
import { QuestionnaireAnswersSection } from './QuestionnaireAnswersSection';
import { RfmSection } from './RfmSection';
import { SegmentsSection } from './SegmentsSection';
import { TagsSection } from './TagsSection';
import { TimelineSection } from './TimelineSection';
import { TraitsSection } from './TraitsSection';
import type { CustomerSectionProps } from './types';
import { WecomSection } from './WecomSection';

export interface CustomerSection {
  key: string;
  component: ComponentType<CustomerSectionProps>;
  /** Shown only when the role holds this permission. */
  permission?: Permission;
  /** Half width on large screens instead of the full row. */
  half?: boolean;
}

/**
 * The blocks of the customer 360 page, top to bottom; each area adds its own block here. The
 * timeline loads more events as it scrolls, so it stays last.
 */
export const CUSTOMER_SECTIONS: readonly CustomerSection[] = [
  { key: 'profile', component: ProfileSection },
  { key: 'computed', component: ComputedSection },
  { key: 'loyalty', component: LoyaltySection, permission: 'loyalty.read' },
  { key: 'wecom', component: WecomSection, permission: 'wecom.read' },
  { key: 'tags', component: TagsSection, permission: 'tags.read', half: true },
  { key: 'segments', component: SegmentsSection, permission: 'segments.read', half: true },
  { key: 'rfm', component: RfmSection, half: true },
  { key: 'questionnaires', component: QuestionnaireAnswersSection, permission: 'tags.read', half: true },
  { key: 'identifiers', component: IdentifiersSection, half: true },
  { key: 'traits', component: TraitsSection, half: true },
  { key: 'merges', component: MergesSection },
  { key: 'timeline', component: TimelineSection },
];

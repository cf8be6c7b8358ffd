import type { RfmClass } from '../api/types';

/** One colour per RFM class: warm for the important classes, cool for the general ones. */
export const RFM_COLORS: Record<RfmClass, string> = {
  important_value: '#F5222D',
  important_develop: '#FA8C16',
  important_keep: '#FAAD14',
  important_retain: '#EB2F96',
  general_value: '#1677FF',
  general_develop: '#13C2C2',
  general_keep: '#52C41A',
  general_retain: '#8C8C8C',
};

import { createContext, useContext } from 'react';

/** What every condition row of one builder needs: whether it may edit, and where problems are. */
export interface BuilderContextValue {
  readOnly: boolean;
  /** The row the server's error belongs to, with the text to show there. */
  error: { row: string; text: string } | null;
  /** The first condition that is not filled in yet; the preview waits for it. */
  incomplete: string | null;
  /** The segment being edited, which its own rule may not refer to. */
  segmentId?: number;
  timeZone: string;
}

export const BuilderContext = createContext<BuilderContextValue>({
  readOnly: false,
  error: null,
  incomplete: null,
  timeZone: 'Asia/Shanghai',
});

export function useBuilder(): BuilderContextValue {
  return useContext(BuilderContext);
}

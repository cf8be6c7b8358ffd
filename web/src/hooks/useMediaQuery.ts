import { useEffect, useState } from 'react';

/** Tracks a CSS media query; evaluated synchronously on first render to avoid a layout flash. */
export function useMediaQuery(query: string): boolean {
  const [matches, setMatches] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const update = () => setMatches(list.matches);
    update();
    list.addEventListener('change', update);
    return () => list.removeEventListener('change', update);
  }, [query]);
  return matches;
}

/** Phones: the sider becomes a drawer and tables become cards. */
export function useIsMobile(): boolean {
  return useMediaQuery('(max-width: 767px)');
}

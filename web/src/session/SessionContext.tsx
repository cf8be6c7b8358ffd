import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { authApi } from '../api/auth';
import { ApiError, onUnauthenticated } from '../api/client';
import { STORE_SCOPED_ROLES, type Permission, type SessionInfo } from '../api/types';

/** Why there is no session: never signed in, the session ended on the server, or signed out here. */
export type AnonymousReason = 'initial' | 'expired' | 'logout';

export type SessionState =
  | { status: 'loading' }
  | { status: 'anonymous'; reason: AnonymousReason }
  | { status: 'authenticated'; session: SessionInfo }
  | { status: 'failed'; error: ApiError };

interface SessionContextValue {
  state: SessionState;
  login: (email: string, password: string) => Promise<SessionInfo>;
  logout: () => Promise<void>;
  switchTenant: (tenantId: number) => Promise<void>;
  reload: () => void;
  /** Replaces the tenant's settings after an edit so the header and formats follow at once. */
  updateSession: (session: SessionInfo) => void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  const load = useCallback(() => {
    setState({ status: 'loading' });
    authApi
      .me()
      .then((session) => setState({ status: 'authenticated', session }))
      .catch((error: ApiError) =>
        setState(error.status === 401 ? { status: 'anonymous', reason: 'initial' } : { status: 'failed', error }),
      );
  }, []);

  useEffect(load, [load]);

  useEffect(
    () =>
      onUnauthenticated(() =>
        setState((current) => (current.status === 'anonymous' ? current : { status: 'anonymous', reason: 'expired' })),
      ),
    [],
  );

  const login = useCallback(async (email: string, password: string) => {
    const session = await authApi.login(email, password);
    setState({ status: 'authenticated', session });
    return session;
  }, []);

  const logout = useCallback(async () => {
    try {
      await authApi.logout();
    } finally {
      setState({ status: 'anonymous', reason: 'logout' });
    }
  }, []);

  const switchTenant = useCallback(async (tenantId: number) => {
    const session = await authApi.switchTenant(tenantId);
    setState({ status: 'authenticated', session });
  }, []);

  const updateSession = useCallback((session: SessionInfo) => setState({ status: 'authenticated', session }), []);

  const value = useMemo(
    () => ({ state, login, logout, switchTenant, reload: load, updateSession }),
    [state, login, logout, switchTenant, load, updateSession],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSessionContext(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSessionContext must be used inside SessionProvider');
  return value;
}

/** The signed-in session; only call below the authenticated part of the route tree. */
export function useSession(): SessionInfo {
  const { state } = useSessionContext();
  if (state.status !== 'authenticated') throw new Error('useSession needs an authenticated session');
  return state.session;
}

export function hasPermission(session: SessionInfo, permission: Permission): boolean {
  return session.permissions.includes(permission);
}

/** Whether the role sees tenant-wide figures; store roles only see their stores' customers. */
export function isTenantWide(session: SessionInfo): boolean {
  return !STORE_SCOPED_ROLES.includes(session.role);
}

/** Returns a predicate telling whether the session's role holds a permission. */
export function useCan(): (permission: Permission) => boolean {
  const session = useSession();
  return useCallback((permission: Permission) => hasPermission(session, permission), [session]);
}

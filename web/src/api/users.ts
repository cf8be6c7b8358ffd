import { api } from './client';
import type { Page, Role, User } from './types';

export interface UserCreateInput {
  email: string;
  name: string;
  role: Role;
  password?: string;
  store_ids?: number[];
}

export interface UserUpdateInput {
  name?: string;
  role?: Role;
  store_ids?: number[];
  disabled?: boolean;
  password?: string;
}

export const usersApi = {
  list: (cursor: string | null, limit: number, role?: Role) => api.get<Page<User>>('/users', { cursor, limit, role }),
  create: (input: UserCreateInput) => api.post<User>('/users', input),
  update: (id: number, input: UserUpdateInput) => api.patch<User>(`/users/${id}`, input),
  remove: (id: number) => api.delete(`/users/${id}`),
};

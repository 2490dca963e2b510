// The account view, fetched when the app starts and kept as the backend last said it, so Settings
// draws its form at once (no blank frame, no "Loading…" line replaced by the form under the
// pointer) and refreshes it quietly. The view never holds the SecretKey (only whether one is
// stored).

import { api, type AccountView } from "./api";

let last: AccountView | null = null;

export function cachedAccount(): AccountView | null {
  return last;
}

export function rememberAccount(view: AccountView | null): void {
  last = view;
}

export async function prefetchAccount(): Promise<void> {
  const r = await api.getAccount();
  if (r.status === "ok") last = r.data;
}

// The update on offer, if any: checked quietly when the app starts (a failure says nothing then),
// and on "Check for updates" in Settings → About.

import { writable } from "svelte/store";
import { api, type AppError } from "./api";
import type { UpdateInfo } from "./bindings";

export const updateOffer = writable<UpdateInfo | null>(null);

export async function checkForUpdate(): Promise<{ offer: UpdateInfo | null; error: AppError | null }> {
  const r = await api.checkUpdate();
  if (r.status === "ok") {
    updateOffer.set(r.data);
    return { offer: r.data, error: null };
  }
  return { offer: null, error: r.error };
}

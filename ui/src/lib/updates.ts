// The update on offer, if any: checked quietly when the app starts (a failure says nothing then),
// and on "Check for updates" in Settings → About. A version whose package was refused (not
// signed with TerraDesk's key) is not offered again by the quiet check.

import { writable } from "svelte/store";
import { api, type AppError } from "./api";
import type { UpdateInfo } from "./bindings";

export const updateOffer = writable<UpdateInfo | null>(null);

const refused = new Set<string>();

/** The package of `version` was refused: the quiet check does not offer it again. */
export function refuseUpdate(version: string): void {
  refused.add(version);
  updateOffer.set(null);
}

/** Ask the feed; `quiet` (the check at start) keeps a refused version away. */
export async function checkForUpdate(quiet = false): Promise<{ offer: UpdateInfo | null; error: AppError | null }> {
  const r = await api.checkUpdate();
  if (r.status === "ok") {
    const offer = quiet && r.data && refused.has(r.data.version) ? null : r.data;
    updateOffer.set(offer);
    return { offer, error: null };
  }
  return { offer: null, error: r.error };
}

// Folders dropped on the window: the native drag-and-drop of the webview, and
// `window.__TERRADESK_DROP__(paths)`, which end-to-end tests call to go through the same code.

import { getCurrentWebview } from "@tauri-apps/api/webview";

export type DropHandlers = {
  onDrop: (paths: string[]) => void;
  /** Something is dragged over the window (true) or left it (false). */
  onHover?: (over: boolean) => void;
};

function tauriWebviewAvailable(): boolean {
  const internals = (window as unknown as { __TAURI_INTERNALS__?: { metadata?: unknown } }).__TAURI_INTERNALS__;
  return !!internals?.metadata;
}

/** Listen for drops; returns the function that stops listening. */
export function installDropHandler({ onDrop, onHover }: DropHandlers): () => void {
  const hook = (paths: string[]) => onDrop([...paths]);
  window.__TERRADESK_DROP__ = hook;

  let disposed = false;
  let unlisten: (() => void) | null = null;
  // Outside Tauri (Vitest, a plain browser) there is no webview to listen to.
  if (tauriWebviewAvailable()) {
    try {
      getCurrentWebview()
        .onDragDropEvent((e) => {
          const p = e.payload;
          if (p.type === "enter" || p.type === "over") onHover?.(true);
          else if (p.type === "leave") onHover?.(false);
          else if (p.type === "drop") {
            onHover?.(false);
            if (p.paths.length) onDrop(p.paths);
          }
        })
        .then((u) => {
          if (disposed) u();
          else unlisten = u;
        })
        .catch(() => {});
    } catch {
      // No webview: only the hook works.
    }
  }

  return () => {
    disposed = true;
    unlisten?.();
    if (window.__TERRADESK_DROP__ === hook) delete window.__TERRADESK_DROP__;
  };
}

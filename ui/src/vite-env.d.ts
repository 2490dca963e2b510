/// <reference types="svelte" />
/// <reference types="vite/client" />

/** Application version from package.json, injected by Vite (`define`). */
declare const __APP_VERSION__: string;

interface Window {
  /**
   * Drops folders on the window as a native drag-and-drop would (end-to-end tests use it: WebDriver
   * cannot drag files from the desktop).
   */
  __TERRADESK_DROP__?: (paths: string[]) => void;
}

/// <reference types="svelte" />
/// <reference types="vite/client" />

/** Application version from package.json, injected by Vite (`define`). */
declare const __APP_VERSION__: string;

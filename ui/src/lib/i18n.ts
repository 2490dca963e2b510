// All user-visible text goes through this module.
//
// Usage in components:   {$t("nav.jobs")}   or   {$t("status.saved", { region: "…" })}
// Outside components:    translate(get(locale), "nav.jobs")
//
// The language is the one chosen in Settings (saved by the backend), or follows
// navigator.language when "Follow system" is chosen (zh* → Simplified Chinese, anything
// else → English).

import { derived, get, writable } from "svelte/store";
import { en, type MessageKey, type Messages } from "./messages/en";
import { zhCN } from "./messages/zh-CN";

export type { MessageKey, Messages };

export type Locale = "en" | "zh-CN";

export const LOCALES: readonly Locale[] = ["en", "zh-CN"] as const;

export const dictionaries: Record<Locale, Messages> = { en, "zh-CN": zhCN };

/** Maps a BCP 47 language tag (e.g. navigator.language) to a supported locale. */
export function pickLocale(tag: string | null | undefined): Locale {
  if (tag && /^zh(\b|[-_])/i.test(tag.trim())) return "zh-CN";
  return "en";
}

/** The locale suggested by the browser / webview. */
export function detectLocale(): Locale {
  return pickLocale(typeof navigator === "undefined" ? undefined : navigator.language);
}

export type Params = Record<string, string | number>;

export function translate(loc: Locale, key: MessageKey, params?: Params): string {
  const template = dictionaries[loc][key] ?? dictionaries.en[key] ?? key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export const locale = writable<Locale>(detectLocale());

export function setLocale(loc: Locale): void {
  locale.set(loc);
}

/** What Settings → Language holds: "auto" follows the system. */
export type LanguagePreference = "auto" | Locale;

export const languagePreference = writable<LanguagePreference>("auto");

/** Accepts what the backend saved; anything unknown counts as "auto". */
export function parseLanguagePreference(value: string | null | undefined): LanguagePreference {
  return value === "en" || value === "zh-CN" ? value : "auto";
}

/** Switch the UI to a preference at once. */
export function applyLanguagePreference(pref: LanguagePreference): void {
  languagePreference.set(pref);
  setLocale(pref === "auto" ? detectLocale() : pref);
}

/** The English or Chinese variant of a text that comes in both (parameter labels, presets). */
export function localized(loc: Locale, en: string, zh: string): string {
  return loc === "zh-CN" && zh ? zh : en;
}

/** Store holding the translate function of the current locale: `$t("key")`. */
export const t = derived(
  locale,
  (loc) =>
    (key: MessageKey, params?: Params): string =>
      translate(loc, key, params),
);

/** Translate with the current locale outside of components. */
export function tr(key: MessageKey, params?: Params): string {
  return translate(get(locale), key, params);
}

/** Human-readable duration, e.g. "59 min" / "1 h 5 min". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return tr("duration.seconds", { n: s });
  const minutes = Math.round(s / 60);
  if (minutes < 60) return tr("duration.minutes", { n: minutes });
  return tr("duration.hours", { n: Math.floor(minutes / 60), m: minutes % 60 });
}

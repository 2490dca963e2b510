// Errors, timeline entries and progress notes in the user's language, by their code. The core's
// English message is the fallback for an entry written by an older version (no code).

import type { JobEvent, JobState, JobKind, JsonValue, ProgressNote, Region, UserError } from "./bindings";
import { formatBytes, formatDuration } from "./format";
import { get } from "svelte/store";
import { locale, translate, type Locale, type MessageKey } from "./i18n";
import { codesEn, codesZh, type CodeTexts } from "./messages/codes";

const CODE_TEXTS: Record<Locale, CodeTexts> = { en: codesEn, "zh-CN": codesZh };

type Params = Partial<Record<string, JsonValue>> | undefined;

/** A parameter as words: kinds, states, statuses, regions, sizes and clock offsets translated. */
function formatParam(loc: Locale, name: string, value: JsonValue | undefined): string {
  if (value === null || value === undefined) return "";
  const s = String(value);
  switch (name) {
    case "kind":
    case "presetKind":
      return translate(loc, `kind.${s as JobKind}` as MessageKey);
    case "state":
      return translate(loc, `state.${s as JobState}` as MessageKey);
    case "status":
      return translate(loc, `jobStatus.${s}` as MessageKey);
    case "region":
      return translate(loc, `region.${s as Region}` as MessageKey);
    case "bytes":
    case "max":
      return typeof value === "number" && value > 1e6 ? formatBytes(value) : s;
    case "offsetSecs": {
      const secs = Number(value);
      const duration = formatDurationIn(loc, Math.abs(secs));
      return translate(loc, secs > 0 ? "clock.ahead" : "clock.behind", { duration });
    }
    default:
      return typeof value === "object" ? JSON.stringify(value) : s;
  }
}

function formatDurationIn(loc: Locale, secs: number): string {
  if (loc === get(locale)) return formatDuration(secs);
  const s = Math.round(secs);
  if (s < 60) return translate(loc, "duration.seconds", { n: s });
  const m = Math.round(s / 60);
  if (m < 60) return translate(loc, "duration.minutes", { n: m });
  return translate(loc, "duration.hours", { n: Math.floor(m / 60), m: m % 60 });
}

/** The text of a code with its parameters, or `null` when the code is unknown here. */
export function codeText(loc: Locale, code: string, params: Params): string | null {
  const template = CODE_TEXTS[loc][code] ?? CODE_TEXTS.en[code];
  if (template === undefined) return null;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (params && name in params ? formatParam(loc, name, params[name]) : whole));
}

/** An error in the current language (one the page made itself is already in it). */
export function errorText(e: Pick<UserError, "code" | "params" | "message">, loc: Locale = get(locale)): string {
  if (e.params?.local) return e.message;
  return codeText(loc, e.code, e.params) ?? e.message;
}

/** A timeline entry in the current language. */
export function eventText(ev: JobEvent, loc: Locale = get(locale)): string {
  if (ev.code === "note.state_changed" || (!ev.code && !ev.message)) return translate(loc, `state.${ev.state}` as MessageKey);
  return (ev.code && codeText(loc, ev.code, ev.params)) || ev.message;
}

/** A progress note in the current language. */
export function noteText(n: ProgressNote, loc: Locale = get(locale)): string {
  switch (n.code) {
    case "token_refreshed":
      return translate(loc, "progress.tokenRefreshed");
    case "retrying":
      return translate(loc, "progress.retrying", { name: n.name });
    case "checking_registration":
      return translate(loc, "progress.checkingRegistration");
    case "changed_while_sent":
      return translate(loc, "progress.changedWhileSent", { name: n.name });
  }
}

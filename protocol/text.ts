/**
 * Text that other people wrote (job, host, account and team names, failure reasons from hosts) reaches
 * terminals and the dashboard. A terminal obeys control characters in it (ESC[2J clears the screen, BEL
 * rings, CR overwrites a line), and bidirectional overrides make a name read differently from what it
 * is. `printable` removes both; it is the one function the CLI and the page use before showing such text.
 *
 * This file imports nothing: the dashboard bundles it, and must not pull in zod.
 */

/** DEL, C1 controls, and the Unicode bidirectional embedding/override/isolate marks; C0 is added below. */
const OTHERS = '\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069';
const CONTROL = new RegExp(`[\\u0000-\\u001f${OTHERS}]`, 'g');
/** The same but tab (09) and line feed (0a). */
const CONTROL_BUT_LINES = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${OTHERS}]`, 'g');
const HAS_CONTROL = new RegExp(`[\\u0000-\\u001f${OTHERS}]`);

/**
 * The text without control characters. Line breaks and tabs become spaces, so words stay apart and a
 * name cannot forge a line of output; with `multiline`, line feeds and tabs are kept (text laid out in
 * lines, such as pretty-printed JSON on the page, where they cannot move a cursor).
 */
export function printable(text: string, multiline = false): string {
  return (multiline ? text.replace(/\r\n?/g, '\n') : text.replace(/[\t\n\r]+/g, ' ')).replace(multiline ? CONTROL_BUT_LINES : CONTROL, '');
}

/** The first control character in the text, as a name a user can find (e.g. "U+001B at character 0"), or undefined. */
export function firstControl(text: string): string | undefined {
  const m = HAS_CONTROL.exec(text);
  if (!m) return undefined;
  return `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at character ${m.index}`;
}

/**
 * Text from a lab file or the command line, made safe for a terminal. A key
 * like "\e]0;TITLE\a\e[2J" must not set the window's title or clear the
 * screen, and right-to-left overrides must not reorder what a reviewer reads:
 * control and bidi characters are shown as escapes instead.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string, keepNewlines = true): string {
  const escaped = text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return keepNewlines ? escaped : escaped.replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

/** At most `max` characters, with a mark where the rest was cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

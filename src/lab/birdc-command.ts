/**
 * What `netlab bgp` may ask a lab's BIRD. birdc is a root-owned control
 * channel: `configure "FILE"` makes BIRD read any file and write logs
 * anywhere, `down` stops it, `-s SOCKET` reaches a BIRD that is not the
 * lab's. The CLI words are untrusted (CI runs what a pull request says), so
 * only the read-only `show …` family and the protocol switches a student
 * needs (`enable`, `disable`, `restart` of one protocol) pass.
 */

/** Words allowed after `show`: BIRD's keywords, names, addresses and prefixes. No quote, no newline, no option. */
const SHOW_WORD = /^[A-Za-z0-9_][A-Za-z0-9_.:/*]*$/;
/** Protocols as BIRD's grammar takes them: a name (a symbol), `all`, or a quoted pattern of names with * and ?. */
const PROTOCOL = /^(?:[A-Za-z_][A-Za-z0-9_]*|"[A-Za-z0-9_*?]+")$/;
/** BIRD accepts any unique prefix of a keyword: only the whole word is taken, so `d` cannot mean `down` or `dump`. */
const SWITCHES = ['enable', 'disable', 'restart'];

export const BIRDC_ALLOWED = 'show … (any read-only show command), enable|disable|restart PROTOCOL (a name, all, or "PATTERN*")';

/** Why these words may not reach birdc, or undefined when they may. */
export function birdcCommandProblem(words: readonly string[]): string | undefined {
  const option = words.find((w) => w.startsWith('-'));
  if (option !== undefined) return `"${option}" is an option: netlab bgp passes no options to birdc (allowed: ${BIRDC_ALLOWED})`;
  const [verb, ...rest] = words;
  if (verb === undefined) return `a command is needed (allowed: ${BIRDC_ALLOWED})`;
  if (verb === 'show') {
    const bad = rest.find((w) => !SHOW_WORD.test(w));
    return bad === undefined ? undefined : `"${bad}" is not a word of a show command: letters, digits, _ . : / * only (allowed: ${BIRDC_ALLOWED})`;
  }
  if (SWITCHES.includes(verb)) {
    if (rest.length !== 1 || !PROTOCOL.test(rest[0]!))
      return `${verb} takes exactly one protocol: a name as \`show protocols\` lists it, all, or a quoted pattern such as "Mesh_*" (allowed: ${BIRDC_ALLOWED})`;
    return undefined;
  }
  return `"${verb}" is not allowed: netlab bgp only reads BIRD and switches its protocols (allowed: ${BIRDC_ALLOWED})`;
}

/**
 * Why a path nginx will take as a regular expression (a Gateway's
 * RegularExpression match, an Ingress path under use-regex or
 * rewrite-target) cannot be one: it does not compile, or it repeats a group
 * that itself repeats (`(a+)+`), whose backtracking on a long path takes
 * exponential time, in nginx and in `netlab trace` alike. The schema has
 * already kept out what could end an nginx string.
 */
export function regexProblem(value: string): string | undefined {
  try {
    new RegExp(value);
  } catch (e) {
    return `"${value}" is not a regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`;
  }
  if (/\([^()]*(?:[*+]|\{\d*,?\d*\})[^()]*\)(?:[*+?]|\{)/.test(value))
    return `"${value}" repeats a group that itself repeats: its matching can take exponential time on some paths`;
  return undefined;
}

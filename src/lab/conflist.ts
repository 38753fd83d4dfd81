import { parseLabText, problemAt } from './document.js';
import type { LabProblem } from '../errors.js';
import { MAX_CONFLIST_PLUGINS } from './limits.js';
import type { DocPath } from './path.js';

/** One plugin of a network configuration list: its own keys, kept as the file has them. */
export type CniPluginConf = { type: string; capabilities?: Record<string, boolean> } & Record<string, unknown>;

/** A CNI network configuration list (SPEC.md "Configuration format"), validated. */
export interface Conflist {
  name: string;
  cniVersion: string;
  plugins: CniPluginConf[];
  /** Its text, so the state can keep it and read it back through the same checks. */
  text: string;
}

/** CNI_CONTAINERID's and a network name's alphabet (SPEC.md); also a plugin binary's name: no slash, no leading dot or dash. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Whether a string may name a plugin binary: a plain file name, looked up
 * in CNI_PATH. Anything else (`../../../bin/sh`, `/bin/sh`) would make netlab,
 * or a plugin it runs, execute a program of the lab file's choosing as root.
 */
export function isPluginName(type: unknown): type is string {
  return typeof type === 'string' && type.length <= 255 && NAME.test(type);
}
/** Versions whose results carry what CHECK needs (CHECK came with 0.4.0). */
const VERSIONS = ['0.4.0', '1.0.0', '1.1.0'];

/**
 * The text of a conflist → a Conflist, or problems at FILE:LINE:COL. JSON is
 * YAML, so the lab file's parser gives the positions. Only what netlab relies
 * on is checked (the plugins check their own keys): a name, a version with
 * CHECK, plugins whose types are plain binary names, boolean capabilities,
 * and flannel's rule that its delegate names neither `name` nor `ipam`.
 */
export function parseConflist(file: string, text: string): { ok: true; conflist: Conflist } | { ok: false; problems: LabProblem[] } {
  const doc = parseLabText(file, text);
  if (doc.problems.length > 0) return { ok: false, problems: doc.problems };
  const problems: LabProblem[] = [];
  const at = (path: DocPath, message: string, hint?: string) => problems.push(problemAt(doc, path, message, hint));
  const data = doc.data as Record<string, unknown> | null;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    at([], 'is not a network configuration list (a JSON object with name, cniVersion and plugins)');
    return { ok: false, problems };
  }
  if (typeof data.name !== 'string' || !NAME.test(data.name)) at(['name'], 'must be a network name: letters, digits, _ . -, starting with a letter or digit');
  if (typeof data.cniVersion !== 'string' || !VERSIONS.includes(data.cniVersion)) {
    at(['cniVersion'], `must be one of ${VERSIONS.join(', ')}`, 'netlab runs CHECK on every pod, which needs 0.4.0 or later');
  }
  if (!Array.isArray(data.plugins) || data.plugins.length === 0) {
    at(['plugins'], 'must list at least one plugin');
  } else if (data.plugins.length > MAX_CONFLIST_PLUGINS) {
    // Each runs three times per pod (ADD, CHECK, DEL): 2,000 loopbacks took 48 s a pod.
    at(['plugins'], `lists ${data.plugins.length} plugins, more than netlab runs in one list (${MAX_CONFLIST_PLUGINS})`, 'real lists chain a few');
  } else {
    data.plugins.forEach((p: unknown, i: number) => checkPlugin(p, ['plugins', i], at));
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, conflist: { name: data.name as string, cniVersion: data.cniVersion as string, plugins: data.plugins as CniPluginConf[], text } };
}

function checkPlugin(p: unknown, path: DocPath, at: (path: DocPath, message: string, hint?: string) => void): void {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) {
    at(path, 'is not a plugin configuration (an object with a type)');
    return;
  }
  const plugin = p as Record<string, unknown>;
  checkNestedTypes(plugin, path, at);
  const caps = plugin.capabilities;
  if (caps !== undefined && (typeof caps !== 'object' || caps === null || Object.values(caps).some((v) => typeof v !== 'boolean'))) {
    at([...path, 'capabilities'], 'must map capability names to true or false');
  }
  if (plugin.type === 'flannel') {
    const delegate = plugin.delegate;
    if (delegate !== undefined && (typeof delegate !== 'object' || delegate === null || Array.isArray(delegate)))
      at([...path, 'delegate'], 'must be an object');
    for (const key of ['name', 'ipam']) {
      if (typeof delegate === 'object' && delegate !== null && key in delegate)
        at([...path, 'delegate', key], `flannel sets the delegate's ${key} itself`, 'remove it');
    }
  }
}

/** Nesting deeper than this in a plugin's configuration is refused (no plugin nests so deep; a walk must end). */
const MAX_DEPTH = 32;

/**
 * Every `type` in a plugin's configuration, at any depth, names a binary
 * someone will execute: netlab for the plugin and flannel's delegate, the
 * plugins for their `ipam` (libcni's invoke.FindInPath joins it to each
 * CNI_PATH directory). So each must be a plain binary name; the plugin
 * itself must have one.
 */
function checkNestedTypes(value: unknown, path: DocPath, at: (path: DocPath, message: string, hint?: string) => void, isPlugin = true): void {
  if (typeof value !== 'object' || value === null) return;
  if (path.length > MAX_DEPTH) {
    at(path, `is nested deeper than ${MAX_DEPTH} levels`, 'no plugin configuration needs that');
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item: unknown, i: number) => checkNestedTypes(item, [...path, i], at, false));
    return;
  }
  const obj = value as Record<string, unknown>;
  if ((isPlugin || 'type' in obj) && !isPluginName(obj.type)) {
    at([...path, 'type'], 'must name a plugin binary: letters, digits, _ . -, no path', 'the binary is looked up in network.cni.path, as CNI_PATH');
  }
  for (const [key, child] of Object.entries(obj)) checkNestedTypes(child, [...path, key], at, false);
}

/** kube-flannel's cni-conf.json, at a CNI version with CHECK: flannel delegating to bridge (hairpin, default gateway), then portmap. */
export const REFERENCE_CONFLIST_TEXT = `${JSON.stringify(
  {
    name: 'cbr0',
    cniVersion: '1.0.0',
    plugins: [
      { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  },
  null,
  2,
)}\n`;

import type { CniAdd } from './ops.js';

/**
 * libcni's buildOneConfig: the plugin's own keys, the list's name and
 * version, the previous result, and runtimeConfig holding only the
 * capabilities the plugin declares.
 */
export function pluginConfig(
  op: Pick<CniAdd, 'network' | 'cniVersion' | 'runtimeConfig'>,
  plugin: CniAdd['plugins'][number],
  prevResult: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const conf: Record<string, unknown> = { ...plugin, name: op.network, cniVersion: op.cniVersion };
  if (prevResult) conf.prevResult = prevResult;
  const caps = (plugin.capabilities as Record<string, boolean> | undefined) ?? {};
  const runtime = Object.fromEntries(Object.entries(op.runtimeConfig).filter(([k]) => caps[k] === true));
  if (Object.keys(runtime).length > 0) conf.runtimeConfig = runtime;
  else delete conf.runtimeConfig;
  return conf;
}

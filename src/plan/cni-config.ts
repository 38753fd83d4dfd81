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

/** The environment a plugin runs in (SPEC.md): the CNI_ variables and a PATH for the tools it calls (iptables). */
export function pluginEnv(
  op: Pick<CniAdd, 'containerId' | 'podNetns' | 'ifname' | 'args' | 'cniPath'>,
  command: 'ADD' | 'DEL' | 'CHECK',
): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: command,
    CNI_CONTAINERID: op.containerId,
    CNI_NETNS: `/run/netns/${op.podNetns}`,
    CNI_IFNAME: op.ifname,
    CNI_ARGS: op.args,
    CNI_PATH: op.cniPath.join(':'),
  };
}

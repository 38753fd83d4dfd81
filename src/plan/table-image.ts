/**
 * A firewall table as data, in the kernel's own form: what decides a
 * packet's fate (chains with their hooks, every rule in order, set and map
 * elements), without what does not (handles, counters, elements a dynamic
 * set learns from traffic). The live table and the plan (loaded into a
 * namespace of its own and read back, kernel/canon.ts) become images, and
 * the two are compared rule by rule: a verdict, an address or a port
 * replaced in place is named, not only a count that changed. Pure.
 */

/** One chain: its base-chain spec (empty for a regular chain) and its rules, each a stable text of its expressions. */
export interface ChainImage {
  spec: string;
  rules: string[];
}

export interface SetImage {
  spec: string;
  /** Sorted; undefined for a set that learns its elements from traffic (ClientIP affinity). */
  elements: string[] | undefined;
}

export interface TableImage {
  chains: Record<string, ChainImage>;
  sets: Record<string, SetImage>;
}

/** One entry of `nft -j` output: `{ "chain": {...} }`, `{ "rule": {...} }`, `{ "map": {...} }`, … */
export type NftJsonItem = Record<string, Record<string, unknown>>;

/** The image of `nft -j list table` items. */
export function imageOfNft(items: readonly NftJsonItem[]): TableImage {
  const image: TableImage = { chains: {}, sets: {} };
  for (const item of items) {
    if (item.chain) {
      const c = item.chain;
      const spec =
        c.hook === undefined ? '' : `type ${String(c.type)} hook ${String(c.hook)} priority ${String(c.prio)} policy ${String(c.policy ?? 'accept')}`;
      image.chains[String(c.name)] = { spec, rules: image.chains[String(c.name)]?.rules ?? [] };
    } else if (item.rule) {
      const chain = String(item.rule.chain);
      const rules = (image.chains[chain] ??= { spec: '', rules: [] }).rules;
      rules.push(stable({ expr: withoutCounts(item.rule.expr), comment: item.rule.comment ?? null }));
    } else if (item.set || item.map) {
      const s = (item.set ?? item.map)!;
      const flags = Array.isArray(s.flags) ? (s.flags as string[]) : s.flags === undefined ? [] : [String(s.flags)];
      const dynamic = flags.includes('dynamic');
      const spec = stable({ kind: item.set ? 'set' : 'map', type: s.type, map: s.map ?? null, flags, timeout: s.timeout ?? null });
      const elements = dynamic ? undefined : ((s.elem as unknown[] | undefined) ?? []).map(stable).sort();
      image.sets[String(s.name)] = { spec, elements };
    }
  }
  return image;
}

/** Counters change with every packet: their figures are not the table's meaning. */
function withoutCounts(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutCounts);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === 'counter' ? {} : withoutCounts(v);
  return out;
}

/** JSON with keys sorted at every level: one text per meaning. */
export function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** Differences between the planned and the live image, the first `limit` of them, in words; none when they agree. */
export function compareImages(table: string, planned: TableImage, live: TableImage, limit = 3): string[] {
  const out: string[] = [];
  const say = (s: string) => out.length < limit && out.push(`table ${table}: ${s}`);
  for (const [name, p] of Object.entries(planned.chains)) {
    const l = live.chains[name];
    if (!l) {
      say(`chain ${name} is missing`);
      continue;
    }
    if (l.spec !== p.spec) say(`chain ${name} is ${l.spec || 'a regular chain'}, planned ${p.spec || 'a regular chain'}`);
    const n = Math.max(p.rules.length, l.rules.length);
    for (let i = 0; i < n; i++) {
      const [want, have] = [p.rules[i], l.rules[i]];
      if (want === have) continue;
      if (want === undefined) say(`chain ${name} rule ${i + 1}: ${ruleText(have!)} is not planned`);
      else if (have === undefined) say(`chain ${name} rule ${i + 1}: ${ruleText(want)} is missing`);
      else say(`chain ${name} rule ${i + 1}: ${ruleText(have)}, planned ${ruleText(want)}`);
      break;
    }
  }
  for (const name of Object.keys(live.chains)) if (!planned.chains[name]) say(`chain ${name} is not planned (${live.chains[name]!.spec || 'a regular chain'})`);
  for (const [name, p] of Object.entries(planned.sets)) {
    const l = live.sets[name];
    if (!l) say(`set ${name} is missing`);
    else if (l.spec !== p.spec) say(`set ${name} is not of the planned type or flags`);
    else if (p.elements && l.elements) {
      const has = new Set(l.elements);
      const want = new Set(p.elements);
      const lacking = p.elements.filter((e) => !has.has(e));
      const extra = l.elements.filter((e) => !want.has(e));
      if (lacking.length > 0) say(`${name} lacks ${elementText(lacking[0]!)}${lacking.length > 1 ? ` and ${lacking.length - 1} more` : ''}`);
      if (extra.length > 0) say(`${name} holds ${elementText(extra[0]!)}, not planned${extra.length > 1 ? ` (and ${extra.length - 1} more)` : ''}`);
    }
  }
  for (const name of Object.keys(live.sets)) if (!planned.sets[name]) say(`set ${name} is not planned`);
  return out;
}

/** A rule's stable text, as nft would print it, for people. */
export function ruleText(rule: string): string {
  const { expr, comment } = JSON.parse(rule) as { expr: unknown[]; comment: string | null };
  const text = expr.map(statementText).join(' ');
  return comment ? `${text} comment "${comment}"` : text;
}

function elementText(element: string): string {
  return valueText(JSON.parse(element));
}

function statementText(s: unknown): string {
  const st = s as Record<string, Record<string, unknown> | null>;
  const [kind] = Object.keys(st);
  // An iptables rule is kept as iptables-save prints it.
  if (kind === 'iptables') return String(st[kind]);
  const v = st[kind!];
  switch (kind) {
    case 'match': {
      const op = String(v!.op);
      return `${valueText(v!.left)} ${op === '==' || op === 'in' ? '' : `${op} `}${valueText(v!.right)}`;
    }
    case 'dnat':
    case 'snat':
      return `${kind} to ${valueText(v!.addr)}${v!.port !== undefined ? `:${valueText(v!.port)}` : ''}`;
    case 'jump':
    case 'goto':
      return `${kind} ${String(v!.target)}`;
    case 'accept':
    case 'drop':
    case 'return':
    case 'masquerade':
    case 'counter':
      return kind;
    case 'reject':
      return 'reject';
    case 'vmap':
      return `${valueText(v!.key)} vmap ${valueText(v!.data)}`;
    case 'mangle':
      return `${valueText(v!.key)} set ${valueText(v!.value)}`;
    default:
      return JSON.stringify(s);
  }
}

function valueText(v: unknown): string {
  if (typeof v !== 'object' || v === null) return String(v);
  // A bare list is flags (ct state established,related); a set prints in braces below.
  if (Array.isArray(v)) return v.map(valueText).join(',');
  const o = v as Record<string, Record<string, unknown>>;
  if (o.payload) return `${String(o.payload.protocol)} ${String(o.payload.field)}`;
  if (o.meta) return `meta ${String(o.meta.key)}`;
  if (o.ct) return `ct ${String(o.ct.key)}`;
  // A map's element is [key, value]: `10.96.1.1 . tcp . 80 : goto service-…`.
  if (o.set)
    return `{ ${(o.set as unknown as unknown[]).map((e) => (Array.isArray(e) && e.length === 2 ? `${valueText(e[0])} : ${valueText(e[1])}` : valueText(e))).join(', ')} }`;
  if (o.range) return (o.range as unknown as unknown[]).map(valueText).join('-');
  if (o.prefix) return `${String(o.prefix.addr)}/${String(o.prefix.len)}`;
  if (o.concat) return (o.concat as unknown as unknown[]).map(valueText).join(' . ');
  if (o.numgen) return `numgen ${String(o.numgen.mode)} mod ${String(o.numgen.mod)}`;
  if (o.elem) return valueText(o.elem.val);
  if (o.goto) return `goto ${String(o.goto.target)}`;
  if (o.jump) return `jump ${String(o.jump.target)}`;
  return JSON.stringify(v);
}

/**
 * The image of `iptables-save -t filter` and `-t nat`: each chain's rules as
 * printed (iptables-save prints its own canonical form). Built-in chains get
 * their policy as their spec.
 */
export function imageOfIptables(saved: Record<string, string>): TableImage {
  const image: TableImage = { chains: {}, sets: {} };
  for (const [table, text] of Object.entries(saved)) {
    for (const line of text.split('\n')) {
      if (line.startsWith(':')) {
        const [name, policy] = line.slice(1).split(' ');
        image.chains[`${table}/${name}`] = { spec: policy === '-' ? '' : `policy ${policy}`, rules: image.chains[`${table}/${name}`]?.rules ?? [] };
      } else if (line.startsWith('-A ')) {
        const rest = line.slice(3);
        const chain = rest.slice(0, rest.indexOf(' '));
        (image.chains[`${table}/${chain}`] ??= { spec: '', rules: [] }).rules.push(
          stable({ expr: [{ iptables: rest.slice(chain.length + 1) }], comment: null }),
        );
      }
    }
  }
  return image;
}

/** The image less what the CNI plugins add themselves (portmap's and bridge's CNI-… chains and the jumps to them): not netlab's to plan. */
export function withoutCniChains(image: TableImage): TableImage {
  const chains: Record<string, ChainImage> = {};
  for (const [name, c] of Object.entries(image.chains)) {
    if (name.includes('/CNI-')) continue;
    chains[name] = { spec: c.spec, rules: c.rules.filter((r) => !ruleText(r).includes(' -j CNI-')) };
  }
  return { chains, sets: image.sets };
}

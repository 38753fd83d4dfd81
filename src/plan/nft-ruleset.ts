/**
 * An nftables ruleset as data: the commands of one `nft -f` transaction on
 * one table, typed, and rendered to text in one place (renderNft) where it
 * is loaded, printed or read back. The plan carries the data: `netlab plan
 * --json` shows each chain, rule and element, and nothing parses the text.
 */
export type NftCommand =
  /** A comment line (`# …`), or a blank line when empty: for the people who read `netlab plan`. */
  | { kind: 'note'; text: string }
  | { kind: 'add-table'; spec?: string }
  | { kind: 'delete-table' }
  | { kind: 'add-chain'; chain: string; spec?: string }
  | { kind: 'add-set'; set: string; spec: string }
  | { kind: 'add-map'; map: string; spec: string }
  | { kind: 'add-rule'; chain: string; rule: string }
  | { kind: 'add-element'; set: string; element: string };

export interface NftRuleset {
  /** `FAMILY NAME`, as `ip kube-proxy`. */
  table: string;
  commands: NftCommand[];
}

/** The commands of a ruleset, made for its table. */
export const nftCommands = {
  note: (text = ''): NftCommand => ({ kind: 'note', text }),
  addTable: (spec?: string): NftCommand => (spec === undefined ? { kind: 'add-table' } : { kind: 'add-table', spec }),
  deleteTable: (): NftCommand => ({ kind: 'delete-table' }),
  chain: (chain: string, spec?: string): NftCommand => (spec === undefined ? { kind: 'add-chain', chain } : { kind: 'add-chain', chain, spec }),
  set: (set: string, spec: string): NftCommand => ({ kind: 'add-set', set, spec }),
  map: (map: string, spec: string): NftCommand => ({ kind: 'add-map', map, spec }),
  rule: (chain: string, rule: string): NftCommand => ({ kind: 'add-rule', chain, rule }),
  element: (set: string, element: string): NftCommand => ({ kind: 'add-element', set, element }),
};

/** Replaces a table whole in one transaction: `add` first, so the `delete` never fails. */
export function replacing(table: string, commands: NftCommand[], why: string): NftRuleset {
  return { table, commands: [nftCommands.note(why), nftCommands.addTable(), nftCommands.deleteTable(), ...commands] };
}

/** The text `nft -f` reads. */
export function renderNft(r: NftRuleset): string {
  return `${r.commands.map((c) => renderCommand(r.table, c)).join('\n')}\n`;
}

function renderCommand(t: string, c: NftCommand): string {
  const braces = (spec: string | undefined) => (spec === undefined ? '' : ` { ${spec} ; }`);
  switch (c.kind) {
    case 'note':
      return c.text === '' ? '' : `# ${c.text}`;
    case 'add-table':
      return `add table ${t}${braces(c.spec)}`;
    case 'delete-table':
      return `delete table ${t}`;
    case 'add-chain':
      return `add chain ${t} ${c.chain}${braces(c.spec)}`;
    case 'add-set':
      return `add set ${t} ${c.set}${braces(c.spec)}`;
    case 'add-map':
      return `add map ${t} ${c.map}${braces(c.spec)}`;
    case 'add-rule':
      return `add rule ${t} ${c.chain} ${c.rule}`;
    case 'add-element':
      return `add element ${t} ${c.set} { ${c.element} }`;
  }
}

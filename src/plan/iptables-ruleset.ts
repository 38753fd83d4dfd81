/**
 * An iptables-restore input as data: per table, its built-in chains (with
 * their policy), the chains it declares and its rules in order, each a chain
 * and the rule's words as iptables-save prints them. Rendered in one place
 * (renderIptables) where it is loaded, printed or read back.
 */
export interface IptablesRule {
  chain: string;
  /** What follows `-A CHAIN`: matches and target. */
  spec: string;
}

export interface IptablesTable {
  name: 'filter' | 'nat';
  /** Built-in chains, with policy ACCEPT. */
  builtins: string[];
  /** Chains of the ruleset's own, declared empty. */
  chains: string[];
  rules: IptablesRule[];
}

export interface IptablesRuleset {
  tables: IptablesTable[];
}

/** One rule of a chain. */
export function iptRule(chain: string, spec: string): IptablesRule {
  return { chain, spec };
}

/** The text iptables-restore reads: each table whole, committed. */
export function renderIptables(r: IptablesRuleset): string {
  const lines: string[] = [];
  for (const t of r.tables) {
    lines.push(`*${t.name}`, ...t.builtins.map((c) => `:${c} ACCEPT [0:0]`), ...t.chains.map((c) => `:${c} - [0:0]`));
    lines.push(...t.rules.map((rule) => `-A ${rule.chain} ${rule.spec}`), 'COMMIT');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * XEP-0050 Ad-Hoc Commands 1.3.0 on the server's JID: §2.1 the commands feature, §2.2 the command
 * list as disco#items of the 'http://jabber.org/protocol/commands' node (only the commands the
 * requester may run), command nodes' disco#info (identity automation/command-node), §2.4
 * execution (executor.ts). Other modules add commands through the `adhoc` service.
 */
import { Jid } from '../../core/jid.js';
import { defineModule } from '../../core/module.js';
import { xml } from '../../core/stanza.js';
import { createExecutor, NS_COMMANDS } from './executor.js';
import type { AdhocCommand } from './service.js';

export default defineModule({
  name: 'adhoc',
  xeps: [{ number: 50, version: '1.3.0', status: 'partial', note: 'single-stage commands (a form, then complete or cancel) on the server JID; no prev/next' }],
  setup(ctx) {
    const commands = new Map<string, AdhocCommand>();
    const executor = createExecutor(commands, { maxSessions: 10_000, sessionTtlMs: 10 * 60_000 });
    ctx.provide('adhoc', {
      register(command) {
        if (commands.has(command.node)) throw new Error(`ad-hoc command ${command.node} registered twice`);
        commands.set(command.node, command);
        return { dispose: () => { if (commands.get(command.node) === command) commands.delete(command.node); } };
      },
    });
    ctx.features.add(NS_COMMANDS);
    const hostJid = Jid.of('', ctx.host).toString();

    ctx.fold('disco/items/host', (items, c) => {
      if (c.node !== NS_COMMANDS) return items;
      const mine = [...commands.values()].filter((cmd) => cmd.allowed(c.from)).map((cmd) => xml('item', { jid: hostJid, node: cmd.node, name: cmd.name }));
      // Nobody else folds this node: with no command for the requester, disco answers item-not-found.
      return [...items, ...mine];
    });
    ctx.fold('disco/info/host', (info, c) => {
      if (c.node === NS_COMMANDS) {
        return { ...info, identities: [...info.identities, { category: 'automation', type: 'command-list', name: 'Commands' }] };
      }
      const cmd = c.node === undefined ? undefined : commands.get(c.node);
      if (!cmd || !cmd.allowed(c.from)) return info;
      return {
        ...info,
        identities: [...info.identities, { category: 'automation', type: 'command-node', name: cmd.name }],
        features: [...info.features, NS_COMMANDS, 'jabber:x:data'],
      };
    });
    ctx.iq.set(NS_COMMANDS, 'command', (req) => executor.run(req.from, req.payload), 'host');
  },
});

/**
 * XEP-0092 Software Version for the server (§2). The operating system is withheld by default:
 * XEP-0092 §5 notes that disclosing it helps an attacker choose an exploit.
 */
import { defineModule } from '../../core/module.js';
import { TERN_VERSION } from '../../version.js';
import { NS_VERSION, versionElement, type VersionOptions } from './software.js';

/** Flip to disclose the OS in answers; there is no configuration key for it yet. */
export const DISCLOSE_OS = false;

export default defineModule({
  name: 'version',
  xeps: [{ number: 92, version: '1.1', status: 'complete' }],
  options: (): VersionOptions => ({ name: 'Tern', version: TERN_VERSION, includeOs: DISCLOSE_OS }),
  setup(ctx) {
    ctx.iq.get(NS_VERSION, 'query', () => versionElement(ctx.options), 'host');
    ctx.features.add(NS_VERSION);
  },
});

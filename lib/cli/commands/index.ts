import { auditCommand } from './audit';
import { exportCommand } from './export';
import { inviteCommand } from './invite';
import { requestCommand } from './request';
import { signCommand } from './sign';
import type { Command } from './types';
import { verifyCommand } from './verify';
import { verifySigCommand } from './verify-sig';

export type { Command } from './types';

/**
 * Every `countersign <name>` subcommand, in the order --help lists them. A new command is a
 * module in this directory exporting a Command, added here.
 */
export const commands: Command[] = [signCommand, verifyCommand, verifySigCommand, exportCommand, inviteCommand, requestCommand, auditCommand];

export function findCommand(name: string): Command | undefined {
  return commands.find((c) => c.name === name);
}

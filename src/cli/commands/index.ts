/** The CLI's commands, in the order `zf-lens --help` lists them. New commands (import, top9, occlude, eval) go here. */
import type { Command } from '../context';
import { activationsCommand } from './activations';
import { classifyCommand } from './classify';
import { infoCommand } from './info';
import { projectCommand } from './project';

export const COMMANDS: readonly Command[] = [
  infoCommand,
  classifyCommand,
  activationsCommand,
  projectCommand,
];

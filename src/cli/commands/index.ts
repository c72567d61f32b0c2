/** The CLI's commands, in the order `zf-lens --help` lists them. New commands (import, top9, occlude, eval) go here. */
import type { Command } from '../context';
import { activationsCommand } from './activations';
import { classifyCommand } from './classify';
import { evalCommand } from './eval';
import { importCommand } from './import';
import { filtersCommand } from './filters';
import { infoCommand } from './info';
import { occludeCommand } from './occlude';
import { projectCommand } from './project';
import { top9Command } from './top9';
import { runCommand } from './run';
import { invarianceCommand } from './invariance';
import { correspondCommand } from './correspond';
import { explainCommand } from './explain';
import { evolutionCommand } from './evolution';
import { spectrumCommand } from './spectrum';

export const COMMANDS: readonly Command[] = [
  infoCommand,
  classifyCommand,
  activationsCommand,
  runCommand,
  projectCommand,
  occludeCommand,
  importCommand,
  evalCommand,
  top9Command,
  filtersCommand,
  invarianceCommand,
  correspondCommand,
  explainCommand,
  evolutionCommand,
  spectrumCommand,
];

/** `invariance`: not written yet. */
import { CliError, type Command } from '../context';

export const invarianceCommand: Command = {
  name: 'invariance',
  summary: 'not available yet',
  description: 'Not available yet.',
  options: [],
  usesTensors: false,
  run() {
    return Promise.reject(new CliError('invariance is not available yet'));
  },
};

/** `explain`: not written yet. */
import { CliError, type Command } from '../context';

export const explainCommand: Command = {
  name: 'explain',
  summary: 'not available yet',
  description: 'Not available yet.',
  options: [],
  usesTensors: false,
  run() {
    return Promise.reject(new CliError('explain is not available yet'));
  },
};

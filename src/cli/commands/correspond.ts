/** `correspond`: not written yet. */
import { CliError, type Command } from '../context';

export const correspondCommand: Command = {
  name: 'correspond',
  summary: 'not available yet',
  description: 'Not available yet.',
  options: [],
  usesTensors: false,
  run() {
    return Promise.reject(new CliError('correspond is not available yet'));
  },
};

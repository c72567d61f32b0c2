/** Colours of the parts (squares, table swatches, bars) and of the random control. */
const PALETTE = ['#e8590c', '#1c7ed6', '#2f9e44', '#ae3ec9', '#f08c00', '#0c8599', '#c2255c', '#5c940d'];

export const RANDOM_COLOUR = '#868e96';

export function partColour(index: number): string {
  return PALETTE[index % PALETTE.length] ?? '#e8590c';
}

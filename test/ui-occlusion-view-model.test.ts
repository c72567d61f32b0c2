/** The occlusion view's view model (src/ui/occlusion/viewModel.ts) and the shared number formats. */
import { describe, expect, it } from 'vitest';
import { occlusionViewModel, type OcclusionViewState } from '../src/ui/occlusion/viewModel';
import { formatMs, formatPrecise, formatTick, formatValue } from '../src/ui/common/format';
import type { OcclusionUpdate } from '../src/worker/protocol/occlusionApi';
import type { ModelInfo } from '../src/worker/protocol/api';

const model = { inputSize: [40, 60] } as unknown as ModelInfo;

function state(over: Partial<OcclusionViewState> = {}): OcclusionViewState {
  return {
    model,
    occSetup: null,
    occResult: null,
    occRunning: null,
    occProjection: null,
    occSelected: null,
    occSize: 10,
    occStride: 5,
    occLayer: 'conv5',
    occChannel: 3,
    occClass: 1,
    ...over,
  };
}

/** A finished 2 x 3 map of a square of 20 at stride 20 on the 40 x 60 input, cell 4 not computed. */
function result(): OcclusionUpdate {
  return {
    runId: 1,
    imageId: 1,
    request: { size: 20, stride: 20, layer: 'conv5', channel: 3, classIndex: 1, batchSize: 4 } as never,
    rows: 2,
    cols: 3,
    done: 5,
    total: 6,
    activation: Float32Array.from([1, 2, 3, 4, 0, 6]),
    probability: Float32Array.from([0.5, 0.25, 0.125, 0.0625, 0, 0.75]),
    label: Int32Array.from([0, 1, 0, 1, 0, 2]),
    computed: Uint8Array.from([1, 1, 1, 1, 0, 1]),
    final: true,
    cancelled: false,
    ms: 1500,
  };
}

describe('occlusionViewModel', () => {
  it('before a run: the settings grid, the square in the middle, the number of positions', () => {
    const vm = occlusionViewModel(state(), null);
    // (40 - 10) / 5 + 1 = 7 rows, (60 - 10) / 5 + 1 = 11 columns.
    expect([vm.rows, vm.cols, vm.settingsCells]).toEqual([7, 11, 77]);
    expect(vm.cell).toBe(3 * 11 + 5);
    expect(vm.status).toBe('77 square positions');
    expect(vm.valid).toBe(true);
    expect(vm.stale).toBe(false);
    expect(vm.readout).toBeNull();
    expect([vm.height, vm.width, vm.squareSize, vm.squareStride]).toEqual([40, 60, 10, 5]);
  });

  it('invalid settings cannot run and say what is allowed', () => {
    const vm = occlusionViewModel(state({ occSize: 41 }), null);
    expect([vm.rows, vm.cols]).toEqual([0, 0]);
    expect(vm.valid).toBe(false);
    expect(vm.status).toBe('square and stride must be 1…40');
    expect(occlusionViewModel(state({ occClass: null }), null).valid).toBe(false);
  });

  it('with a map: its grid and square, the readout of a computed cell, stale settings', () => {
    const setup = {
      imageId: 1,
      layer: 'conv5',
      channelMax: new Float32Array(4),
      channel: 3,
      classIndex: 1,
      labels: ['cat', 'dog', 'fox'],
      meanRgb: [1, 2, 3] as [number, number, number],
    };
    const s = state({ occResult: result(), occSetup: setup });
    const vm = occlusionViewModel(s, 5);
    expect([vm.rows, vm.cols, vm.squareSize, vm.squareStride, vm.channelCount]).toEqual([2, 3, 20, 20, 4]);
    expect(vm.cell).toBe(5);
    // Cell 5 is row 1, column 2: x 40, y 20.
    expect(vm.readout).toBe('square at x 40, y 20 · activation 6 · p(dog) 75.0% · top: fox');
    expect(occlusionViewModel(s, 4).readout).toBeNull();
    // Nothing hovered or selected once a map exists: no square.
    expect(occlusionViewModel(s, null).cell).toBeNull();
    // The settings (10 / 5) differ from the map's (20 / 20).
    expect(vm.stale).toBe(true);
    expect(vm.status).toBe('5 / 6 squares · 1.5 s · settings changed: run again');
    expect(vm.activationTitle).toBe('(b) conv5 #3 total activation');
    expect(vm.probabilityTitle).toBe('(d) p(dog)');
    const same = occlusionViewModel(state({ occResult: result(), occSize: 20, occStride: 20 }), 0);
    expect(same.stale).toBe(false);
    expect(occlusionViewModel(state({ occResult: result(), occRunning: 1 }), 0).status).toBe(
      '5 / 6 squares · settings changed: run again',
    );
  });
});

describe('shared number formats', () => {
  it('prints values, ticks and durations by their rules', () => {
    expect([formatValue(0), formatValue(12.345), formatValue(0.0001234), formatValue(-98765)]).toEqual([
      '0',
      '12.3',
      '1.23e-4',
      '-9.88e+4',
    ]);
    expect([formatPrecise(12.345), formatPrecise(1e-5)]).toEqual(['12.35', '1.000e-5']);
    expect([formatTick(0.5), formatTick(123456)]).toEqual(['0.5', '1.2e+5']);
    expect([formatMs(12.4), formatMs(999.6), formatMs(1234)]).toEqual(['12 ms', '1000 ms', '1.2 s']);
  });
});

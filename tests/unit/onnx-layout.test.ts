/**
 * The NHWC → NCHW rewrites of the ONNX converter (src/safety/onnx/layout.ts), as tables. Kernels
 * are filled with their own HWIO index written as digits (y·1000 + x·100 + in·10 + out), so each
 * expected array below can be read off by hand: position [o][i][y][x] must hold the value "yxio".
 */
import { describe, expect, it } from 'vitest';
import { channelBroadcastDims, depthwiseToOihw, hwioToOihw, nchwAxis, nhwcPaddingsToOnnxPads } from '../../src/safety/onnx/layout.js';

/** A [kh, kw, a, b] kernel whose element at (y, x, a, b) is y·1000 + x·100 + a·10 + b. */
function indexKernel(kh: number, kw: number, a: number, b: number): Float32Array {
  const out: number[] = [];
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < a; i++) for (let o = 0; o < b; o++) out.push(y * 1000 + x * 100 + i * 10 + o);
  return Float32Array.from(out);
}

describe('nchwAxis', () => {
  it.each([
    [0, 0, 'batch stays first'],
    [1, 2, 'height'],
    [2, 3, 'width'],
    [3, 1, 'channels move to axis 1'],
    [-1, 1, 'the last axis is channels'],
    [-2, 3, 'width from the end'],
    [-3, 2, 'height from the end'],
    [-4, 0, 'batch from the end'],
  ])('NHWC axis %i is NCHW axis %i (%s)', (nhwc, nchw) => {
    expect(nchwAxis(nhwc)).toBe(nchw);
  });

  it.each([4, 5, -5, -8, 1.5, Number.NaN])('refuses axis %s of a rank-4 tensor with a RangeError naming it', (axis) => {
    expect(() => nchwAxis(axis)).toThrow(RangeError);
    expect(() => nchwAxis(axis)).toThrow(`axis ${axis} is not an axis of a rank-4 tensor`);
  });
});

describe('hwioToOihw', () => {
  it('moves element (y, x, i, o) of a [1, 2, 2, 3] kernel to [o][i][y][x]', () => {
    const { data, dims } = hwioToOihw(indexKernel(1, 2, 2, 3), [1, 2, 2, 3]);
    expect(dims).toEqual([3, 2, 1, 2]);
    // prettier-ignore
    expect(Array.from(data)).toEqual([
      // o = 0: i = 0 (x = 0, 1), i = 1 (x = 0, 1)
      0, 100, 10, 110,
      // o = 1
      1, 101, 11, 111,
      // o = 2
      2, 102, 12, 112,
    ]);
  });

  it('orders a [2, 2, 1, 2] kernel rows before columns within each output channel', () => {
    const { data, dims } = hwioToOihw(indexKernel(2, 2, 1, 2), [2, 2, 1, 2]);
    expect(dims).toEqual([2, 1, 2, 2]);
    // o = 0: (y0 x0) (y0 x1) (y1 x0) (y1 x1), then o = 1
    expect(Array.from(data)).toEqual([0, 100, 1000, 1100, 1, 101, 1001, 1101]);
  });

  it('leaves a 1×1×1×1 kernel alone', () => {
    expect(hwioToOihw(Float32Array.of(7), [1, 1, 1, 1])).toEqual({ data: Float32Array.of(7), dims: [1, 1, 1, 1] });
  });

  it.each([
    [[3, 3, 3], 27, 'expected a rank-4 kernel, got [3,3,3]'],
    [[1, 1, 2, 2], 3, '3 values for shape [1,1,2,2]'],
  ])('refuses shape %j with %i values', (shape, size, message) => {
    expect(() => hwioToOihw(new Float32Array(size), shape)).toThrow(RangeError);
    expect(() => hwioToOihw(new Float32Array(size), shape)).toThrow(`hwioToOihw() | ${message}`);
  });
});

describe('depthwiseToOihw', () => {
  it('makes [kh, kw, c, m] a grouped kernel [c·m, 1, kh, kw] whose output channel c·m + k is TF’s', () => {
    const { data, dims, group } = depthwiseToOihw(indexKernel(2, 1, 2, 2), [2, 1, 2, 2]);
    expect(dims).toEqual([4, 1, 2, 1]);
    expect(group).toBe(2);
    // output channel 0 = (c0, k0), 1 = (c0, k1), 2 = (c1, k0), 3 = (c1, k1); each holds y = 0, 1
    expect(Array.from(data)).toEqual([0, 1000, 1, 1001, 10, 1010, 11, 1011]);
  });

  it('with multiplier 1 keeps one output channel per input channel', () => {
    const { data, dims, group } = depthwiseToOihw(indexKernel(1, 2, 3, 1), [1, 2, 3, 1]);
    expect(dims).toEqual([3, 1, 1, 2]);
    expect(group).toBe(3);
    expect(Array.from(data)).toEqual([0, 100, 10, 110, 20, 120]);
  });

  it.each([
    [[3, 3], 9, 'expected a rank-4 kernel, got [3,3]'],
    [[3, 3, 2, 1], 17, '17 values for shape [3,3,2,1]'],
  ])('refuses shape %j with %i values', (shape, size, message) => {
    expect(() => depthwiseToOihw(new Float32Array(size), shape)).toThrow(`depthwiseToOihw() | ${message}`);
  });
});

describe('nhwcPaddingsToOnnxPads', () => {
  it.each<[string, number[], number[]]>([
    ['every number distinct: befores N C H W, then afters N C H W', [1, 2, 3, 4, 5, 6, 7, 8], [1, 7, 3, 5, 2, 8, 4, 6]],
    ['ZeroPadding2D ((0, 1), (0, 1)): bottom and right', [0, 0, 0, 1, 0, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1, 1]],
    ['ZeroPadding2D ((1, 1), (1, 1))', [0, 0, 1, 1, 1, 1, 0, 0], [0, 0, 1, 1, 0, 0, 1, 1]],
    ['BlazeFace’s channel padding: 4 zero channels after', [0, 0, 0, 0, 0, 0, 0, 4], [0, 0, 0, 0, 0, 4, 0, 0]],
    ['no padding', [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]],
  ])('%s', (_name, paddings, pads) => {
    expect(nhwcPaddingsToOnnxPads(paddings)).toEqual(pads);
  });

  it('takes the typed arrays the weight decoder hands out', () => {
    expect(nhwcPaddingsToOnnxPads(Float32Array.of(0, 0, 2, 3, 4, 5, 0, 1))).toEqual([0, 0, 2, 4, 0, 1, 3, 5]);
    expect(nhwcPaddingsToOnnxPads(Int32Array.of(0, 0, 2, 3, 4, 5, 0, 1))).toEqual([0, 0, 2, 4, 0, 1, 3, 5]);
  });

  it.each([[[0, 0, 1, 1, 1, 1]], [[]], [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]])('refuses %j, which is not 4 × 2 paddings', (paddings) => {
    expect(() => nhwcPaddingsToOnnxPads(paddings)).toThrow(RangeError);
    expect(() => nhwcPaddingsToOnnxPads(paddings)).toThrow(`expected 4 × 2 paddings, got ${paddings.length} numbers`);
  });
});

describe('channelBroadcastDims', () => {
  it.each<[string, number[], number[]]>([
    ['a scalar stays a scalar', [], []],
    ['a per-channel vector [C] becomes [C, 1, 1] (aligned to C, H, W)', [8], [8, 1, 1]],
    ['a one-element vector', [1], [1, 1, 1]],
    ['a keep-dims constant [1, 1, 1, C] becomes [1, C, 1, 1]', [1, 1, 1, 8], [1, 8, 1, 1]],
  ])('%s', (_name, shape, dims) => {
    expect(channelBroadcastDims(shape)).toEqual(dims);
  });

  it.each([[[2, 8]], [[1, 2, 2, 8]], [[2, 1, 1, 8]], [[1, 1, 8]], [[1, 1, 1, 1, 8]]])('refuses shape %j, which is not per channel', (shape) => {
    expect(() => channelBroadcastDims(shape)).toThrow(RangeError);
    expect(() => channelBroadcastDims(shape)).toThrow(`cannot broadcast a constant of shape [${shape.join(',')}] against NCHW`);
  });
});

/** Tests of the objective plug-ins and their registry. */
import { describe, expect, it } from 'vitest';
import { metricsFixture } from '../metrics-fixture.js';
import {
  compareValues,
  OBJECTIVES,
  objectiveByName,
  orientedScore,
  UnknownObjectiveError,
} from './index.js';

describe('objectives', () => {
  const metrics = metricsFixture({
    sharpe: 1.25,
    sortino: 1.75,
    cagr: 0.08,
    calmar: 0.4,
    totalReturn: 0.31,
    maxDrawdownDepth: 0.2,
    profitFactor: 2.5,
  });

  it.each([
    ['sharpe', 'maximize', 1.25],
    ['sortino', 'maximize', 1.75],
    ['cagr', 'maximize', 0.08],
    ['calmar', 'maximize', 0.4],
    ['total_return', 'maximize', 0.31],
    ['max_drawdown', 'minimize', 0.2],
    ['profit_factor', 'maximize', 2.5],
  ])('%s reads its figure and says %s', (name, direction, value) => {
    const objective = objectiveByName(name);
    expect(objective.name).toBe(name);
    expect(objective.direction).toBe(direction);
    expect(objective.value(metrics)).toBe(value);
    expect(objective.description.length).toBeGreaterThan(10);
  });

  it('passes null through when a figure is undefined for the run', () => {
    const none = metricsFixture({ sharpe: null, profitFactor: null, calmar: null });
    expect(objectiveByName('sharpe').value(none)).toBeNull();
    expect(objectiveByName('profit_factor').value(none)).toBeNull();
    expect(objectiveByName('calmar').value(none)).toBeNull();
  });

  it('registers every objective once, in help order', () => {
    expect(OBJECTIVES.map((o) => o.name)).toEqual([
      'sharpe',
      'sortino',
      'cagr',
      'calmar',
      'total_return',
      'max_drawdown',
      'profit_factor',
    ]);
  });

  it('names the valid objectives when asked for an unknown one', () => {
    expect(() => objectiveByName('sharp')).toThrow(UnknownObjectiveError);
    expect(() => objectiveByName('sharp')).toThrow(
      'unknown objective "sharp"; valid objectives: sharpe, sortino, cagr, calmar, total_return, max_drawdown, profit_factor',
    );
  });
});

describe('orientedScore and compareValues', () => {
  it('negates minimised values and maps undefined ones to null', () => {
    expect(orientedScore('maximize', 1.5)).toBe(1.5);
    expect(orientedScore('minimize', 0.2)).toBe(-0.2);
    expect(orientedScore('maximize', null)).toBeNull();
    expect(orientedScore('minimize', Number.NaN)).toBeNull();
    expect(orientedScore('maximize', Number.POSITIVE_INFINITY)).toBeNull();
  });

  it('sorts best first in each direction, null always last', () => {
    const values = [0.3, null, 0.1, 0.2];
    expect([...values].sort((a, b) => compareValues('maximize', a, b))).toEqual([
      0.3,
      0.2,
      0.1,
      null,
    ]);
    expect([...values].sort((a, b) => compareValues('minimize', a, b))).toEqual([
      0.1,
      0.2,
      0.3,
      null,
    ]);
    expect(compareValues('minimize', null, null)).toBe(0);
  });
});

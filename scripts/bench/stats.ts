// Small numeric helpers for the benchmark: medians, the machine's load while it ran, and a figure as table text.

import os from 'node:os';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The median of the values that are numbers, or undefined when there are none. */
export function medianOf(values: (number | undefined | null)[]): number | undefined {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return numbers.length === 0 ? undefined : median(numbers);
}

export const MiB = 1024 * 1024;

/** The 1-minute load average, the figure that says how busy the machine was. */
export function load(): number {
  return Math.round(os.loadavg()[0]! * 100) / 100;
}

/** A figure to `digits` places for the table, or '?' when it was not measured. */
export function num(value: number | undefined | null, digits: number): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '?';
}

// Types of svg.mjs, for the tests that import it (the examples are plain JavaScript).

export interface Lane {
  id?: string | number;
  label: string;
  admittedAt?: number;
  segments: { from: number; to: number; kind: 'waiting' | 'working' | 'refunding' }[];
}

export interface Series {
  name: string;
  points: [number, number][];
  fill?: string;
  color?: string;
}

export interface Panel {
  title: string;
  max: number;
  height?: number;
  series: Series[];
  limit?: { value: number; label: string };
}

export interface Run {
  title: string;
  subtitle?: string;
  endMs: number;
  lanes: Lane[];
  panels: Panel[];
}

export function escapeXml(value: unknown): string;
export function el(name: string, attrs?: Record<string, string | number | undefined>, ...children: string[]): string;
export function text(value: unknown): string;
export function timelineSvg(run: Run, options?: { width?: number }): string;

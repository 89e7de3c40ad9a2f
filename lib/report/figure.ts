/** A plotly figure as plain data: builders return these, tests snapshot them, `showFigure` draws them. */
export interface Figure {
  data: Array<Record<string, unknown>>;
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** Layout defaults shared by every caplab figure, spread before a builder's own layout. */
export const BASE_LAYOUT: Record<string, unknown> = {
  template: 'plotly_white',
  margin: { l: 60, r: 20, t: 50, b: 50 },
  height: 380,
  font: { family: 'system-ui, sans-serif', size: 12 },
};

export function figure(data: Figure['data'], layout: Record<string, unknown> = {}): Figure {
  return { data, layout: { ...BASE_LAYOUT, ...layout } };
}

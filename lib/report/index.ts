export * from './figure.ts';
export * from './display.ts';
export * from './frame.ts';
export * from './memory-figures.ts';
export * from './train-figures.ts';
export * from './search-figures.ts';
export * from './data-figures.ts';
export * from './cluster-figures.ts';

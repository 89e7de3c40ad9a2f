export * from './figure.ts';
export * from './display.ts';
export * from './frame.ts';

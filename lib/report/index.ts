export * from './figure.ts';
export * from './display.ts';

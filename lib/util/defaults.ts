/**
 * The one way caplab applies option defaults: defaults first, then the caller's options with
 * undefined fields dropped, so `{ cpu: undefined }` (an unset CLI flag, a forwarded option) keeps
 * the default instead of erasing it. A plain `{ ...defaults, ...options }` does not.
 */

/** The options with every defaulted field made non-optional. */
export type WithDefaults<O, D> = Omit<O, keyof D> & { [K in keyof D]-?: K extends keyof O ? Exclude<O[K], undefined> | D[K] : D[K] };

/** `options` without the keys whose value is undefined. */
export function definedOnly<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
}

/**
 * ```ts
 * const o = withDefaults({ retries: 0, image: 'caplab:0.1.0' }, options);
 * ```
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O | undefined): WithDefaults<O, D> {
  return { ...defaults, ...definedOnly(options ?? ({} as O)) } as unknown as WithDefaults<O, D>;
}

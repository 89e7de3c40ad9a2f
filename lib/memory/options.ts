/** Drops keys whose value is undefined, so `{ ...defaults, ...definedOnly(options) }` keeps a default when an option is left unset. */
export function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

import { CaplabError } from '../errors.ts';

export async function run(_args: string[]): Promise<number> {
  throw new CaplabError('not-built', 'caplab train is not built yet.');
}

// `npm run setup`: check Jupyter, register the project-local tslab kernel.
import { setup } from './jupyter.ts';

setup();

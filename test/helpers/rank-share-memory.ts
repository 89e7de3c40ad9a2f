/**
 * Run as a child process: generates rank r of k's share of a synthetic market of `tickers`
 * tickers over 1260 days and prints its held bytes and this process's resident memory before
 * and at its peak (ru_maxrss), as JSON. Usage: node rank-share-memory.ts K R TICKERS
 */
import { generateRankShare } from '../../lib/distributed/rank-synthetic.ts';

const [k, r, tickers] = process.argv.slice(2).map(Number);
const before = process.resourceUsage().maxRSS * 1024;
const s = generateRankShare({ seed: 42, tickers, days: 1260, scale: 1 }, r, k);
const held = [s.train, s.validation, s.test].reduce((a, x) => a + x.x.byteLength + x.y.byteLength, 0);
console.log(JSON.stringify({ held, before, peak: process.resourceUsage().maxRSS * 1024 }));

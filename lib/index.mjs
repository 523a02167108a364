// ESM entry: the same Pool class as require('nativepool').
import Pool from './index.js';

export default Pool;
export { Pool };
export const { isWorkerThread, workerData, move, buffer, transferableSymbol, valueSymbol, version } = Pool;

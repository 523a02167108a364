// ESM entry: the same Pool class as require('nativepool'), and every static
// of it as a named export (test/js/statics.test.js checks the two lists match).
import Pool from './index.js';

export default Pool;
export { Pool };
export const { Piscina, isWorkerThread, workerData, move, buffer, transferableSymbol, valueSymbol, version } = Pool;

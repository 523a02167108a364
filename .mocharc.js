'use strict';
// `mocha` runs every test file; `mocha test/js/a.test.js ...` runs only the
// files named. (Mocha adds a config's `spec` to the files named on the
// command line, so naming one file would otherwise run the whole suite.)
const named = process.argv.slice(2).some((arg) => !arg.startsWith('-') && /\.test\.[cm]?[jt]s$/.test(arg));

module.exports = {
  ...(named ? {} : { spec: ['test/js/**/*.test.js'] }),
  timeout: 20000,
  slow: 2000,
  reporter: 'spec',
  exit: false,
};
